import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '@mailshield/common';
import { readControlPlaneOptions } from '../config.js';
import { makeTempDir } from '../testing/support.js';

test('integrity defaults are a dry run', () => {
  const settings = readControlPlaneOptions({}).integrity!;
  assert.equal(settings.kubernetes, undefined);
  assert.equal(settings.restartAfterSeconds, 120);
  assert.equal(settings.restartBackoffSeconds, 30);
  assert.equal(settings.restartBackoffMaxSeconds, 600);
  assert.equal(settings.restartMaxPerWindow, 3);
  assert.equal(settings.restartWindowSeconds, 3600);
  assert.deepEqual(settings.lease, {
    name: 'mailshield-control-plane',
    durationSeconds: 15,
    renewSeconds: 5,
  });
  assert.deepEqual(settings.repairs['antivirus'], {
    mode: 'delete-pod',
    podSelector: 'app.kubernetes.io/part-of=mailshield,app.kubernetes.io/component=antivirus',
    deployment: 'mailshield-antivirus',
  });
});

test('restart mode per component', async (t) => {
  const kubeconfig = join(await makeTempDir(t), 'kubeconfig');
  await writeFile(kubeconfig, '{}');
  const settings = readControlPlaneOptions({
    MAILSHIELD_COMPONENTS: 'antivirus=127.0.0.1:1,mail-relay=127.0.0.1:2',
    MAILSHIELD_RESTART_MODE: 'rollout-restart',
    MAILSHIELD_MAIL_RELAY_RESTART_MODE: 'off',
    MAILSHIELD_ANTIVIRUS_POD_SELECTOR: 'app=av',
    MAILSHIELD_ANTIVIRUS_DEPLOYMENT: 'av',
    MAILSHIELD_KUBECONFIG: kubeconfig,
    MAILSHIELD_KUBERNETES_NAMESPACE: 'mail',
  }).integrity!;

  assert.deepEqual(settings.kubernetes, { kubeconfigFile: kubeconfig, namespace: 'mail' });
  assert.deepEqual(settings.repairs['antivirus'], {
    mode: 'rollout-restart',
    podSelector: 'app=av',
    deployment: 'av',
  });
  assert.equal(settings.repairs['mail-relay']!.mode, 'off');
});

test('bad integrity settings are listed', () => {
  const env = {
    MAILSHIELD_RESTART_MODE: 'reboot',
    MAILSHIELD_KUBECONFIG: '/nonexistent/kubeconfig',
    MAILSHIELD_LEASE_DURATION_SECONDS: '10',
    MAILSHIELD_LEASE_RENEW_SECONDS: '6',
  };

  assert.throws(
    () => readControlPlaneOptions(env),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.problems, [
        'MAILSHIELD_RESTART_MODE=reboot is invalid: expected delete-pod, rollout-restart, off',
        'MAILSHIELD_LEASE_RENEW_SECONDS=6 is invalid: it must be at most half of ' +
          'MAILSHIELD_LEASE_DURATION_SECONDS=10, so one late renewal does not cost the leader its lease',
        'MAILSHIELD_KUBECONFIG=/nonexistent/kubeconfig is invalid: file not found. ' +
          'Set it to an existing kubeconfig file or unset it.',
      ]);
      return true;
    },
  );
});
