import { join } from 'node:path';
import type { Registry } from 'prom-client';
import {
  GrpcBackupStore,
  type BackupStore,
  createMetricsRegistry,
  PolicyWatcher,
  startGrpcServer,
  startMetricsServer,
  Topics,
  type PolicySource,
  type RunningService,
  type ServiceDeps,
  type Subscription,
  watchServiceDependencies,
} from '@mailshield/common';
import { AntivirusService } from '@mailshield/proto/antivirus';
import type { AntivirusOptions } from './config.js';
import { CONSUMER_GROUP, startConsumer, type ConsumerContext } from './consumer.js';
import { ClamdPool, type EndpointState } from './engine/clamd-pool.js';
import { CachingScanner } from './engine/scan-cache.js';
import type { Scanner } from './engine/scanner.js';
import { RamStore } from './store/ram-store.js';
import { antivirusServer } from './grpc-service.js';
import { watchHealth } from './health.js';
import { createAntivirusMetrics, type AntivirusMetrics } from './metrics.js';
import type { StageContext } from './stage.js';
import { AvReason } from './errors.js';

export type { AntivirusOptions } from './config.js';
export { readAntivirusOptions } from './config.js';
export type { Scanner } from './engine/scanner.js';
export { ClamdPool } from './engine/clamd-pool.js';
export { walkMessage } from './mime/walker.js';
export { scanMessage } from './scan/scan-message.js';

/** Dependencies of the antivirus. Each optional one replaces its default. */
export interface AntivirusDeps extends ServiceDeps {
  /** Policy in force. Default: a PolicyWatcher on the control plane's Config.Watch. */
  policy?: PolicySource;
  /** Backup for originals before destructive actions. Default: the control plane's Backup.Store. */
  backup?: BackupStore;
  /** Scan engine. Default: clamd at options.clamd. */
  scanner?: Scanner;
}

const LAG_INTERVAL_MS = 10_000;

/**
 * Starts the antivirus: gRPC (Antivirus, health), metrics, and, once a policy is in force,
 * the consumer of the inbound topic. Resolves when the servers listen.
 */
export async function startAntivirus(
  options: AntivirusOptions,
  deps: AntivirusDeps,
): Promise<RunningService> {
  const logger = deps.logger.child({ component: 'antivirus' });
  const registry = createMetricsRegistry('antivirus');
  const metrics = createAntivirusMetrics(registry);
  const pool =
    deps.scanner === undefined
      ? new ClamdPool({
          endpoints: options.clamd,
          maxScansInFlight: options.maxScansPerEndpoint,
          // The health watcher refreshes the endpoints every few seconds, so the pool needs no
          // timer of its own.
          refreshIntervalSeconds: 0,
          logger,
        })
      : undefined;
  const scanner = deps.scanner ?? withCache(pool!, options.cacheEntries, metrics);
  const store = options.clamdSharesStore
    ? await RamStore.open(
        { folder: join(options.storeDir, options.instance), maxBytes: options.storeMaxBytes },
        logger,
      )
    : undefined;
  const watcher = deps.policy === undefined ? createWatcher(options, logger, registry) : undefined;
  const policy: PolicySource = deps.policy ?? watcher!;
  const backup =
    deps.backup ?? new GrpcBackupStore(options.controlPlane, { errorCode: AvReason.backupFailed });
  const context: StageContext = {
    scanner,
    store,
    policy,
    metrics,
    instance: options.instance,
  };
  const grpc = await startGrpcServer(
    options.bindHost,
    options.grpcPort,
    [{ definition: AntivirusService, implementation: antivirusServer(context, logger) }],
    logger,
  );
  const metricsServer = await startMetricsServer(
    registry,
    options.bindHost,
    options.metricsPort,
    logger,
  );
  const stopHealth = watchHealth({
    server: grpc,
    engine: pool ?? pingOnlyEngine(scanner),
    store,
    policy,
    metrics,
    logger,
    intervalSeconds: options.healthIntervalSeconds,
    signatureMaxAgeSeconds: options.signatureMaxAgeHours * 3600,
  });
  const stopDependencies = watchServiceDependencies(grpc, {
    bus: deps.bus,
    groupId: CONSUMER_GROUP,
    topic: Topics.inbound,
    policy,
    logger,
  });
  const lagTimer = setInterval(() => void updateLag(deps, metrics.consumerLag), LAG_INTERVAL_MS);

  let isStopping = false;
  const consumerContext = {
    ...context,
    bus: deps.bus,
    backup,
    logger,
    messageConcurrency: options.messageConcurrency,
    pauseState: { isPaused: false },
  };
  const subscription = subscribeOncePolicyLoaded(consumerContext, () => isStopping);
  return {
    name: 'antivirus',
    ports: { grpc: grpc.port, metrics: metricsServer.port },
    registry,
    async stop() {
      isStopping = true;
      stopHealth();
      stopDependencies();
      grpc.setHealth('NOT_SERVING', ['mailshield.v1.Antivirus']);
      clearInterval(lagTimer);
      await (await subscription.catch(() => undefined))?.stop();
      await grpc.stop();
      await new Promise<void>((resolve) => metricsServer.server.close(() => resolve()));
      watcher?.stop();
      await pool?.close();
      if (deps.backup === undefined) backup.close();
      logger.info({ event: 'service.stopped' }, 'antivirus stopped');
    },
  };
}

function withCache(pool: ClamdPool, entries: number, metrics: AntivirusMetrics): Scanner {
  if (entries === 0) return pool;
  return new CachingScanner(pool, {
    maxEntries: entries,
    onLookup: (isHit) => metrics.cacheLookups.inc({ result: isHit ? 'hit' : 'miss' }),
  });
}

/** Health for a scanner given by the caller, which has no endpoints to report. */
function pingOnlyEngine(scanner: Scanner): {
  refresh(timeoutSeconds: number): Promise<EndpointState[]>;
} {
  return {
    refresh: async (timeoutSeconds) => [
      {
        address: { host: 'scanner', port: 0 },
        sharesStore: false,
        isUp: await scanner.ping(timeoutSeconds),
        circuit: 'closed',
        engineVersion: undefined,
        databaseVersion: undefined,
        databaseTime: undefined,
        scansInFlight: 0,
      },
    ],
  };
}

function createWatcher(
  options: AntivirusOptions,
  logger: AntivirusDeps['logger'],
  registry: Registry,
): PolicyWatcher {
  const watcher = new PolicyWatcher({
    controlPlane: options.controlPlane,
    component: 'antivirus',
    logger,
    registry,
    cacheFile: join(options.stateDir, 'antivirus', 'policy.json'),
  });
  watcher
    .start()
    .catch((err: unknown) =>
      logger.error({ event: 'policy.start_failed', err }, 'policy watcher failed to start'),
    );
  return watcher;
}

/**
 * Subscribes to the inbound topic once a policy is in force, so the consumer does not spin on
 * batches it cannot decide. Resolves undefined when the service stops first.
 */
function subscribeOncePolicyLoaded(
  context: ConsumerContext,
  isStopping: () => boolean,
): Promise<Subscription | undefined> {
  const subscription = waitForPolicy(context.policy, isStopping).then((isReady) =>
    isReady ? startConsumer(context) : undefined,
  );
  subscription.catch((err: unknown) =>
    context.logger.error(
      { event: 'consumer.failed', err },
      'could not subscribe to the inbound topic',
    ),
  );
  return subscription;
}

/** Resolves true once a policy is in force, or false when the service stops first. */
async function waitForPolicy(policy: PolicySource, isStopping: () => boolean): Promise<boolean> {
  for (;;) {
    if (isStopping()) return false;
    try {
      policy.current();
      return true;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

async function updateLag(deps: AntivirusDeps, gauge: { set(value: number): void }): Promise<void> {
  try {
    const lag = await deps.bus.lag(CONSUMER_GROUP, Topics.inbound);
    if (lag !== undefined) gauge.set(lag);
  } catch (err) {
    deps.logger.debug({ event: 'lag.failed', err }, 'could not read the consumer lag');
  }
}
