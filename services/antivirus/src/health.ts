import {
  DEGRADED_HEALTH_SERVICE,
  dependencyHealthService,
  DependencyNames,
  formatHostPort,
  type GrpcServerHandle,
  type Logger,
  type PolicySource,
} from '@mailshield/common';
import type { EndpointState } from './engine/clamd-pool.js';
import type { AntivirusMetrics } from './metrics.js';
import type { RamStore } from './store/ram-store.js';

const SERVICE = 'mailshield.v1.Antivirus';

/** Dependencies and settings of the health checks. */
export interface HealthContext {
  server: GrpcServerHandle;
  engine: { refresh(timeoutSeconds: number): Promise<EndpointState[]> };
  store: RamStore | undefined;
  policy: PolicySource;
  metrics: AntivirusMetrics;
  logger: Logger;
  intervalSeconds: number;
  /** Signatures older than this make the service degraded, in seconds. */
  signatureMaxAgeSeconds: number;
}

/**
 * Checks every `intervalSeconds`: SERVING while a policy is loaded and at least one clamd
 * endpoint responds, NOT_SERVING otherwise. Old signatures keep the service serving, since
 * they still catch most malware, but mark it degraded. Returns a function that stops the checks.
 */
export function watchHealth(context: HealthContext): () => void {
  let last: { isServing: boolean; isStale: boolean } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let isStopped = false;
  const check = async (): Promise<void> => {
    const hasPolicy = hasCurrentPolicy(context.policy);
    const endpoints = await context.engine.refresh(Math.min(2, context.intervalSeconds));
    if (isStopped) return;
    const staleEndpoints = exportEndpoints(context, endpoints);
    context.metrics.storeBytes.set(context.store?.bytesInUse ?? 0);
    const isServing = hasPolicy && endpoints.some((endpoint) => endpoint.isUp);
    const isStale = staleEndpoints.length > 0;
    context.server.setHealth(isServing ? 'SERVING' : 'NOT_SERVING', [SERVICE]);
    context.server.setServiceHealth(DEGRADED_HEALTH_SERVICE, isStale ? 'NOT_SERVING' : 'SERVING');
    const isClamdUp = endpoints.some((endpoint) => endpoint.isUp);
    context.server.setServiceHealth(
      dependencyHealthService(DependencyNames.clamd),
      isClamdUp ? 'SERVING' : 'NOT_SERVING',
    );
    context.server.setServiceHealth(
      dependencyHealthService(DependencyNames.signatures),
      isStale ? 'NOT_SERVING' : 'SERVING',
    );
    if (last?.isServing !== isServing || last.isStale !== isStale) {
      logChange(context.logger, { isServing, isStale, hasPolicy, endpoints, staleEndpoints });
      last = { isServing, isStale };
    }
    timer = setTimeout(() => void check(), context.intervalSeconds * 1000);
  };
  void check();
  return () => {
    isStopped = true;
    clearTimeout(timer);
  };
}

/** Sets the endpoint metrics and returns the endpoints whose signatures are too old. */
function exportEndpoints(context: HealthContext, endpoints: EndpointState[]): string[] {
  const stale: string[] = [];
  for (const endpoint of endpoints) {
    const label = { endpoint: formatHostPort(endpoint.address) };
    context.metrics.endpointUp.set(label, endpoint.isUp ? 1 : 0);
    context.metrics.scansInFlight.set(label, endpoint.scansInFlight);
    context.metrics.signatureVersion.set(label, endpoint.databaseVersion ?? 0);
    if (endpoint.databaseTime === undefined) continue;
    const ageSeconds = (Date.now() - endpoint.databaseTime.getTime()) / 1000;
    context.metrics.signatureAge.set(label, ageSeconds);
    if (ageSeconds > context.signatureMaxAgeSeconds) stale.push(label.endpoint);
  }
  context.metrics.signaturesStale.set(stale.length > 0 ? 1 : 0);
  return stale;
}

function logChange(
  logger: Logger,
  state: {
    isServing: boolean;
    isStale: boolean;
    hasPolicy: boolean;
    endpoints: EndpointState[];
    staleEndpoints: string[];
  },
): void {
  const fields = {
    event: 'health.changed',
    serving: state.isServing,
    degraded: state.isStale,
    policy_loaded: state.hasPolicy,
    clamd_up: state.endpoints
      .filter((endpoint) => endpoint.isUp)
      .map((e) => formatHostPort(e.address)),
    stale_signatures: state.staleEndpoints,
  };
  if (!state.isServing) logger.warn(fields, 'antivirus is not serving');
  else if (state.isStale) logger.warn(fields, 'antivirus is serving with stale signatures');
  else logger.info(fields, 'antivirus is serving');
}

function hasCurrentPolicy(policy: PolicySource): boolean {
  try {
    policy.current();
    return true;
  } catch {
    return false;
  }
}
