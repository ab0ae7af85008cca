import {
  initTracing,
  shutdownTracing,
  createBus,
  createLogger,
  type RunningService,
} from '@mailshield/common';
import { readAntispamConfig } from './config.js';
import { startAntispam } from './index.js';

// Tracing starts before anything else so that the first spans already have a provider.
initTracing('mailshield-antispam');

/** How long SIGTERM waits for in-flight batches before the process exits anyway, in ms. */
const DRAIN_DEADLINE_MS = 25_000;

async function main(): Promise<void> {
  const { options, bus: busOptions } = readAntispamConfig();
  const logger = createLogger('antispam', options.logLevel);
  const bus = await createBus(busOptions, logger);
  const running: { service?: RunningService } = {};
  let isStopping = false;
  const stop = (signal: string) => {
    if (isStopping) return;
    isStopping = true;
    logger.info({ event: 'antispam.stopping', signal }, 'stopping, draining in-flight batches');
    const deadline = setTimeout(() => {
      logger.error(
        { event: 'antispam.drain_timeout', deadline_ms: DRAIN_DEADLINE_MS },
        'drain did not finish in time, exiting',
      );
      process.exit(1);
    }, DRAIN_DEADLINE_MS);
    deadline.unref();
    // Before start-up finished (still waiting for a policy) nothing is in flight yet.
    Promise.resolve(running.service?.stop())
      .then(() => bus.close())
      .then(() => shutdownTracing())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err, event: 'antispam.stop_failed' }, 'stopping failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  running.service = await startAntispam(options, { bus, logger });
}

main().catch((err: unknown) => {
  // The logger may not exist yet (invalid configuration), so the failure goes to stderr as JSON.
  process.stderr.write(
    `${JSON.stringify({ level: 'fatal', event: 'antispam.start_failed', err: String((err as Error)?.stack ?? err) })}\n`,
  );
  process.exit(1);
});
