import { initTracing, shutdownTracing } from '@mailshield/common';

initTracing('antivirus');

const { createBus, createLogger } = await import('@mailshield/common');
const { readAntivirusOptions, startAntivirus } = await import('./index.js');

const options = readAntivirusOptions();
const logger = createLogger('antivirus', options.logLevel);
const bus = await createBus(options.bus, logger);
const service = await startAntivirus(options, { bus, logger });
logger.info(
  { event: 'service.started', ports: service.ports, instance: options.instance },
  'antivirus started',
);

let isStopping = false;
async function shutdown(signal: string): Promise<void> {
  if (isStopping) return;
  isStopping = true;
  logger.info({ event: 'service.stopping', signal }, 'antivirus stopping');
  await service.stop();
  await bus.close();
  await shutdownTracing();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
