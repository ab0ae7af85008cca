import type { MessageBus } from '../bus/types.js';
import type { Logger } from '../logger.js';
import type { PolicySource } from '../policy/policy-source.js';
import { PolicyWatcher } from '../policy/watcher.js';
import type { GrpcServerHandle } from './server.js';

/**
 * Prefix of the health services through which a component reports what it depends on, such as
 * `mailshield.dependency.kafka`. The control plane's integrity monitor watches them.
 */
export const DEPENDENCY_HEALTH_PREFIX = 'mailshield.dependency.';

/** Dependency names the services report; the integrity monitor watches each of them. */
export const DependencyNames = {
  kafka: 'kafka',
  clamd: 'clamd',
  signatures: 'signatures',
  controlPlane: 'control-plane',
} as const;

/** Health service name of dependency `name`. */
export function dependencyHealthService(name: string): string {
  return `${DEPENDENCY_HEALTH_PREFIX}${name}`;
}

/** Returns true while the dependency works; a throw or a timeout counts as false. */
export type DependencyProbe = () => Promise<boolean> | boolean;

export interface DependencyWatchOptions {
  intervalSeconds: number;
  /** Deadline of one probe, in seconds. */
  timeoutSeconds: number;
  logger: Logger;
}

/**
 * Runs every probe each `intervalSeconds` and sets the dependency's health service to SERVING
 * or NOT_SERVING. A probe that times out counts as failed. When it is still running at the
 * next round, that round waits on it again instead of starting another, so a hanging
 * dependency does not pile up calls. Returns a function that stops the rounds.
 */
export function watchDependencies(
  server: Pick<GrpcServerHandle, 'setServiceHealth'>,
  probes: Record<string, DependencyProbe>,
  options: DependencyWatchOptions,
): () => void {
  const names = Object.keys(probes);
  if (names.length === 0) return () => undefined;
  const inFlight = new Map<string, Promise<boolean>>();
  const last = new Map<string, boolean>();
  let timer: NodeJS.Timeout | undefined;
  let isStopped = false;

  const probeOne = async (name: string): Promise<boolean> => {
    let pending = inFlight.get(name);
    if (pending === undefined) {
      pending = Promise.resolve()
        .then(() => probes[name]!())
        .catch(() => false)
        .finally(() => inFlight.delete(name));
      inFlight.set(name, pending);
    }
    let deadline: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      deadline = setTimeout(() => resolve(false), options.timeoutSeconds * 1000);
    });
    const isUp = await Promise.race([pending, timeout]);
    clearTimeout(deadline);
    return isUp;
  };

  const round = async (): Promise<void> => {
    const results = await Promise.all(names.map((name) => probeOne(name)));
    if (isStopped) return;
    names.forEach((name, i) => {
      const isUp = results[i]!;
      server.setServiceHealth(dependencyHealthService(name), isUp ? 'SERVING' : 'NOT_SERVING');
      if (last.get(name) === isUp) return;
      last.set(name, isUp);
      const fields = { event: 'health.dependency_changed', dependency: name, serving: isUp };
      if (isUp) options.logger.info(fields, 'dependency is serving');
      else options.logger.warn(fields, 'dependency is not serving');
    });
    timer = setTimeout(() => void round(), options.intervalSeconds * 1000);
  };
  void round();
  return () => {
    isStopped = true;
    clearTimeout(timer);
  };
}

/**
 * Probe of the message bus: a lag query, which on Kafka is a metadata and offsets request to
 * the brokers. Returns undefined for buses other than Kafka, which have no separate server.
 */
export function kafkaProbe(
  bus: MessageBus,
  groupId: string,
  topic: string,
): DependencyProbe | undefined {
  if (bus.kind !== 'kafka') return undefined;
  return async () => {
    await bus.lag(groupId, topic);
    return true;
  };
}

/** Dependencies every service has: its message bus and, when it watches one, the control plane. */
export interface ServiceDependencies {
  bus: MessageBus;
  /** Consumer group and topic whose lag the Kafka probe queries. */
  groupId: string;
  topic: string;
  policy: PolicySource;
  logger: Logger;
}

/**
 * Reports `mailshield.dependency.kafka` (Kafka buses only) and
 * `mailshield.dependency.control-plane` (when the policy comes from a PolicyWatcher, which is
 * connected while its Config.Watch stream is open), checked every 5 seconds.
 */
export function watchServiceDependencies(
  server: Pick<GrpcServerHandle, 'setServiceHealth'>,
  dependencies: ServiceDependencies,
): () => void {
  const probes: Record<string, DependencyProbe> = {};
  const kafka = kafkaProbe(dependencies.bus, dependencies.groupId, dependencies.topic);
  if (kafka !== undefined) probes[DependencyNames.kafka] = kafka;
  const policy = dependencies.policy;
  if (policy instanceof PolicyWatcher)
    probes[DependencyNames.controlPlane] = () => policy.isConnected;
  return watchDependencies(server, probes, {
    intervalSeconds: 5,
    timeoutSeconds: 3,
    logger: dependencies.logger,
  });
}
