import { initTracing, shutdownTracing } from '@mailshield/common';
import { startGateway } from './gateway.js';

initTracing('gateway');

/**
 * Process entry of the one-process gateway (`make run`): all four services in one process on
 * one message bus, stopped in reverse order on SIGTERM or SIGINT.
 */
async function main(): Promise<void> {
  const gateway = await startGateway(process.env);
  let isStopping = false;
  const stop = (signal: string) => {
    if (isStopping) return;
    isStopping = true;
    gateway.logger.info({ event: 'gateway.stopping', signal }, 'stopping the gateway');
    gateway
      .stop()
      .then(() => shutdownTracing())
      .then(() => {
        gateway.logger.info({ event: 'gateway.stopped' }, 'gateway stopped');
        process.exit(0);
      })
      .catch((err: unknown) => {
        gateway.logger.error(
          { err, event: 'gateway.stop_failed' },
          'the gateway did not stop cleanly',
        );
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`mailshield gateway failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});
