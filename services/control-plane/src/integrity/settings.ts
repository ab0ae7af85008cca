import { existsSync, readFileSync } from 'node:fs';
import { EnvReader } from '@mailshield/common';

/** Repair the monitor applies to a component that stays unhealthy. */
export type RestartMode = 'delete-pod' | 'rollout-restart' | 'off';

const restartModes: readonly RestartMode[] = ['delete-pod', 'rollout-restart', 'off'];

/** Kubernetes objects of a component and its restart mode. */
export interface ComponentRepair {
  mode: RestartMode;
  /** Label selector of the component's pods, such as `app.kubernetes.io/component=antivirus`. */
  podSelector: string;
  /** Deployment whose rollout `rollout-restart` restarts. */
  deployment: string;
}

/** Access to the Kubernetes API. */
export interface KubernetesAccess {
  /** kubeconfig file; undefined means the in-cluster service account. */
  kubeconfigFile: string | undefined;
  namespace: string;
}

/** Settings of the integrity monitor's repairs and leader election. */
export interface IntegritySettings {
  /** Undefined outside Kubernetes: the monitor then only reports what it would do. */
  kubernetes: KubernetesAccess | undefined;
  /** Seconds a component stays NOT_SERVING or UNREACHABLE before it is restarted. */
  restartAfterSeconds: number;
  /** Wait after a restart before the next one of the same component, doubled up to the maximum. */
  restartBackoffSeconds: number;
  restartBackoffMaxSeconds: number;
  /** At most `restartMaxPerWindow` restarts of one component in any `restartWindowSeconds`. */
  restartWindowSeconds: number;
  restartMaxPerWindow: number;
  /** Repair settings by component name. */
  repairs: Record<string, ComponentRepair>;
  lease: LeaseSettings;
}

/** Leader lease that the control-plane replicas share. */
export interface LeaseSettings {
  /** Name of the coordination.k8s.io/v1 Lease that the control-plane replicas share. */
  name: string;
  /** Seconds after its last renewal that another replica may take the lease over. */
  durationSeconds: number;
  /** Seconds between two renewals by the holder, at most half of `durationSeconds`. */
  renewSeconds: number;
}

const serviceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * Reads the integrity settings. Kubernetes is used with MAILSHIELD_KUBECONFIG or, inside a pod,
 * with the service account; KUBECONFIG and ~/.kube/config are ignored on purpose, so a
 * developer's cluster is never touched by a local run.
 */
export function readIntegritySettings(
  reader: EnvReader,
  componentNames: string[],
  env: NodeJS.ProcessEnv,
): IntegritySettings {
  const defaultMode = readRestartMode(reader, 'MAILSHIELD_RESTART_MODE', 'delete-pod');
  const repairs: Record<string, ComponentRepair> = {};
  for (const name of componentNames) {
    const prefix = `MAILSHIELD_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
    repairs[name] = {
      mode: readRestartMode(reader, `${prefix}_RESTART_MODE`, defaultMode),
      podSelector: reader.string(
        `${prefix}_POD_SELECTOR`,
        `app.kubernetes.io/part-of=mailshield,app.kubernetes.io/component=${name}`,
      ),
      deployment: reader.string(`${prefix}_DEPLOYMENT`, `mailshield-${name}`),
    };
  }
  const lease: LeaseSettings = {
    name: reader.string('MAILSHIELD_LEASE_NAME', 'mailshield-control-plane'),
    durationSeconds: reader.number('MAILSHIELD_LEASE_DURATION_SECONDS', 15, 1),
    renewSeconds: reader.number('MAILSHIELD_LEASE_RENEW_SECONDS', 5, 0.05),
  };
  if (lease.renewSeconds * 2 > lease.durationSeconds) {
    reader.problem(
      `MAILSHIELD_LEASE_RENEW_SECONDS=${lease.renewSeconds} is invalid: it must be at most half ` +
        `of MAILSHIELD_LEASE_DURATION_SECONDS=${lease.durationSeconds}, so one late renewal ` +
        'does not cost the leader its lease',
    );
  }
  const restartBackoffSeconds = reader.number('MAILSHIELD_RESTART_BACKOFF_SECONDS', 30, 0);
  return {
    kubernetes: readKubernetesAccess(reader, env),
    restartAfterSeconds: reader.number('MAILSHIELD_RESTART_AFTER_SECONDS', 120, 0),
    restartBackoffSeconds,
    restartBackoffMaxSeconds: reader.number(
      'MAILSHIELD_RESTART_BACKOFF_MAX_SECONDS',
      Math.max(600, restartBackoffSeconds),
      restartBackoffSeconds,
    ),
    restartWindowSeconds: reader.number('MAILSHIELD_RESTART_WINDOW_SECONDS', 3600, 1),
    restartMaxPerWindow: reader.integer('MAILSHIELD_RESTART_MAX_PER_WINDOW', 3, 1),
    repairs,
    lease,
  };
}

function readRestartMode(reader: EnvReader, name: string, fallback: RestartMode): RestartMode {
  const raw = reader.string(name, fallback);
  if ((restartModes as readonly string[]).includes(raw)) return raw as RestartMode;
  reader.problem(`${name}=${raw} is invalid: expected ${restartModes.join(', ')}`);
  return fallback;
}

function readKubernetesAccess(
  reader: EnvReader,
  env: NodeJS.ProcessEnv,
): KubernetesAccess | undefined {
  const kubeconfigFile = reader.optionalString('MAILSHIELD_KUBECONFIG');
  const isInCluster =
    env['KUBERNETES_SERVICE_HOST'] !== undefined && existsSync(`${serviceAccountDir}/token`);
  if (kubeconfigFile === undefined && !isInCluster) return undefined;
  if (kubeconfigFile !== undefined && !existsSync(kubeconfigFile)) {
    reader.problem(
      `MAILSHIELD_KUBECONFIG=${kubeconfigFile} is invalid: file not found. ` +
        'Set it to an existing kubeconfig file or unset it.',
    );
  }
  return {
    kubeconfigFile,
    namespace: reader.string('MAILSHIELD_KUBERNETES_NAMESPACE', podNamespace()),
  };
}

/** Namespace of this pod from its service account, or "default" outside a pod. */
function podNamespace(): string {
  try {
    return readFileSync(`${serviceAccountDir}/namespace`, 'utf8').trim();
  } catch {
    return 'default';
  }
}

/** Builds the settings of an empty environment, which is a dry run outside Kubernetes. */
export function defaultIntegritySettings(componentNames: string[]): IntegritySettings {
  return readIntegritySettings(new EnvReader({}), componentNames, {});
}
