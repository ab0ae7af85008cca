import { resolve } from 'node:path';
import { startAntispam, readAntispamConfig } from '@mailshield/antispam';
import { startAntivirus, readAntivirusOptions } from '@mailshield/antivirus';
import {
  ConfigError,
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
export async function startGateway(processEnv: NodeJS.ProcessEnv): Promise<RunningGateway> {
  const env = withGatewayDefaults(processEnv);
  const [controlPlaneOptions, antivirusOptions, antispamOptions, interceptorOptions] = readAll([
    () => readControlPlaneOptions(env),
    () => readAntivirusOptions(env),
    () => readAntispamConfig(env).options,
    () => readInterceptorOptions(env),
  ] as const);
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

/**
 * Points the services of this process at each other. Unless set, the control plane address and
 * the components its integrity monitor checks follow the gRPC ports of this gateway. A second
 * gateway on other ports therefore never watches or reports the first one.
 */
function withGatewayDefaults(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const bindHost = env['MAILSHIELD_BIND_HOST'] ?? '127.0.0.1';
  const host =
    bindHost === '0.0.0.0' || bindHost === '::' || bindHost === '' ? '127.0.0.1' : bindHost;
  const address = (variable: string, fallback: number) =>
    formatHostPort({ host, port: Number(env[variable] || fallback) });
  return {
    MAILSHIELD_CONTROL_PLANE_ADDRESS: address('MAILSHIELD_CONTROL_PLANE_GRPC_PORT', 50050),
    MAILSHIELD_COMPONENTS: [
      `interceptor=${address('MAILSHIELD_INTERCEPTOR_GRPC_PORT', 50051)}`,
      `antivirus=${address('MAILSHIELD_ANTIVIRUS_GRPC_PORT', 50052)}`,
      `antispam=${address('MAILSHIELD_ANTISPAM_GRPC_PORT', 50053)}`,
    ].join(','),
    ...env,
  };
}

type Readers<T extends readonly unknown[]> = { readonly [K in keyof T]: () => T[K] };

/** Runs every options reader and throws one ConfigError that lists the problems of all. */
function readAll<T extends readonly unknown[]>(readers: Readers<T>): T {
  const problems = new Set<string>();
  const results = readers.map((read) => {
    try {
      return read();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      for (const problem of err.problems) problems.add(problem);
      return undefined;
    }
  });
  if (problems.size > 0) throw new ConfigError([...problems]);
  return results as unknown as T;
}
