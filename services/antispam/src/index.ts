import { join } from 'node:path';
import type { Server } from 'node:http';
import {
  GrpcBackupStore,
  type BackupStore,
  createMetricsRegistry,
  getTracer,
  PolicyWatcher,
  startGrpcServer,
  startMetricsServer,
  Topics,
  UnavailableError,
  type PolicySource,
  type RunningService,
  type ServiceDeps,
  type Subscription,
  watchServiceDependencies,
} from '@mailshield/common';
import { AntispamService } from '@mailshield/proto/antispam';
import type { Policy } from '@mailshield/proto/policy';
import type { AntispamOptions } from './config.js';
import { ANTISPAM_GROUP, startConsumer } from './consumer.js';
import { defaultChecks, ScoringEngine } from './engine/engine.js';
import type { Check } from './engine/types.js';
import { AntispamReason } from './errors.js';
import { createBayesCheck } from './engine/checks/bayes.js';
import { createAntispamServer } from './grpc-service.js';
import { GrpcLearningApi, type LearningApi } from './learning/learning-client.js';
import { ModelHolder } from './learning/model-holder.js';
import { createAntispamMetrics } from './metrics.js';
import { networkChecks } from './network-checks.js';
import type { StageDeps } from './stage.js';

export type { AntispamOptions, AntispamConfig } from './config.js';
export { readAntispamConfig } from './config.js';
export {
  ScoringEngine,
  defaultChecks,
  type ScoreResult,
  type ScoredFinding,
} from './engine/engine.js';
export type { Check, CheckContext, Finding, FindingEffect, ParsedMessage } from './engine/types.js';
export type { SpamStatus } from './engine/status.js';
export { parseAddressList, parsePath, type Mailbox } from './engine/address.js';
export { ANTISPAM_GROUP } from './consumer.js';
export { networkChecks } from './network-checks.js';
export {
  authenticationCheck,
  type AuthenticationCheckOptions,
} from './engine/checks/authentication.js';
export { AUTH_SCORES } from './engine/checks/authentication-findings.js';
export { dnsblCheck, type DnsblCheckOptions } from './engine/checks/dnsbl.js';
export { ModelHolder } from './learning/model-holder.js';
export { GrpcLearningApi, type LearningApi } from './learning/learning-client.js';
export { createDnsResolver, type DnsResolver, type DnsResolverOptions } from './dns/resolver.js';

/** What the process hands the antispam service; the optional parts replace the defaults, for tests and the gateway. */
export interface AntispamDeps extends ServiceDeps {
  /** Policy in force; a PolicyWatcher on options.controlPlane when absent. */
  policy?: PolicySource;
  /** Backup store for originals; Backup.Store on options.controlPlane when absent. */
  backup?: BackupStore;
  /**
   * Checks to run; when absent, defaultChecks, the bayes check on the shared model and the
   * DNS checks of `networkChecks`.
   */
  checks?: readonly Check[];
  /** The control plane's Learning service; Learning on options.controlPlane when absent. */
  learning?: LearningApi;
}

/** gRPC service name used for per-service health. */
const SERVICE_NAME = 'mailshield.v1.Antispam';

/**
 * Starts the antispam service: gRPC (ScoreMessage and health), metrics, the policy watch and
 * the consumer of the scanned topic. Health turns SERVING once a policy is in force and the
 * consumer is subscribed. Rejects if a server cannot bind or the bus refuses the subscription.
 */
export async function startAntispam(
  options: AntispamOptions,
  deps: AntispamDeps,
): Promise<RunningService> {
  const logger = deps.logger.child({ component: 'antispam' });
  const registry = createMetricsRegistry('antispam');
  const metrics = createAntispamMetrics(registry, () =>
    deps.bus.lag(ANTISPAM_GROUP, Topics.scanned),
  );
  const cleanups: (() => Promise<void> | void)[] = [];
  const cleanup = async () => {
    for (const step of cleanups.reverse()) await step();
  };
  try {
    const watcher =
      deps.policy ??
      new PolicyWatcher({
        controlPlane: options.controlPlane,
        component: 'antispam',
        logger,
        registry,
        cacheFile: join(options.stateDir, 'antispam', 'policy.json'),
      });
    if (watcher instanceof PolicyWatcher && deps.policy === undefined)
      cleanups.push(() => watcher.stop());
    const currentPolicy = (): Policy => {
      try {
        return watcher.current();
      } catch (err) {
        throw new UnavailableError(
          AntispamReason.noPolicy,
          'no policy has been received from the control plane yet',
          { cause: err },
        );
      }
    };
    const learning =
      deps.learning ??
      new GrpcLearningApi(options.controlPlane, options.learningTimeoutSeconds ?? 10);
    if (deps.learning === undefined) cleanups.push(() => learning.close());
    const holder = createModelHolder(options, learning, logger);
    await holder.start();
    cleanups.push(() => holder.stop());
    const checks = deps.checks ?? [
      ...defaultChecks,
      createBayesCheck(() => holder.current),
      ...networkChecks(options, logger),
    ];
    const engine = new ScoringEngine(checks, {
      onCheckFailed: (check, err) =>
        logger.warn(
          { err, event: 'antispam.check_failed', check },
          'a check failed, so the message is scored without it',
        ),
    });
    const stage: StageDeps = {
      engine,
      metrics,
      logger,
      tracer: getTracer('mailshield-antispam'),
      instance: options.instance,
      scanTimeoutSeconds: options.scanTimeoutSeconds,
    };
    const grpc = await startGrpcServer(
      options.bindHost,
      options.grpcPort,
      [
        {
          definition: AntispamService,
          implementation: createAntispamServer(stage, currentPolicy, logger, {
            learning,
            holder,
            logger,
          }),
        },
      ],
      logger,
    );
    cleanups.push(() => grpc.stop());
    const metricsServer = await startMetricsServer(
      registry,
      options.bindHost,
      options.metricsPort,
      logger,
    );
    cleanups.push(() => closeHttp(metricsServer.server));
    if (watcher instanceof PolicyWatcher && deps.policy === undefined) await watcher.start();
    const backup =
      deps.backup ??
      new GrpcBackupStore(options.controlPlane, {
        timeoutSeconds: options.backupTimeoutSeconds,
        errorCode: AntispamReason.backupFailed,
      });
    if (deps.backup === undefined) cleanups.push(() => backup.close());
    const subscription: Subscription = await startConsumer({
      bus: deps.bus,
      stage,
      backup,
      currentPolicy,
      concurrency: options.concurrency,
      logger,
      metrics,
    });
    grpc.setHealth('SERVING', [SERVICE_NAME]);
    cleanups.push(
      watchServiceDependencies(grpc, {
        bus: deps.bus,
        groupId: ANTISPAM_GROUP,
        topic: Topics.scanned,
        policy: watcher,
        logger,
      }),
    );
    logger.info(
      { event: 'antispam.started', grpc_port: grpc.port, metrics_port: metricsServer.port },
      'antispam started',
    );
    return {
      name: 'antispam',
      ports: { grpc: grpc.port, metrics: metricsServer.port },
      registry,
      async stop() {
        grpc.setHealth('NOT_SERVING', [SERVICE_NAME]);
        await subscription.stop();
        await cleanup();
        logger.info({ event: 'antispam.stopped' }, 'antispam stopped');
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

function createModelHolder(
  options: AntispamOptions,
  learning: LearningApi,
  logger: AntispamDeps['logger'],
): ModelHolder {
  return new ModelHolder({
    learning,
    refreshSeconds: options.modelRefreshSeconds ?? 10,
    cacheFile: join(options.stateDir, 'antispam', 'bayes-model.json'),
    model: {
      minSpamMessages: options.bayesMinSpamMessages ?? 200,
      minHamMessages: options.bayesMinHamMessages ?? 200,
    },
    logger,
  });
}

function closeHttp(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
