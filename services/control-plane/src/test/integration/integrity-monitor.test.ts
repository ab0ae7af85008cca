import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DEGRADED_HEALTH_SERVICE,
  startGrpcServer,
  type GrpcServerHandle,
} from '@mailshield/common';
import { Registry } from 'prom-client';
import { IntegrityMonitor } from '../../integrity/monitor.js';
import { createControlPlaneMetrics } from '../../metrics.js';
import { silentLogger } from '../../testing/support.js';

test('monitor follows SERVING, DEGRADED, NOT_SERVING, UNREACHABLE', async (t) => {
  const component: GrpcServerHandle = await startGrpcServer('127.0.0.1', 0, [], silentLogger);
  let isStopped = false;
  t.after(async () => {
    if (!isStopped) await component.stop();
  });
  const registry = new Registry();
  const monitor = new IntegrityMonitor({
    components: [{ name: 'antivirus', address: { host: '127.0.0.1', port: component.port } }],
    intervalSeconds: 60,
    timeoutSeconds: 1,
    logger: silentLogger,
    metrics: createControlPlaneMetrics(registry),
  });
  t.after(() => monitor.stop());
  const versions = new Map([['antivirus', 4]]);
  const health = () => monitor.snapshot(versions)[0]!;

  assert.equal(health().health, 'UNKNOWN');
  component.setHealth('SERVING');
  await monitor.checkAll();
  assert.equal(health().health, 'SERVING');
  assert.equal(health().policyVersion, 4);
  const servingSince = health().since!;

  component.setServiceHealth(DEGRADED_HEALTH_SERVICE, 'NOT_SERVING');
  await monitor.checkAll();
  assert.equal(health().health, 'DEGRADED');
  assert.match(health().detail, /degraded/);
  component.setServiceHealth(DEGRADED_HEALTH_SERVICE, 'SERVING');
  await monitor.checkAll();
  assert.equal(health().health, 'SERVING');

  component.setHealth('NOT_SERVING');
  await monitor.checkAll();
  assert.equal(health().health, 'NOT_SERVING');
  assert.ok(health().since!.getTime() >= servingSince.getTime());

  await component.stop();
  isStopped = true;
  await monitor.checkAll();
  assert.equal(health().health, 'UNREACHABLE');
  assert.match(health().detail, /UNAVAILABLE|DEADLINE_EXCEEDED/);

  const metrics = await registry.metrics();
  assert.match(metrics, /mailshield_control_plane_component_up\{component="antivirus"\} 0/);
  assert.match(
    metrics,
    /mailshield_control_plane_health_checks_total\{component="antivirus",result="serving"\} 2/,
  );
  assert.match(
    metrics,
    /mailshield_control_plane_health_checks_total\{component="antivirus",result="unreachable"\} 1/,
  );
  assert.match(
    metrics,
    /mailshield_control_plane_health_checks_total\{component="antivirus",result="degraded"\} 1/,
  );
});
