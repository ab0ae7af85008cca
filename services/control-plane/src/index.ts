import { ConfigService } from '@mailshield/proto/config';
import { BackupService } from '@mailshield/proto/backup';
import { IntegrityService } from '@mailshield/proto/integrity';
import { LearningService } from '@mailshield/proto/learning';
import { AuditService } from '@mailshield/proto/audit';
import {
  createMetricsRegistry,
  defaultPolicy,
  startGrpcServer,
  startMetricsServer,
  type HostPort,
  type RunningService,
  type ServiceDeps,
} from '@mailshield/common';
import type { Policy } from '@mailshield/proto/policy';
import type { ControlPlaneOptions } from './config.js';
import { backupService } from './grpc/backup-service.js';
import { configService } from './grpc/config-service.js';
import { integrityService } from './grpc/integrity-service.js';
import { learningService } from './grpc/learning-service.js';
import { createHamTeacher } from './backup/teach-ham.js';
import { PolicyBroadcaster } from './grpc/policy-broadcaster.js';
import { IntegrityMonitor } from './integrity/monitor.js';
import { SelfTest } from './integrity/self-test.js';
import { createControlPlaneMetrics } from './metrics.js';
import { createStores } from './stores.js';
import { ignoredSeedVariables } from './policy/seed-check.js';
import { resolveBackupKey } from './backup/backup-key.js';
import { auditService } from './grpc/audit-service.js';
import { BackupRetention, retentionLimits } from './backup/retention.js';

export type { ControlPlaneOptions, MonitoredComponent } from './config.js';
export { readControlPlaneOptions } from './config.js';
export type { PolicyStore, PolicyVersion } from './policy/policy-store.js';
export type { BackupStore, BackupPage, StoredBackup } from './backup/backup-store.js';
export { validatePolicy, normalizePolicy } from './policy/validate.js';
export { FilePolicyStore } from './policy/file-policy-store.js';
export { PgPolicyStore } from './policy/pg-policy-store.js';
export { FileBackupStore } from './backup/file-backup-store.js';
export { PgBackupStore } from './backup/pg-backup-store.js';
export type { AuditEntry, AuditLog, AuditQuery } from './audit/audit-log.js';
export { FileAuditLog } from './audit/file-audit-log.js';
export { PgAuditLog } from './audit/pg-audit-log.js';
export type { LearningStore, StoredModel } from './learning/learning-store.js';
export { FileLearningStore } from './learning/file-learning-store.js';
export { PgLearningStore } from './learning/pg-learning-store.js';
export { IntegrityMonitor } from './integrity/monitor.js';
export {
  BackupUnreadableError,
  ErrorCodes,
  PolicyVersionConflictError,
  StoreCorruptError,
} from './errors.js';
export { BackupKey } from './backup/body-codec.js';

/** gRPC services whose health the control plane reports, beside the overall health. */
const servedServices = [
  'mailshield.v1.Config',
  'mailshield.v1.Backup',
  'mailshield.v1.Integrity',
  'mailshield.v1.Learning',
  'mailshield.v1.Audit',
];

function componentAddress(options: ControlPlaneOptions, name: string): HostPort | undefined {
  return options.components.find((component) => component.name === name)?.address;
}

/** Builds the policy that an empty store starts with, from the seed settings. */
export function seedPolicy(options: ControlPlaneOptions): Policy {
  return {
    ...defaultPolicy(options.seedRelayDomains),
    queueMode: options.seedQueueMode,
    trustedNetworks: options.seedTrustedNetworks,
  };
}

/**
 * Starts the control plane: opens the stores (seeding the policy when empty), serves
 * Config, Backup, Integrity, Learning and health over gRPC, and starts the integrity monitor
 * and the scheduled canary self-test. It depends on no other mailshield service; `deps.bus` is
 * only used to publish releases.
 */
export async function startControlPlane(
  options: ControlPlaneOptions,
  deps: ServiceDeps,
): Promise<RunningService> {
  const { logger } = deps;
  const registry = createMetricsRegistry('control-plane');
  const metrics = createControlPlaneMetrics(registry);
  const backupKey = await resolveBackupKey(options, logger);
  const stores = createStores({ ...options, backupKey });
  await stores.policy.open(seedPolicy(options));
  const ignoredSeed = ignoredSeedVariables(options.seedGiven, await stores.policy.get());
  if (ignoredSeed.length > 0) {
    logger.warn(
      { event: 'policy.seed_ignored', variables: ignoredSeed },
      `${ignoredSeed.join(', ')} ignored: the store already has a policy, and these only seed an ` +
        'empty store; change the policy with mailshieldctl apply',
    );
  }
  await stores.backup.open();
  await stores.learning.open();
  await stores.audit.open();

  const broadcaster = new PolicyBroadcaster(stores.policy, logger, metrics);
  await broadcaster.refresh();
  const monitor = new IntegrityMonitor({
    components: options.components,
    intervalSeconds: options.healthIntervalSeconds,
    timeoutSeconds: options.healthTimeoutSeconds,
    logger,
    metrics,
    ...(options.integrity === undefined ? {} : { settings: options.integrity }),
    identity: options.instance,
  });
  const selfTest = new SelfTest({
    interceptor: componentAddress(options, 'interceptor'),
    intervalSeconds: options.selfTestIntervalSeconds,
    deadlineSeconds: options.selfTestDeadlineSeconds,
    logger,
    metrics,
  });
  const grpc = await startGrpcServer(
    options.bindHost,
    options.grpcPort,
    [
      {
        definition: ConfigService,
        implementation: configService(stores.policy, broadcaster, logger, metrics, stores.audit),
      },
      {
        definition: BackupService,
        implementation: backupService({
          store: stores.backup,
          bus: deps.bus,
          logger,
          metrics,
          instance: options.instance,
          audit: stores.audit,
          teachHam: createHamTeacher(componentAddress(options, 'antispam')),
        }),
      },
      {
        definition: IntegrityService,
        implementation: integrityService(
          monitor,
          broadcaster,
          stores.policy,
          logger,
          metrics,
          selfTest,
        ),
      },
      {
        definition: LearningService,
        implementation: learningService(stores.learning, logger, metrics, stores.audit),
      },
      {
        definition: AuditService,
        implementation: auditService(stores.audit, logger, metrics),
      },
    ],
    logger,
  );
  const metricsServer =
    options.metricsPort === undefined
      ? undefined
      : await startMetricsServer(registry, options.bindHost, options.metricsPort, logger);
  monitor.start();
  const retention = new BackupRetention({
    store: stores.backup,
    limits: retentionLimits(options.backupRetention),
    intervalSeconds: options.backupRetention.intervalSeconds,
    metrics,
    logger,
  });
  retention.start();
  selfTest.start();
  const poller = setInterval(() => {
    broadcaster.refresh().catch((err: unknown) => {
      logger.warn(
        { err, event: 'policy.poll_failed' },
        'reading the policy store failed; retrying at the next poll',
      );
    });
  }, options.policyPollSeconds * 1000);
  grpc.setHealth('SERVING', servedServices);
  logger.info(
    {
      event: 'control_plane.started',
      store: stores.kind,
      grpc_port: grpc.port,
      backup_key_id: backupKey.idHex,
    },
    'control plane started',
  );

  return {
    name: 'control-plane',
    ports: {
      grpc: grpc.port,
      ...(metricsServer === undefined ? {} : { metrics: metricsServer.port }),
    },
    registry,
    async stop() {
      clearInterval(poller);
      grpc.setHealth('NOT_SERVING', servedServices);
      broadcaster.closeAll();
      await grpc.stop();
      await monitor.stop();
      await retention.stop();
      await selfTest.stop();
      await new Promise<void>((resolve) =>
        metricsServer === undefined ? resolve() : metricsServer.server.close(() => resolve()),
      );
      await stores.policy.close();
      await stores.backup.close();
      await stores.learning.close();
      await stores.audit.close();
      await stores.close();
      logger.info({ event: 'control_plane.stopped' }, 'control plane stopped');
    },
  };
}
