import type { GrpcServerHandle, Logger, PolicySource } from '@mailshield/common';
import type { Scanner } from './engine/clamd-scanner.js';

/**
 * Sets gRPC health every `intervalSeconds`: SERVING while a policy is loaded and clamd
 * replies to PING, NOT_SERVING otherwise. Returns a function that stops the checks.
 */
export function watchHealth(
  server: GrpcServerHandle,
  scanner: Scanner,
  policy: PolicySource,
  intervalSeconds: number,
  logger: Logger,
): () => void {
  let lastServing: boolean | undefined;
  let timer: NodeJS.Timeout | undefined;
  let isStopped = false;
  const check = async (): Promise<void> => {
    const hasPolicy = hasCurrentPolicy(policy);
    const isClamdUp = await scanner.ping(Math.min(2, intervalSeconds));
    const isServing = hasPolicy && isClamdUp;
    if (isStopped) return;
    server.setHealth(isServing ? 'SERVING' : 'NOT_SERVING', ['mailshield.v1.Antivirus']);
    if (isServing !== lastServing) {
      const fields = {
        event: 'health.changed',
        serving: isServing,
        policy_loaded: hasPolicy,
        clamd_up: isClamdUp,
      };
      if (isServing) logger.info(fields, 'antivirus is serving');
      else logger.warn(fields, 'antivirus is not serving');
      lastServing = isServing;
    }
    timer = setTimeout(() => void check(), intervalSeconds * 1000);
  };
  void check();
  return () => {
    isStopped = true;
    clearTimeout(timer);
  };
}

function hasCurrentPolicy(policy: PolicySource): boolean {
  try {
    policy.current();
    return true;
  } catch {
    return false;
  }
}
