import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';

/**
 * A FAKE Kubernetes API server for tests, on 127.0.0.1 over plain HTTP. It replaces a real
 * kube-apiserver in tests until one can run in CI. It serves
 * only the endpoints the integrity monitor calls, keeps their objects in memory, checks the
 * bearer token, and records every request so tests can check exactly what was sent:
 *
 * - GET    /api/v1/namespaces/{ns}/pods?labelSelector=k=v,...  (equality selectors only)
 * - DELETE /api/v1/namespaces/{ns}/pods/{name}
 * - PATCH  /apis/apps/v1/namespaces/{ns}/deployments/{name}     (merge of the JSON body)
 * - POST   /api/v1/namespaces/{ns}/events
 * - GET    /apis/coordination.k8s.io/v1/namespaces/{ns}/leases/{name}
 * - POST   /apis/coordination.k8s.io/v1/namespaces/{ns}/leases  (409 when it exists)
 * - PUT    /apis/coordination.k8s.io/v1/namespaces/{ns}/leases/{name}  (409 on a stale
 *   metadata.resourceVersion, as the real server's optimistic concurrency does)
 *
 * It differs from a real API server in ways the tests do not depend on: a deleted pod is gone
 * at once (no grace period), nothing replaces it unless the test adds a pod, and no
 * controller reacts to a patched Deployment.
 */
export class FakeKubeApi {
  /** Every request, in order of arrival. */
  readonly requests: RecordedRequest[] = [];
  readonly pods = new Map<string, FakePod>();
  readonly deployments = new Map<string, Record<string, unknown>>();
  readonly leases = new Map<string, Lease>();
  readonly events: Record<string, unknown>[] = [];
  /** Called after a pod was deleted, so a test can play the ReplicaSet. */
  onPodDeleted: (pod: FakePod) => void = () => undefined;
  private server: Server | undefined;
  private nextVersion = 1;
  private port = 0;

  constructor(
    readonly namespace: string,
    private readonly token = 'fake-token',
  ) {}

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((err: unknown) => {
        reply(response, 500, status(500, 'InternalError', String(err)));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Writes a kubeconfig that points at this fake and returns its path. */
  async writeKubeconfig(dir: string): Promise<string> {
    const file = join(dir, 'kubeconfig.json');
    const config = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'fake', cluster: { server: this.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'fake', user: { token: this.token } }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake' } }],
      'current-context': 'fake',
    };
    await writeFile(file, JSON.stringify(config));
    return file;
  }

  addPod(pod: FakePod): void {
    this.pods.set(pod.name, pod);
  }

  addDeployment(name: string): void {
    this.deployments.set(name, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: this.namespace, uid: `uid-${name}` },
      spec: { template: { metadata: { annotations: {} } } },
    });
  }

  /** Returns the requests with this method whose path starts with `prefix`. */
  requestsTo(method: string, prefix: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && r.path.startsWith(prefix));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.url);
    const text = await readBody(request);
    const recorded: RecordedRequest = {
      method: request.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType: request.headers['content-type'] ?? '',
      body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>),
      at: Date.now(),
    };
    this.requests.push(recorded);
    if (request.headers.authorization !== `Bearer ${this.token}`)
      return reply(response, 401, status(401, 'Unauthorized', 'Unauthorized'));
    const core = `/api/v1/namespaces/${this.namespace}`;
    const apps = `/apis/apps/v1/namespaces/${this.namespace}`;
    const coordination = `/apis/coordination.k8s.io/v1/namespaces/${this.namespace}`;
    const path = url.pathname;
    const { method } = recorded;
    if (method === 'GET' && path === `${core}/pods`) return this.listPods(recorded, response);
    if (method === 'DELETE' && path.startsWith(`${core}/pods/`))
      return this.deletePod(path.slice(`${core}/pods/`.length), response);
    if (method === 'PATCH' && path.startsWith(`${apps}/deployments/`))
      return this.patchDeployment(path.slice(`${apps}/deployments/`.length), recorded, response);
    if (method === 'POST' && path === `${core}/events`) {
      this.events.push(recorded.body ?? {});
      return reply(response, 201, recorded.body);
    }
    if (path === `${coordination}/leases` && method === 'POST')
      return this.createLease(recorded, response);
    if (path.startsWith(`${coordination}/leases/`)) {
      const name = path.slice(`${coordination}/leases/`.length);
      if (method === 'GET') return this.readLease(name, response);
      if (method === 'PUT') return this.replaceLease(name, recorded, response);
    }
    reply(response, 404, status(404, 'NotFound', `the fake serves no ${method} ${path}`));
  }

  private listPods(request: RecordedRequest, response: ServerResponse): void {
    const wanted = parseSelector(request.query['labelSelector'] ?? '');
    if (wanted === undefined)
      return reply(
        response,
        400,
        status(400, 'BadRequest', 'the fake supports only equality selectors'),
      );
    const items = [...this.pods.values()]
      .filter((pod) => [...wanted].every(([key, value]) => pod.labels[key] === value))
      .map((pod) => this.podObject(pod));
    reply(response, 200, { apiVersion: 'v1', kind: 'PodList', metadata: {}, items });
  }

  private deletePod(name: string, response: ServerResponse): void {
    const pod = this.pods.get(name);
    if (pod === undefined)
      return reply(response, 404, status(404, 'NotFound', `pods "${name}" not found`));
    this.pods.delete(name);
    reply(response, 200, this.podObject(pod));
    this.onPodDeleted(pod);
  }

  private patchDeployment(name: string, request: RecordedRequest, response: ServerResponse): void {
    const deployment = this.deployments.get(name);
    if (deployment === undefined)
      return reply(response, 404, status(404, 'NotFound', `deployments.apps "${name}" not found`));
    const mergeTypes = ['application/strategic-merge-patch+json', 'application/merge-patch+json'];
    if (!mergeTypes.includes(request.contentType))
      return reply(
        response,
        415,
        status(415, 'UnsupportedMediaType', `the fake merges only ${mergeTypes.join(' or ')}`),
      );
    mergeInto(deployment, request.body ?? {});
    reply(response, 200, deployment);
  }

  private readLease(name: string, response: ServerResponse): void {
    const lease = this.leases.get(name);
    if (lease === undefined) return leaseNotFound(response, name);
    reply(response, 200, lease);
  }

  private createLease(request: RecordedRequest, response: ServerResponse): void {
    const body = request.body as unknown as Lease;
    const name = body.metadata.name;
    if (this.leases.has(name))
      return reply(
        response,
        409,
        status(409, 'AlreadyExists', `leases.coordination.k8s.io "${name}" already exists`),
      );
    this.putLease(name, body);
    reply(response, 201, this.leases.get(name));
  }

  private replaceLease(name: string, request: RecordedRequest, response: ServerResponse): void {
    const body = request.body as unknown as Lease;
    const current = this.leases.get(name);
    if (current === undefined) return leaseNotFound(response, name);
    if (body.metadata.resourceVersion !== current.metadata.resourceVersion)
      return reply(
        response,
        409,
        status(
          409,
          'Conflict',
          'the object has been modified; please apply your changes to the latest version and try again',
        ),
      );
    this.putLease(name, body);
    reply(response, 200, this.leases.get(name));
  }

  /** Stores a lease with a new resourceVersion, as every write on a real server makes one. */
  putLease(name: string, lease: { spec: Lease['spec'] }): void {
    this.leases.set(name, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace: this.namespace, resourceVersion: String(this.nextVersion++) },
      spec: lease.spec,
    });
  }

  private podObject(pod: FakePod): Record<string, unknown> {
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: pod.name,
        namespace: this.namespace,
        uid: `uid-${pod.name}`,
        labels: pod.labels,
      },
      status: { phase: pod.phase ?? 'Running', podIP: pod.ip },
    };
  }
}

export interface FakePod {
  name: string;
  ip: string;
  labels: Record<string, string>;
  phase?: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string;
  body: Record<string, unknown> | undefined;
  /** Local time of arrival, in milliseconds. */
  at: number;
}

interface Lease {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; resourceVersion: string };
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    renewTime?: string;
    acquireTime?: string;
    leaseTransitions?: number;
  };
}

function parseSelector(text: string): Map<string, string> | undefined {
  const wanted = new Map<string, string>();
  for (const part of text.split(',')) {
    if (part === '') continue;
    const match = /^([^=!]+)==?([^=]*)$/.exec(part);
    if (match === null) return undefined;
    wanted.set(match[1]!, match[2]!);
  }
  return wanted;
}

function mergeInto(target: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(patch)) {
    const existing = target[key];
    if (isObject(value) && isObject(existing)) mergeInto(existing, value);
    else target[key] = value;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function status(code: number, reason: string, message: string): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Status', status: 'Failure', message, reason, code };
}

function leaseNotFound(response: ServerResponse, name: string): void {
  reply(response, 404, status(404, 'NotFound', `leases.coordination.k8s.io "${name}" not found`));
}

function reply(response: ServerResponse, code: number, body: unknown): void {
  response.writeHead(code, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
