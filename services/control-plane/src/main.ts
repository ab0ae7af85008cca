import {
  initTracing,
  shutdownTracing,
  createBus,
  createLogger,
  MailshieldError,
} from '@mailshield/common';
import { readControlPlaneOptions } from './config.js';
import { startControlPlane } from './index.js';

initTracing('control-plane');

/** Process entry of the control plane: reads the environment, starts, and drains on SIGTERM. */
async function main(): Promise<void> {
  const options = readControlPlaneOptions();
  const logger = createLogger('control-plane', options.logLevel);
  const bus = await createBus(options.bus, logger);
  const service = await startControlPlane(options, { bus, logger });
  let isStopping = false;
  const shutdown = (signal: string) => {
    if (isStopping) return;
    isStopping = true;
    logger.info({ event: 'control_plane.stopping', signal }, 'stopping on signal');
    service
      .stop()
      .then(() => bus.close())
      .then(() => shutdownTracing())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err, event: 'control_plane.stop_failed' }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  const message =
    err instanceof MailshieldError ? err.message : String((err as Error)?.stack ?? err);
  process.stderr.write(`control-plane failed to start: ${message}\n`);
  process.exit(1);
});
