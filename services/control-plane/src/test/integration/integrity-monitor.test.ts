import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import {
  DEGRADED_HEALTH_SERVICE,
  dependencyHealthService,
  startGrpcServer,
  type GrpcServerHandle,
} from '@mailshield/common';
import { Registry } from 'prom-client';
import { IntegrityMonitor, type IntegrityMonitorOptions } from '../../integrity/monitor.js';
import { defaultIntegritySettings } from '../../integrity/settings.js';
import { createControlPlaneMetrics } from '../../metrics.js';
import { silentLogger } from '../../testing/support.js';
import { waitFor } from '../../testing/wait.js';

/** Creates a monitor of one component on 127.0.0.1, stopped after the test. */
function newMonitor(
  t: TestContext,
  name: string,
  port: number,
  overrides: Partial<IntegrityMonitorOptions> & { registry?: Registry } = {},
): IntegrityMonitor {
  const { registry = new Registry(), ...options } = overrides;
  const monitor = new IntegrityMonitor({
    components: [{ name, address: { host: '127.0.0.1', port } }],
    intervalSeconds: 60,
    timeoutSeconds: 2,
    logger: silentLogger,
    metrics: createControlPlaneMetrics(registry),
    ...options,
  });
  t.after(() => monitor.stop());
  return monitor;
}

test('monitor follows health over Watch streams', async (t) => {
  const component: GrpcServerHandle = await startGrpcServer('127.0.0.1', 0, [], silentLogger);
  let isStopped = false;
  t.after(async () => {
    if (!isStopped) await component.stop();
  });
  const registry = new Registry();
  const monitor = newMonitor(t, 'antivirus', component.port, { registry });
  const versions = new Map([['antivirus', 4]]);
  const status = () => monitor.snapshot(versions)[0]!;

  assert.equal(status().health, 'UNKNOWN');
  monitor.start();
  await waitFor(() => status().health === 'NOT_SERVING', 'initial NOT_SERVING');
  component.setHealth('SERVING');
  await waitFor(() => status().health === 'SERVING', 'SERVING');
  assert.equal(status().policyVersion, 4);
  const servingSince = status().since!;

  component.setServiceHealth(DEGRADED_HEALTH_SERVICE, 'NOT_SERVING');
  await waitFor(() => status().health === 'DEGRADED', 'DEGRADED');
  assert.match(status().detail, /degraded/);
  component.setServiceHealth(DEGRADED_HEALTH_SERVICE, 'SERVING');
  await waitFor(() => status().health === 'SERVING', 'SERVING again');

  component.setServiceHealth(dependencyHealthService('kafka'), 'NOT_SERVING');
  component.setServiceHealth(dependencyHealthService('clamd'), 'SERVING');
  await waitFor(() => status().dependencies.length === 2, 'two dependencies');
  assert.deepEqual(
    status().dependencies.map((d) => `${d.name}=${d.health}`),
    ['clamd=SERVING', 'kafka=NOT_SERVING'],
  );

  component.setHealth('NOT_SERVING');
  await waitFor(() => status().health === 'NOT_SERVING', 'NOT_SERVING');
  assert.ok(status().since!.getTime() >= servingSince.getTime());

  await component.stop();
  isStopped = true;
  await waitFor(() => status().health === 'UNREACHABLE', 'UNREACHABLE');
  assert.match(status().detail, /UNAVAILABLE|ended/);
  assert.deepEqual(status().dependencies, []);

  const metrics = await registry.metrics();
  assert.match(metrics, /mailshield_control_plane_component_up\{component="antivirus"\} 0/);
  assert.match(
    metrics,
    /mailshield_control_plane_health_checks_total\{component="antivirus",result="serving"\} 2/,
  );
  assert.match(
    metrics,
    /mailshield_control_plane_health_checks_total\{component="antivirus",result="degraded"\} 1/,
  );
  assert.match(
    metrics,
    /mailshield_control_plane_dependency_up\{component="antivirus",dependency="kafka"\} 0/,
  );
});

test('monitor reconnects after a restart', async (t) => {
  const first = await startGrpcServer('127.0.0.1', 0, [], silentLogger);
  const port = first.port;
  first.setHealth('SERVING');
  const monitor = newMonitor(t, 'interceptor', port, { timeoutSeconds: 1 });
  monitor.start();
  const status = () => monitor.snapshot(new Map())[0]!;
  await waitFor(() => status().health === 'SERVING', 'SERVING');
  await first.stop();
  await waitFor(() => status().health === 'UNREACHABLE', 'UNREACHABLE');

  const second = await startGrpcServer('127.0.0.1', port, [], silentLogger);
  t.after(() => second.stop());
  second.setHealth('SERVING');
  await waitFor(() => status().health === 'SERVING', 'SERVING after the restart');
  assert.equal(status().detail, '');
});

test('silent peer is UNREACHABLE', async (t) => {
  // Accepts TCP connections and never replies, as a hung process would.
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    silent.close();
  });
  const port = (silent.address() as AddressInfo).port;
  const monitor = newMonitor(t, 'antispam', port, { timeoutSeconds: 0.5 });
  monitor.start();
  const status = () => monitor.snapshot(new Map())[0]!;
  await waitFor(() => status().health === 'UNREACHABLE', 'UNREACHABLE');
  assert.match(status().detail, /DEADLINE_EXCEEDED: no health status within 0.5 s/);
});

test('dry run outside Kubernetes', async (t) => {
  const component = await startGrpcServer('127.0.0.1', 0, [], silentLogger);
  t.after(() => component.stop());
  component.setHealth('NOT_SERVING');

  const registry = new Registry();
  const settings = {
    ...defaultIntegritySettings(['antivirus']),
    restartAfterSeconds: 0.2,
    restartBackoffSeconds: 60,
  };
  const monitor = newMonitor(t, 'antivirus', component.port, {
    registry,
    intervalSeconds: 0.1,
    settings,
    identity: 'cp-dry',
  });
  monitor.start();

  const status = () => monitor.snapshot(new Map())[0]!;
  await waitFor(() => status().lastAction !== '', 'a last action');
  assert.match(
    status().lastAction,
    new RegExp(
      `^would delete the pod of antivirus at 127\\.0\\.0\\.1:${component.port}: NOT_SERVING for \\d+ s`,
    ),
  );
  assert.equal(status().restartsInWindow, 1);
  assert.ok(status().lastRestartAt instanceof Date);
  assert.deepEqual(monitor.leadership(), { isLeader: true, holderIdentity: 'cp-dry' });

  assert.match(
    await registry.metrics(),
    /mailshield_control_plane_restarts_total\{component="antivirus",action="delete_pod",result="done",dry_run="true"\} 1/,
  );
});
