import { createBus, createLogger, initTracing, shutdownTracing } from '@mailshield/common';
import { readInterceptorOptions } from './config.js';
import { startInterceptor } from './index.js';

initTracing('mailshield-interceptor');

const options = readInterceptorOptions();
const logger = createLogger('interceptor', options.logLevel);
const bus = await createBus(options.bus, logger);
const service = await startInterceptor(options, { bus, logger });

let isStopping = false;

/** Stops accepting SMTP, sends 421 to open sessions after the drain, then closes the bus. */
async function shutdown(signal: string): Promise<void> {
  if (isStopping) return;
  isStopping = true;
  logger.info({ event: 'interceptor.stopping', signal }, 'interceptor stopping');
  await service.stop();
  await bus.close();
  await shutdownTracing();
  logger.info({ event: 'interceptor.stopped' }, 'interceptor stopped');
  process.exit(0);
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    shutdown(signal).catch((err: unknown) => {
      logger.error({ err, event: 'interceptor.stop_failed' }, 'interceptor failed to stop cleanly');
      process.exit(1);
    });
  });
}
