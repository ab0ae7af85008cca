import { resolve } from 'node:path';
import { startAntispam, readAntispamConfig } from '@mailshield/antispam';
import { startAntivirus, readAntivirusOptions } from '@mailshield/antivirus';
import {
  createBus,
  createLogger,
  formatHostPort,
  type Logger,
  type RunningService,
} from '@mailshield/common';
import { readControlPlaneOptions, startControlPlane } from '@mailshield/control-plane';
import { readInterceptorOptions, startInterceptor } from '@mailshield/interceptor';

export interface RunningGateway {
  logger: Logger;
  services: RunningService[];
  stop(): Promise<void>;
}

/**
 * Starts the control plane, the antivirus, the antispam and the interceptor in this process,
 * on one message bus: Kafka when MAILSHIELD_KAFKA_BROKERS is set, else the on-disk journal
 * under the state folder. Every setting is read before anything starts, so a bad value fails
 * fast with the full list of problems.
 */
export async function startGateway(env: NodeJS.ProcessEnv): Promise<RunningGateway> {
  const controlPlaneOptions = readControlPlaneOptions(env);
  const antivirusOptions = readAntivirusOptions(env);
  const antispamOptions = readAntispamConfig(env).options;
  const interceptorOptions = readInterceptorOptions(env);
  const logger = createLogger('gateway', controlPlaneOptions.logLevel);
  const bus = await createBus(interceptorOptions.bus, logger);

  const services: RunningService[] = [];
  const stop = async () => {
    for (const service of [...services].reverse()) await service.stop();
    await bus.close();
  };
  try {
    const child = (service: string) => createLogger(service, controlPlaneOptions.logLevel);
    services.push(
      await startControlPlane(controlPlaneOptions, { bus, logger: child('control-plane') }),
    );
    services.push(await startAntivirus(antivirusOptions, { bus, logger: child('antivirus') }));
    services.push(await startAntispam(antispamOptions, { bus, logger: child('antispam') }));
    services.push(
      await startInterceptor(interceptorOptions, { bus, logger: child('interceptor') }),
    );
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }

  const smtp = formatHostPort({
    host: interceptorOptions.smtp.host,
    port: services[3]!.ports['smtp']!,
  });
  const destination =
    interceptorOptions.nextHop === undefined
      ? `written as .eml files to ${resolve(interceptorOptions.deliveryDir)}`
      : `relayed to ${formatHostPort(interceptorOptions.nextHop)}`;
  logger.info(
    {
      event: 'gateway.ready',
      smtp,
      bus: bus.kind,
      state_dir: resolve(controlPlaneOptions.stateDir),
    },
    'gateway ready',
  );
  process.stderr.write(
    [
      '',
      `mailshield is ready: SMTP on ${smtp}, control plane on 127.0.0.1:${services[0]!.ports['grpc']}`,
      `  message bus: ${bus.kind === 'kafka' ? 'Kafka' : `on-disk journal in ${resolve(controlPlaneOptions.stateDir, 'journal')}`}`,
      `  clean mail is ${destination}`,
      `  try: swaks --server ${smtp} --to user@example.com`,
      `  stop with Ctrl-C`,
      '',
    ].join('\n'),
  );
  return { logger, services, stop };
}
