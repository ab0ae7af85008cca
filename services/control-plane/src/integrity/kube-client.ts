import { randomBytes } from 'node:crypto';
import {
  ApiException,
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  V1MicroTime,
  type CoreV1Event,
  type V1Lease,
} from '@kubernetes/client-node';
import type { KubernetesAccess } from './settings.js';

/** A running pod of a component, with the address its gRPC health server listens on. */
export interface PodTarget {
  name: string;
  uid: string;
  ip: string;
}

/** The object a Kubernetes Event is about. */
export interface EventSubject {
  kind: 'Pod' | 'Deployment';
  apiVersion: string;
  name: string;
  uid?: string;
}

/** A lease as read, with the resourceVersion an update must carry. */
export interface LeaseRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  renewTime: Date | undefined;
  acquireTime: Date | undefined;
  leaseTransitions: number;
  resourceVersion: string;
}

/**
 * The Kubernetes API calls the integrity monitor makes, all in one namespace.
 * NOTE: tests run these calls only against the fake API server in `testing/`. No real API
 * server has checked their bodies (Event and Lease fields, the patch) yet.
 */
export class KubeClient {
  private readonly core: CoreV1Api;
  private readonly apps: AppsV1Api;
  private readonly coordination: CoordinationV1Api;

  constructor(
    config: KubeConfig,
    readonly namespace: string,
    /** Deadline of one API call, in seconds, after which the call fails. */
    private readonly requestTimeoutSeconds = 10,
  ) {
    this.core = config.makeApiClient(CoreV1Api);
    this.apps = config.makeApiClient(AppsV1Api);
    this.coordination = config.makeApiClient(CoordinationV1Api);
  }

  /** Opens the API from a kubeconfig file or, without one, the pod's service account. */
  static fromAccess(access: KubernetesAccess): KubeClient {
    const config = new KubeConfig();
    if (access.kubeconfigFile === undefined) config.loadFromCluster();
    else config.loadFromFile(access.kubeconfigFile);
    return new KubeClient(config, access.namespace);
  }

  /**
   * Lists the pods matching `labelSelector` that run and have an address. Pods already being
   * deleted are left out, since their replacement is on its way.
   */
  async listPods(labelSelector: string): Promise<PodTarget[]> {
    const list = await this.timed(
      this.core.listNamespacedPod({ namespace: this.namespace, labelSelector }),
    );
    const pods: PodTarget[] = [];
    for (const pod of list.items) {
      const name = pod.metadata?.name;
      const ip = pod.status?.podIP;
      if (name === undefined || ip === undefined || ip === '') continue;
      if (pod.metadata?.deletionTimestamp !== undefined) continue;
      if (pod.status?.phase !== 'Running') continue;
      pods.push({ name, uid: pod.metadata?.uid ?? '', ip });
    }
    return pods;
  }

  /** Deletes a pod, so that its ReplicaSet or StatefulSet creates a replacement. */
  async deletePod(name: string): Promise<void> {
    await this.timed(this.core.deleteNamespacedPod({ name, namespace: this.namespace }));
  }

  /**
   * Restarts a Deployment's rollout the way `kubectl rollout restart` does: a new
   * `kubectl.kubernetes.io/restartedAt` annotation on the pod template makes a new ReplicaSet.
   */
  async restartDeployment(name: string, at: Date): Promise<void> {
    const body = {
      spec: {
        template: {
          metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': at.toISOString() } },
        },
      },
    };
    await this.timed(
      this.apps.patchNamespacedDeployment(
        { name, namespace: this.namespace, body },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      ),
    );
  }

  /** Records a core/v1 Event on `subject`, as `kubectl describe` shows it. */
  async createEvent(
    subject: EventSubject,
    event: { reason: string; message: string; type: 'Normal' | 'Warning'; reporter: string },
  ): Promise<void> {
    const now = new Date();
    const body: CoreV1Event = {
      metadata: {
        name: `${subject.name}.${randomBytes(8).toString('hex')}`,
        namespace: this.namespace,
      },
      involvedObject: {
        kind: subject.kind,
        apiVersion: subject.apiVersion,
        name: subject.name,
        namespace: this.namespace,
        ...(subject.uid === undefined || subject.uid === '' ? {} : { uid: subject.uid }),
      },
      reason: event.reason,
      message: event.message,
      type: event.type,
      source: { component: 'mailshield-control-plane' },
      reportingComponent: 'mailshield-control-plane',
      reportingInstance: event.reporter,
      firstTimestamp: now,
      lastTimestamp: now,
      eventTime: new V1MicroTime(now.getTime()),
      action: 'Restart',
      count: 1,
    };
    await this.timed(this.core.createNamespacedEvent({ namespace: this.namespace, body }));
  }

  /** Rejects when `request` runs past the timeout, so a hung API server cannot stall a round. */
  private timed<T>(request: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new Error(`Kubernetes API call timed out after ${this.requestTimeoutSeconds} s`)),
        this.requestTimeoutSeconds * 1000,
      );
    });
    return Promise.race([request, timeout]).finally(() => clearTimeout(timer));
  }

  /** Reads a lease, or returns undefined when it does not exist. */
  async readLease(name: string): Promise<LeaseRecord | undefined> {
    try {
      const lease = await this.timed(
        this.coordination.readNamespacedLease({ name, namespace: this.namespace }),
      );
      return toLeaseRecord(lease);
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return undefined;
      throw err;
    }
  }

  /** Creates a lease, or resolves false when another replica created it first. */
  async createLease(name: string, spec: Omit<LeaseRecord, 'resourceVersion'>): Promise<boolean> {
    return falseOnConflict(
      this.timed(
        this.coordination.createNamespacedLease({
          namespace: this.namespace,
          body: { metadata: { name, namespace: this.namespace }, spec: toLeaseSpec(spec) },
        }),
      ),
    );
  }

  /**
   * Replaces a lease if it is still at `resourceVersion`, or resolves false when another
   * replica changed it in between (the API server returns 409 Conflict).
   */
  async replaceLease(name: string, lease: LeaseRecord): Promise<boolean> {
    return falseOnConflict(
      this.timed(
        this.coordination.replaceNamespacedLease({
          name,
          namespace: this.namespace,
          body: {
            metadata: { name, namespace: this.namespace, resourceVersion: lease.resourceVersion },
            spec: toLeaseSpec(lease),
          },
        }),
      ),
    );
  }
}

/** Resolves true once `request` succeeds, or false when the API server returns 409 Conflict. */
async function falseOnConflict(request: Promise<unknown>): Promise<boolean> {
  try {
    await request;
    return true;
  } catch (err) {
    if (err instanceof ApiException && err.code === 409) return false;
    throw err;
  }
}

function toLeaseRecord(lease: V1Lease): LeaseRecord {
  return {
    holderIdentity: lease.spec?.holderIdentity ?? '',
    leaseDurationSeconds: lease.spec?.leaseDurationSeconds ?? 0,
    renewTime: lease.spec?.renewTime,
    acquireTime: lease.spec?.acquireTime,
    leaseTransitions: lease.spec?.leaseTransitions ?? 0,
    resourceVersion: lease.metadata?.resourceVersion ?? '',
  };
}

function toLeaseSpec(lease: Omit<LeaseRecord, 'resourceVersion'>): NonNullable<V1Lease['spec']> {
  return {
    holderIdentity: lease.holderIdentity,
    leaseDurationSeconds: lease.leaseDurationSeconds,
    leaseTransitions: lease.leaseTransitions,
    ...(lease.renewTime === undefined ? {} : { renewTime: new V1MicroTime(lease.renewTime) }),
    ...(lease.acquireTime === undefined ? {} : { acquireTime: new V1MicroTime(lease.acquireTime) }),
  };
}

/** Describes a failed API call by its HTTP status and the API server's message. */
export function describeKubeError(err: unknown): string {
  if (err instanceof ApiException) {
    const body = err.body as { message?: unknown } | string | undefined;
    let message = typeof body === 'string' ? body : '';
    if (typeof body === 'object' && body !== null && typeof body.message === 'string')
      message = body.message;
    return `HTTP ${err.code}${message === '' ? '' : `: ${message}`}`;
  }
  return err instanceof Error ? err.message : String(err);
}
