import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { readAntispamConfig } from '@mailshield/antispam';
import { readAntivirusOptions } from '@mailshield/antivirus';
import { readControlPlaneOptions } from '@mailshield/control-plane';
import { readInterceptorOptions } from '@mailshield/interceptor';
import { find, fullValues, minimalValues, render, smallValues, type Manifest } from './helm.js';

const dir = mkdtempSync(join(tmpdir(), 'mailshield-chart-env-'));
const keyFile = join(dir, 'backup.key');
writeFileSync(keyFile, randomBytes(32).toString('base64'));
const kubeconfigFile = join(dir, 'kubeconfig');
writeFileSync(kubeconfigFile, 'apiVersion: v1\nkind: Config\n');

interface EnvEntry {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: unknown };
}

/**
 * Builds the environment a service container of the chart gets. Values that Kubernetes fills
 * in get stand-ins: the pod name, the namespace `mail`, a PostgreSQL URL, and a real key file
 * at the mounted path.
 */
function containerEnv(manifests: Manifest[], service: string): NodeJS.ProcessEnv {
  const deployment = find(manifests, 'Deployment', `mail-mailshield-${service}`);
  const container = deployment.spec.template.spec.containers.find(
    (item: { name: string }) => item.name === service,
  );
  const env: NodeJS.ProcessEnv = {};
  for (const entry of container.env as EnvEntry[]) {
    const fieldPath = entry.valueFrom?.fieldRef?.fieldPath;
    if (fieldPath === 'metadata.namespace') env[entry.name] = 'mail';
    else if (fieldPath !== undefined) env[entry.name] = `${service}-7d9f8-x2k4q`;
    else if (entry.valueFrom?.secretKeyRef !== undefined) {
      env[entry.name] = 'postgres://mailshield:secret@postgresql:5432/mailshield';
    } else env[entry.name] = entry.value;
  }
  if (env['MAILSHIELD_BACKUP_KEY_FILE'] !== undefined) env['MAILSHIELD_BACKUP_KEY_FILE'] = keyFile;
  // Stands in for the pod's service account, so the control plane reads its Kubernetes settings.
  if (service === 'control-plane') env['MAILSHIELD_KUBECONFIG'] = kubeconfigFile;
  return env;
}

describe('chart environment', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [name, file] of [
    ['minimal', minimalValues],
    ['full', fullValues],
    ['small', smallValues],
  ] as const) {
    const manifests = render([file]);

    test(`${name} values pass the interceptor's checks`, () => {
      const options = readInterceptorOptions(containerEnv(manifests, 'interceptor'));
      assert.equal(options.smtp.port, 2525);
      assert.equal(options.smtp.host, '0.0.0.0');
      assert.equal(options.bus.kind, 'kafka');
      assert.notEqual(options.nextHop, undefined);
    });

    test(`${name} values pass the antivirus' checks`, () => {
      const options = readAntivirusOptions(containerEnv(manifests, 'antivirus'));
      assert.equal(options.storeDir, '/scan-store');
      assert.equal(options.clamdSharesStore, true);
      assert.deepEqual(options.clamd[0]!.address, { host: '127.0.0.1', port: 3310 });
      assert.equal(options.bus.kind, 'kafka');
    });

    test(`${name} values pass the antispam's checks`, () => {
      const config = readAntispamConfig(containerEnv(manifests, 'antispam'));
      assert.equal(config.options.grpcPort, 50053);
      assert.equal(config.bus.kind, 'kafka');
    });

    test(`${name} values pass the control plane's checks`, () => {
      const options = readControlPlaneOptions(containerEnv(manifests, 'control-plane'));
      assert.notEqual(options.backupKey, undefined);
      assert.notEqual(options.databaseUrl, undefined);
      assert.deepEqual(
        options.components.map((component) => component.address),
        [
          { host: 'mail-mailshield-interceptor', port: 50051 },
          { host: 'mail-mailshield-antivirus', port: 50052 },
          { host: 'mail-mailshield-antispam', port: 50053 },
        ],
      );
      assert.equal(options.controlPlane.host, 'mail-mailshield-control-plane');
    });
  }

  test('full values reach the services', () => {
    const manifests = render([fullValues]);
    const interceptor = readInterceptorOptions(containerEnv(manifests, 'interceptor'));
    assert.equal(interceptor.tlsCertFile, '/etc/mailshield/tls/tls.crt');
    assert.equal(interceptor.smtpHostname, 'mx.example.com');
    assert.equal(interceptor.nextHopVerifyTls, false);
    const antivirus = readAntivirusOptions(containerEnv(manifests, 'antivirus'));
    assert.equal(antivirus.storeMaxBytes, 536870912);
    const antispam = readAntispamConfig(containerEnv(manifests, 'antispam'));
    assert.equal(antispam.options.authentication, true);
    assert.deepEqual(antispam.options.dnsServers?.length, 1);
    const controlPlane = readControlPlaneOptions(containerEnv(manifests, 'control-plane'));
    assert.deepEqual(controlPlane.seedTrustedNetworks, ['10.0.0.0/8']);
    assert.equal(controlPlane.databaseSchema, 'mailshield');
    assert.equal(controlPlane.bus.kind === 'kafka' && controlPlane.bus.partitions, 6);
    assert.equal(interceptor.proxyProtocol, true);
    assert.deepEqual(interceptor.clusterNetworks, ['10.244.0.0/16', '10.0.0.0/24']);
    assert.equal(controlPlane.selfTestIntervalSeconds, 600);
    assert.equal(controlPlane.backupRetention.maxAgeDays, 90);
    assert.equal(controlPlane.backupRetention.maxCount, 0);
  });

  test('control plane gets the integrity settings', () => {
    const options = readControlPlaneOptions(containerEnv(render([fullValues]), 'control-plane'));
    const integrity = options.integrity!;
    assert.equal(integrity.kubernetes?.namespace, 'mail');
    assert.equal(integrity.restartAfterSeconds, 60);
    assert.equal(integrity.lease.name, 'mail-mailshield-control-plane');
    for (const component of ['interceptor', 'antivirus', 'antispam']) {
      assert.deepEqual(integrity.repairs[component], {
        mode: 'rollout-restart',
        podSelector:
          `app.kubernetes.io/component=${component},app.kubernetes.io/instance=mail,` +
          'app.kubernetes.io/name=mailshield',
        deployment: `mail-mailshield-${component}`,
      });
    }
  });
});
