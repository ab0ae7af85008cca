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
  selfTestPassed: Gauge;
  selfTestRuns: Counter<'result'>;
  selfTestDuration: Histogram;
}

export function createControlPlaneMetrics(registry: Registry): ControlPlaneMetrics {
  const registers = [registry];
  return {
    componentUp: new Gauge({
      name: 'mailshield_control_plane_component_up',
      help: '1 when the last health check of the component returned SERVING, 0 otherwise.',
      labelNames: ['component'],
      registers,
    }),
    healthChecks: new Counter({
      name: 'mailshield_control_plane_health_checks_total',
      help: 'Health checks of components, by result: serving, not_serving or unreachable.',
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
