import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Every metric of the control plane, registered on the service's registry. */
export interface ControlPlaneMetrics {
  componentUp: Gauge<'component'>;
  healthChecks: Counter<'component' | 'result'>;
  backupStored: Counter<'status'>;
  backupReleased: Counter;
  policyVersion: Gauge;
  policyWatchers: Gauge;
  grpcErrors: Counter<'method' | 'code'>;
  backupDeleted: Counter;
  backupPurged: Counter<'reason'>;
  backupPurgedBytes: Counter<'reason'>;
  backupMessages: Gauge;
  backupBytes: Gauge;
  dependencyUp: Gauge<'component' | 'dependency'>;
  restarts: Counter<'component' | 'action' | 'result' | 'dry_run'>;
  leader: Gauge;
  selfTestPassed: Gauge;
  selfTestRuns: Counter<'result'>;
  selfTestDuration: Histogram;
}

export function createControlPlaneMetrics(registry: Registry): ControlPlaneMetrics {
  const registers = [registry];
  return {
    componentUp: new Gauge({
      name: 'mailshield_control_plane_component_up',
      help: '1 when every watched instance of the component is SERVING or DEGRADED, 0 otherwise.',
      labelNames: ['component'],
      registers,
    }),
    healthChecks: new Counter({
      name: 'mailshield_control_plane_health_checks_total',
      help:
        'Health changes of component instances seen on their Watch streams, by the new ' +
        'health: serving, degraded, not_serving, unreachable or unknown.',
      labelNames: ['component', 'result'],
      registers,
    }),
    backupStored: new Counter({
      name: 'mailshield_control_plane_backup_stored_total',
      help: 'Messages newly stored in Backup, by the status that caused the backup.',
      labelNames: ['status'],
      registers,
    }),
    backupReleased: new Counter({
      name: 'mailshield_control_plane_backup_released_total',
      help: 'Messages released from Backup into the delivery path.',
      registers,
    }),
    policyVersion: new Gauge({
      name: 'mailshield_control_plane_policy_version',
      help: 'Version of the current policy.',
      registers,
    }),
    policyWatchers: new Gauge({
      name: 'mailshield_control_plane_policy_watchers',
      help: 'Open Config.Watch streams.',
      registers,
    }),
    grpcErrors: new Counter({
      name: 'mailshield_control_plane_grpc_errors_total',
      help: 'gRPC calls that failed, by method and status code name.',
      labelNames: ['method', 'code'],
      registers,
    }),
    backupDeleted: new Counter({
      name: 'mailshield_control_plane_backup_deleted_total',
      help: 'Messages deleted from Backup by an administrator.',
      registers,
    }),
    backupPurged: new Counter({
      name: 'mailshield_control_plane_backup_purged_total',
      help: 'Messages removed from Backup by retention, by the limit that removed them: age, size or count.',
      labelNames: ['reason'],
      registers,
    }),
    backupPurgedBytes: new Counter({
      name: 'mailshield_control_plane_backup_purged_bytes_total',
      help: 'Original size of the messages removed from Backup by retention, by the limit that removed them.',
      labelNames: ['reason'],
      registers,
    }),
    backupMessages: new Gauge({
      name: 'mailshield_control_plane_backup_messages',
      help: 'Messages in Backup, as of the last retention run.',
      registers,
    }),
    backupBytes: new Gauge({
      name: 'mailshield_control_plane_backup_bytes',
      help: 'Original size of the messages in Backup, as of the last retention run.',
      registers,
    }),
    dependencyUp: new Gauge({
      name: 'mailshield_control_plane_dependency_up',
      help: '1 when every watched instance of the component reports the dependency SERVING, 0 otherwise.',
      labelNames: ['component', 'dependency'],
      registers,
    }),
    restarts: new Counter({
      name: 'mailshield_control_plane_restarts_total',
      help:
        'Restarts of components by the integrity monitor, by action (delete_pod, rollout_restart) ' +
        'and result (done, failed); dry_run="true" counts those it only reported outside Kubernetes.',
      labelNames: ['component', 'action', 'result', 'dry_run'],
      registers,
    }),
    leader: new Gauge({
      name: 'mailshield_control_plane_leader',
      help: '1 while this replica is the leader lease holder and may restart components, 0 otherwise.',
      registers,
    }),
    selfTestPassed: new Gauge({
      name: 'mailshield_control_plane_self_test_passed',
      help: '1 when the last canary self-test passed, 0 when it failed; absent before the first run.',
      registers,
    }),
    selfTestRuns: new Counter({
      name: 'mailshield_control_plane_self_test_runs_total',
      help: 'Canary self-test runs, scheduled and on demand, by result: passed or failed.',
      labelNames: ['result'],
      registers,
    }),
    selfTestDuration: new Histogram({
      name: 'mailshield_control_plane_self_test_duration_seconds',
      help: 'Time of one canary self-test run, from the start to the last verdict or deadline.',
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    }),
  };
}
