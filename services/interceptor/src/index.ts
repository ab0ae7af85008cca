import { join } from 'node:path';
import {
  GrpcBackupStore,
  type BackupStore,
  createMetricsRegistry,
  PolicyWatcher,
  startGrpcServer,
  startMetricsServer,
  Topics,
  type Logger,
  type PolicySource,
  type RunningService,
  type ServiceDeps,
  watchServiceDependencies,
} from '@mailshield/common';
import { CanaryService } from '@mailshield/proto/canary';
import type { Registry } from 'prom-client';
import { InterceptorErrorCode } from './errors.js';
import { DeliveryLedger } from './adapters/delivery-ledger.js';
import type { Deliverer } from './adapters/deliverer.js';
import { EmlDeliverer } from './adapters/eml-deliverer.js';
import { SmtpDeliverer } from './adapters/smtp-deliverer.js';
import { SmtpListener } from './adapters/smtp-listener.js';
import { startVerdictListener } from './adapters/verdict-listener.js';
import type { InterceptorOptions } from './config.js';
import type { RetrySchedule } from './domain/delivery-retry.js';
import { DeliveryHandler } from './handlers/delivery.js';
import { DeliveryRetryHandler } from './handlers/delivery-retry.js';
import { DeliverySender } from './handlers/delivery-sender.js';
import { EndOfDataHandler } from './handlers/end-of-data.js';
import { CanaryInjector } from './handlers/canary.js';
import { canaryService } from './grpc/canary-service.js';
import { VerdictWaiter } from './handlers/verdict-waiter.js';
import { createInterceptorMetrics, type InterceptorMetrics } from './metrics.js';

export { readInterceptorOptions, type InterceptorOptions } from './config.js';

/** Consumer group of the delivery consumer, shared by every interceptor instance. */
export const DELIVERY_GROUP = 'mailshield-delivery';

/** Consumer group of the delivery-retry consumer, shared by every interceptor instance. */
export const DELIVERY_RETRY_GROUP = 'mailshield-delivery-retry';

export interface InterceptorDeps extends ServiceDeps {
  /**
   * Policy in force. Default: a PolicyWatcher on the control plane, started here. Its
   * `current()` must not throw once the interceptor has started.
   */
  policy?: PolicySource;
  /** Registry for the interceptor's metrics. Default: a new one. */
  registry?: Registry;
  /**
   * Store for bounced and expired messages. Default: the control plane's Backup.Store at
   * `options.controlPlane`.
   */
  backup?: BackupStore;
}

type Closer = () => Promise<void> | void;

/** Room left in a Kafka record for the envelope, outcomes and headers around the message. */
const RECORD_OVERHEAD_BYTES = 1024 * 1024;

/**
 * Starts the interceptor: the SMTP listener, the before-queue verdict listener, the delivery
 * consumer, the gRPC server (health and the self-test's Canary service) and the metrics server.
 * Resolves once SMTP listens and the health is SERVING; `ports` contains the bound `smtp`,
 * `grpc` and `metrics` ports. Waits for the first policy when none is given and the control
 * plane has not sent one yet.
 */
export async function startInterceptor(
  options: InterceptorOptions,
  deps: InterceptorDeps,
): Promise<RunningService> {
  const { bus, logger } = deps;
  const registry = deps.registry ?? createMetricsRegistry('interceptor');
  const metrics = createInterceptorMetrics(
    registry,
    () => bus.lag(DELIVERY_GROUP, Topics.verdicts),
    () => bus.lag(DELIVERY_RETRY_GROUP, Topics.deliveryRetry),
  );
  const closers: Closer[] = [];
  try {
    const grpc = await startGrpcServer(options.bindHost, options.grpcPort, [], logger);
    closers.push(() => grpc.stop());
    const metricsServer = await startMetricsServer(
      registry,
      options.bindHost,
      options.metricsPort,
      logger,
    );
    closers.push(() => new Promise<void>((resolve) => metricsServer.server.close(() => resolve())));
    const policy = deps.policy ?? (await startPolicyWatcher(options, deps, registry, closers));
    await startDelivery(options, deps, metrics, closers);
    const waiter = new VerdictWaiter();
    const verdicts = await startVerdictListener(bus, options.instance, waiter, logger);
    closers.push(() => verdicts.stop());
    const handlerDeps = {
      bus,
      policy,
      waiter,
      metrics,
      logger,
      instance: options.instance,
      serverName: options.smtpHostname,
    };
    const endOfData = new EndOfDataHandler(handlerDeps);
    // grpc-js looks services up per call, so one added after the bind serves from here on.
    grpc.server.addService(CanaryService, canaryService(new CanaryInjector(handlerDeps), logger));
    const smtp = new SmtpListener(
      {
        ...options.smtp,
        serverName: options.smtpHostname,
        ...tlsFiles(options),
        drainSeconds: options.drainSeconds,
        proxyProtocol: options.proxyProtocol,
        proxyPeers: options.proxyPeers,
        clusterNetworks: options.clusterNetworks,
        busMessageBytesLimit:
          options.bus.kind === 'kafka'
            ? options.bus.maxRecordBytes - RECORD_OVERHEAD_BYTES
            : undefined,
      },
      { policy, endOfData, metrics, logger },
    );
    const smtpPort = await smtp.start();
    closers.push(() => smtp.stop());
    closers.push(() => grpc.setHealth('NOT_SERVING'));
    grpc.setHealth('SERVING');
    closers.push(
      watchServiceDependencies(grpc, {
        bus,
        groupId: DELIVERY_GROUP,
        topic: Topics.verdicts,
        policy,
        logger,
      }),
    );
    logger.info({ event: 'interceptor.started', smtp_port: smtpPort }, 'interceptor started');
    return {
      name: 'interceptor',
      ports: { smtp: smtpPort, grpc: grpc.port, metrics: metricsServer.port },
      registry,
      stop: () => closeAll(closers, logger),
    };
  } catch (err) {
    await closeAll(closers, logger);
    throw err;
  }
}

async function startPolicyWatcher(
  options: InterceptorOptions,
  deps: InterceptorDeps,
  registry: Registry,
  closers: Closer[],
): Promise<PolicySource> {
  const watcher = new PolicyWatcher({
    controlPlane: options.controlPlane,
    component: 'interceptor',
    logger: deps.logger,
    registry,
    cacheFile: join(options.stateDir, 'interceptor', 'policy.json'),
  });
  closers.push(() => watcher.stop());
  await watcher.start();
  return watcher;
}

/**
 * Starts the two delivery consumers: one on the verdict topic and one on the delivery-retry
 * topic, sharing the ledger, the deliverer and the Backup client.
 */
async function startDelivery(
  options: InterceptorOptions,
  deps: InterceptorDeps,
  metrics: InterceptorMetrics,
  closers: Closer[],
): Promise<void> {
  const ledger = new DeliveryLedger(
    join(options.stateDir, 'interceptor', 'delivery-ledger.jsonl'),
    deps.logger,
  );
  await ledger.open();
  closers.push(() => ledger.close());
  const schedule: RetrySchedule = {
    delayMs: options.deliveryRetryDelaySeconds * 1000,
    maxAgeMs: options.deliveryMaxAgeSeconds * 1000,
  };
  const sender = createSender(options, deps, metrics, { ledger, schedule }, closers);

  const common = { metrics, logger: deps.logger };
  const consumers = [
    {
      topic: Topics.verdicts,
      groupId: DELIVERY_GROUP,
      handleBatch: new DeliveryHandler({ ...common, ledger, sender, instance: options.instance })
        .handleBatch,
    },
    {
      topic: Topics.deliveryRetry,
      groupId: DELIVERY_RETRY_GROUP,
      handleBatch: new DeliveryRetryHandler({ ...common, sender, schedule }).handleBatch,
    },
  ];
  for (const consumer of consumers) {
    const subscription = await deps.bus.subscribe(consumer);
    closers.push(() => subscription.stop());
  }
  // Runs first at stop: a delivery retrying in process hands its recipients on at once.
  closers.push(() => sender.stop());
}

function createSender(
  options: InterceptorOptions,
  deps: InterceptorDeps,
  metrics: InterceptorMetrics,
  shared: { ledger: DeliveryLedger; schedule: RetrySchedule },
  closers: Closer[],
): DeliverySender {
  const deliverer = createDeliverer(options, metrics);
  closers.push(() => deliverer.close());
  const backup =
    deps.backup ??
    new GrpcBackupStore(options.controlPlane, { errorCode: InterceptorErrorCode.backupFailed });
  if (deps.backup === undefined) closers.push(() => backup.close());
  return new DeliverySender({
    ...shared,
    deliverer,
    backup,
    bus: deps.bus,
    metrics,
    instance: options.instance,
  });
}

function createDeliverer(options: InterceptorOptions, metrics: InterceptorMetrics): Deliverer {
  if (options.nextHop === undefined) return new EmlDeliverer(options.deliveryDir);
  return new SmtpDeliverer({
    nextHop: options.nextHop,
    clientName: options.smtpHostname,
    verifyTls: options.nextHopVerifyTls,
    retrySeconds: options.nextHopRetrySeconds,
    onRetry: (reason) => metrics.errors.inc({ reason }),
  });
}

function tlsFiles(options: InterceptorOptions): {
  tlsCertFile: string | undefined;
  tlsKeyFile: string | undefined;
} {
  return { tlsCertFile: options.tlsCertFile, tlsKeyFile: options.tlsKeyFile };
}

/** Runs the closers in reverse order of start; a failing one does not stop the others. */
async function closeAll(closers: Closer[], logger: Logger): Promise<void> {
  for (const close of closers.reverse()) {
    try {
      await close();
    } catch (err) {
      logger.warn(
        { err, event: 'interceptor.stop_failed' },
        'a part of the interceptor failed to stop; going on',
      );
    }
  }
  closers.length = 0;
}
