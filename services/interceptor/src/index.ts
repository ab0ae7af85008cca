import { join } from 'node:path';
import {
  createMetricsRegistry,
  PolicyWatcher,
  startGrpcServer,
  startMetricsServer,
  Topics,
  type Logger,
  type PolicySource,
  type RunningService,
  type ServiceDeps,
} from '@mailshield/common';
import type { Registry } from 'prom-client';
import { DeliveryLedger } from './adapters/delivery-ledger.js';
import type { Deliverer } from './adapters/deliverer.js';
import { EmlDeliverer } from './adapters/eml-deliverer.js';
import { SmtpDeliverer } from './adapters/smtp-deliverer.js';
import { SmtpListener } from './adapters/smtp-listener.js';
import { startVerdictListener } from './adapters/verdict-listener.js';
import type { InterceptorOptions } from './config.js';
import { DeliveryHandler } from './handlers/delivery.js';
import { EndOfDataHandler } from './handlers/end-of-data.js';
import { VerdictWaiter } from './handlers/verdict-waiter.js';
import { createInterceptorMetrics, type InterceptorMetrics } from './metrics.js';

export { readInterceptorOptions, type InterceptorOptions } from './config.js';

/** Consumer group of the delivery consumer, shared by every interceptor instance. */
export const DELIVERY_GROUP = 'mailshield-delivery';

export interface InterceptorDeps extends ServiceDeps {
  /**
   * Policy in force. Default: a PolicyWatcher on the control plane, started here. Its
   * `current()` must not throw once the interceptor has started.
   */
  policy?: PolicySource;
  /** Registry for the interceptor's metrics. Default: a new one. */
  registry?: Registry;
}

type Closer = () => Promise<void> | void;

/** Room left in a Kafka record for the envelope, outcomes and headers around the message. */
const RECORD_OVERHEAD_BYTES = 1024 * 1024;

/**
 * Starts the interceptor: the SMTP listener, the before-queue verdict listener, the delivery
 * consumer, the gRPC health server and the metrics server. Resolves once SMTP listens and the
 * health is SERVING; `ports` contains the bound `smtp`, `grpc` and `metrics` ports. Waits for the
 * first policy when none is given and the control plane has not sent one yet.
 */
export async function startInterceptor(
  options: InterceptorOptions,
  deps: InterceptorDeps,
): Promise<RunningService> {
  const { bus, logger } = deps;
  const registry = deps.registry ?? createMetricsRegistry('interceptor');
  const metrics = createInterceptorMetrics(registry, () =>
    bus.lag(DELIVERY_GROUP, Topics.verdicts),
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
    const endOfData = new EndOfDataHandler({
      bus,
      policy,
      waiter,
      metrics,
      logger,
      instance: options.instance,
      serverName: options.smtpHostname,
    });
    const smtp = new SmtpListener(
      {
        ...options.smtp,
        serverName: options.smtpHostname,
        ...tlsFiles(options),
        drainSeconds: options.drainSeconds,
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
  const deliverer = createDeliverer(options, metrics);
  closers.push(() => deliverer.close());
  const handler = new DeliveryHandler({
    ledger,
    deliverer,
    metrics,
    logger: deps.logger,
    instance: options.instance,
  });
  const subscription = await deps.bus.subscribe({
    topic: Topics.verdicts,
    groupId: DELIVERY_GROUP,
    handleBatch: handler.handleBatch,
  });
  closers.push(() => subscription.stop());
  closers.push(() => handler.stop());
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
