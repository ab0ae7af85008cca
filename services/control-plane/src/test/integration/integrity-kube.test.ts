import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { test, type TestContext } from 'node:test';
import { startGrpcServer, type GrpcServerHandle } from '@mailshield/common';
import { Registry } from 'prom-client';
import { IntegrityMonitor } from '../../integrity/monitor.js';
import { defaultIntegritySettings, type IntegritySettings } from '../../integrity/settings.js';
import { createControlPlaneMetrics } from '../../metrics.js';
import { FakeKubeApi, type FakePod } from '../../testing/fake-kube-api.js';
import { makeTempDir, silentLogger } from '../../testing/support.js';
import { waitFor } from '../../testing/wait.js';

const namespace = 'mail';
const podsPath = `/api/v1/namespaces/${namespace}/pods`;
const deploymentsPath = `/apis/apps/v1/namespaces/${namespace}/deployments`;
const leasesPath = `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`;

async function startFake(t: TestContext): Promise<{ fake: FakeKubeApi; kubeconfig: string }> {
  const fake = new FakeKubeApi(namespace);
  await fake.start();
  t.after(() => fake.stop());
  const kubeconfig = await fake.writeKubeconfig(await makeTempDir(t));
  return { fake, kubeconfig };
}

function kubeSettings(
  kubeconfig: string,
  component: string,
  overrides: Partial<IntegritySettings> = {},
): IntegritySettings {
  return {
    ...defaultIntegritySettings([component]),
    kubernetes: { kubeconfigFile: kubeconfig, namespace },
    restartAfterSeconds: 0.3,
    restartBackoffSeconds: 60,
    ...overrides,
  };
}

function pod(name: string, component: string, ip: string): FakePod {
  return {
    name,
    ip,
    labels: { 'app.kubernetes.io/part-of': 'mailshield', 'app.kubernetes.io/component': component },
  };
}

function startMonitor(
  t: TestContext,
  component: string,
  port: number,
  settings: IntegritySettings,
  identity = 'cp-a',
  registry = new Registry(),
): IntegrityMonitor {
  const monitor = new IntegrityMonitor({
    components: [{ name: component, address: { host: '127.0.0.1', port } }],
    intervalSeconds: 0.1,
    timeoutSeconds: 2,
    logger: silentLogger,
    metrics: createControlPlaneMetrics(registry),
    settings,
    identity,
  });
  t.after(() => monitor.stop());
  monitor.start();
  return monitor;
}

/** Starts health servers on 127.0.0.1 and ::1 with the same port, as two pods would have. */
async function twoReplicas(t: TestContext): Promise<[GrpcServerHandle, GrpcServerHandle]> {
  for (let attempt = 0; ; attempt++) {
    const first = await startGrpcServer('127.0.0.1', 0, [], silentLogger);
    try {
      const second = await startGrpcServer('::1', first.port, [], silentLogger);
      t.after(() => Promise.all([first.stop(), second.stop()]));
      return [first, second];
    } catch (err) {
      await first.stop();
      if (attempt === 5) throw err;
    }
  }
}

/** Starts the health process of `testing/health-process.js`, resolving its port. */
async function spawnHealthProcess(t: TestContext) {
  const script = fileURLToPath(new URL('../../testing/health-process.js', import.meta.url));
  const child = spawn(process.execPath, [script, '127.0.0.1', '0', 'SERVING'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  return { child, port: (JSON.parse(line) as { port: number }).port };
}

test('deletes only the sick pod', async (t) => {
  const { fake, kubeconfig } = await startFake(t);
  const [healthy, sick] = await twoReplicas(t);
  healthy.setHealth('SERVING');
  sick.setHealth('NOT_SERVING');
  fake.addPod(pod('antivirus-a', 'antivirus', '127.0.0.1'));
  fake.addPod(pod('antivirus-b', 'antivirus', '::1'));
  fake.addPod(pod('antispam-a', 'antispam', '127.0.0.1'));
  fake.onPodDeleted = () => {
    // The ReplicaSet's replacement, which starts healthy.
    sick.setHealth('SERVING');
    fake.addPod(pod('antivirus-c', 'antivirus', '::1'));
  };
  const registry = new Registry();
  const monitor = startMonitor(
    t,
    'antivirus',
    healthy.port,
    kubeSettings(kubeconfig, 'antivirus'),
    'cp-a',
    registry,
  );
  const status = () => monitor.snapshot(new Map())[0]!;

  await waitFor(() => fake.requestsTo('DELETE', podsPath).length === 1, 'a pod deletion');
  assert.equal(fake.requestsTo('DELETE', podsPath)[0]!.path, `${podsPath}/antivirus-b`);
  const list = fake.requestsTo('GET', podsPath)[0]!;
  assert.equal(list.path, podsPath);
  assert.equal(
    list.query['labelSelector'],
    'app.kubernetes.io/part-of=mailshield,app.kubernetes.io/component=antivirus',
  );
  await waitFor(() => fake.events.length === 1, 'an Event');
  const event = fake.events[0] as {
    metadata: { namespace: string };
    involvedObject: Record<string, string>;
    reason: string;
    type: string;
    message: string;
    reportingInstance: string;
  };
  assert.deepEqual(event.involvedObject, {
    kind: 'Pod',
    apiVersion: 'v1',
    name: 'antivirus-b',
    namespace,
    uid: 'uid-antivirus-b',
  });
  assert.equal(event.metadata.namespace, namespace);
  assert.equal(event.reason, 'IntegrityRestart');
  assert.equal(event.type, 'Warning');
  assert.equal(event.reportingInstance, 'cp-a');
  assert.match(event.message, /deleted pod antivirus-b: NOT_SERVING for \d+ s/);
  assert.match(status().lastAction, /^deleted pod antivirus-b: NOT_SERVING for \d+ s/);
  assert.equal(status().restartsInWindow, 1);

  await waitFor(() => status().health === 'SERVING', 'the replacement serving');
  assert.equal(status().detail, '2/2 pods serving');
  assert.equal(fake.requestsTo('DELETE', podsPath).length, 1);
  assert.equal(fake.requestsTo('PATCH', deploymentsPath).length, 0);
  assert.match(
    await registry.metrics(),
    /mailshield_control_plane_restarts_total\{component="antivirus",action="delete_pod",result="done",dry_run="false"\} 1/,
  );
});

test('restarts the rollout of a killed process', async (t) => {
  const { fake, kubeconfig } = await startFake(t);
  const { child, port } = await spawnHealthProcess(t);
  fake.addPod(pod('interceptor-1', 'interceptor', '127.0.0.1'));
  fake.addDeployment('mailshield-interceptor');
  const settings = kubeSettings(kubeconfig, 'interceptor');
  settings.repairs['interceptor']!.mode = 'rollout-restart';
  const monitor = startMonitor(t, 'interceptor', port, settings);
  const status = () => monitor.snapshot(new Map())[0]!;
  await waitFor(() => status().health === 'SERVING', 'SERVING');

  child.kill('SIGKILL');
  await waitFor(() => status().health === 'UNREACHABLE', 'UNREACHABLE');
  await waitFor(() => fake.requestsTo('PATCH', deploymentsPath).length === 1, 'a patch');
  const patch = fake.requestsTo('PATCH', deploymentsPath)[0]!;
  assert.equal(patch.path, `${deploymentsPath}/mailshield-interceptor`);
  assert.equal(patch.contentType, 'application/strategic-merge-patch+json');
  const annotations = (
    patch.body as { spec: { template: { metadata: { annotations: Record<string, string> } } } }
  ).spec.template.metadata.annotations;
  assert.deepEqual(Object.keys(annotations), ['kubectl.kubernetes.io/restartedAt']);
  const restartedAt = annotations['kubectl.kubernetes.io/restartedAt']!;
  assert.ok(Math.abs(Date.parse(restartedAt) - Date.now()) < 60_000, restartedAt);
  await waitFor(() => fake.events.length === 1, 'an Event');
  assert.deepEqual((fake.events[0] as { involvedObject: unknown }).involvedObject, {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    name: 'mailshield-interceptor',
    namespace,
  });
  assert.match(
    status().lastAction,
    /^restarted the rollout of deployment mailshield-interceptor: UNREACHABLE for \d+ s \(UNAVAILABLE/,
  );
  assert.equal(fake.requestsTo('DELETE', podsPath).length, 0);
});

test('backoff doubles and the window caps', async (t) => {
  const { fake, kubeconfig } = await startFake(t);
  const component = await startGrpcServer('127.0.0.1', 0, [], silentLogger);
  t.after(() => component.stop());
  component.setHealth('NOT_SERVING');
  fake.addPod(pod('antispam-1', 'antispam', '127.0.0.1'));
  fake.addDeployment('mailshield-antispam');
  const settings = kubeSettings(kubeconfig, 'antispam', {
    restartAfterSeconds: 0,
    restartBackoffSeconds: 0.4,
    restartBackoffMaxSeconds: 0.8,
    restartWindowSeconds: 4,
    restartMaxPerWindow: 3,
  });
  settings.repairs['antispam']!.mode = 'rollout-restart';
  const monitor = startMonitor(t, 'antispam', component.port, settings);
  const status = () => monitor.snapshot(new Map())[0]!;
  const patches = () => fake.requestsTo('PATCH', deploymentsPath);

  await waitFor(() => patches().length === 3, 'three restarts');
  await waitFor(() => status().lastAction.startsWith('restart limit reached'), 'the cap');
  assert.match(
    status().lastAction,
    /^restart limit reached: 3 restarts in 4 s; next restart no sooner than /,
  );
  assert.equal(status().restartsInWindow, 3);
  const [first, second, third] = patches().map((request) => request.at) as [number, number, number];
  // Arrival times at the fake lag the decisions by a few milliseconds at most.
  assert.ok(second - first >= 400 - 50, `first gap ${second - first} ms`);
  assert.ok(third - second >= 800 - 50, `second gap ${third - second} ms`);

  await waitFor(() => patches().length === 4, 'a restart in the next window');
  const fourth = patches()[3]!.at;
  assert.ok(fourth - first >= 4000 - 50, `fourth restart ${fourth - first} ms after the first`);
  assert.equal(patches().length, 4);
});

test('only the lease holder acts', async (t) => {
  const { fake, kubeconfig } = await startFake(t);
  const component = await startGrpcServer('127.0.0.1', 0, [], silentLogger);
  t.after(() => component.stop());
  component.setHealth('NOT_SERVING');
  fake.addPod(pod('antivirus-1', 'antivirus', '127.0.0.1'));
  fake.addDeployment('mailshield-antivirus');
  const settings = kubeSettings(kubeconfig, 'antivirus', {
    restartAfterSeconds: 0.2,
    restartBackoffSeconds: 0.3,
    restartBackoffMaxSeconds: 0.3,
    restartMaxPerWindow: 1000,
    lease: { name: 'mailshield-control-plane', durationSeconds: 2, renewSeconds: 0.3 },
  });
  settings.repairs['antivirus']!.mode = 'rollout-restart';
  const leader = startMonitor(t, 'antivirus', component.port, settings, 'cp-a');
  await waitFor(() => leader.leadership().isLeader, 'cp-a leading');
  const follower = startMonitor(t, 'antivirus', component.port, settings, 'cp-b');
  await waitFor(() => fake.events.length >= 3, 'three restarts');
  await waitFor(() => follower.snapshot(new Map())[0]!.lastAction !== '', 'the follower waiting');

  assert.deepEqual(follower.leadership(), { isLeader: false, holderIdentity: 'cp-a' });
  assert.equal(
    follower.snapshot(new Map())[0]!.lastAction,
    'not restarting: cp-a holds the leader lease',
  );
  const reporters = new Set(fake.events.map((event) => event['reportingInstance']));
  assert.deepEqual([...reporters], ['cp-a']);
  const created = fake.requestsTo('POST', leasesPath);
  assert.equal(created.length, 1);
  assert.equal(created[0]!.path, leasesPath);
  const createdSpec = (created[0]!.body as { spec: Record<string, unknown> }).spec;
  assert.equal(createdSpec['holderIdentity'], 'cp-a');
  assert.equal(createdSpec['leaseDurationSeconds'], 2);
  assert.match(String(createdSpec['renewTime']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  const renewals = fake
    .requestsTo('PUT', `${leasesPath}/mailshield-control-plane`)
    .filter((r) => (r.body as { spec: Record<string, unknown> }).spec['holderIdentity'] === 'cp-a');
  assert.ok(renewals.length >= 1, 'cp-a renewed the lease');

  await leader.stop();
  const release = fake
    .requestsTo('PUT', leasesPath)
    .find((r) => (r.body as { spec: Record<string, unknown> }).spec['holderIdentity'] === '');
  assert.ok(release !== undefined, 'cp-a released the lease');
  const eventsBefore = fake.events.length;
  await waitFor(() => follower.leadership().isLeader, 'cp-b taking over');
  const takeover = fake
    .requestsTo('PUT', leasesPath)
    .find((r) => (r.body as { spec: Record<string, unknown> }).spec['holderIdentity'] === 'cp-b');
  assert.equal((takeover!.body as { spec: Record<string, unknown> }).spec['leaseTransitions'], 1);
  await waitFor(() => fake.events.length > eventsBefore, 'a restart by cp-b');
  assert.equal(fake.events.at(-1)!['reportingInstance'], 'cp-b');
});

test('takes over an expired lease', async (t) => {
  const { fake, kubeconfig } = await startFake(t);
  fake.putLease('mailshield-control-plane', {
    spec: {
      holderIdentity: 'ghost',
      leaseDurationSeconds: 1,
      renewTime: '2020-01-01T00:00:00.000000Z',
      leaseTransitions: 4,
    },
  });
  const settings = kubeSettings(kubeconfig, 'antivirus', {
    lease: { name: 'mailshield-control-plane', durationSeconds: 1, renewSeconds: 0.2 },
  });
  const startedAt = Date.now();
  const monitor = startMonitor(t, 'antivirus', 1, settings, 'cp-b');
  await waitFor(() => monitor.leadership().holderIdentity === 'ghost', 'the ghost holder seen');
  assert.equal(monitor.leadership().isLeader, false);
  await waitFor(() => monitor.leadership().isLeader, 'cp-b taking over');
  // A replica's own clock decides expiry: it waits a whole duration after it first saw the
  // lease, however old the lease's renewTime is.
  assert.ok(Date.now() - startedAt >= 1000 - 50, `took over after ${Date.now() - startedAt} ms`);
  const takeover = fake
    .requestsTo('PUT', `${leasesPath}/mailshield-control-plane`)
    .find((r) => (r.body as { spec: Record<string, unknown> }).spec['holderIdentity'] === 'cp-b');
  assert.equal((takeover!.body as { spec: Record<string, unknown> }).spec['leaseTransitions'], 5);
  assert.equal(fake.leases.get('mailshield-control-plane')!.spec.holderIdentity, 'cp-b');
});
