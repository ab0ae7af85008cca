import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { describe, test } from 'node:test';
import { chartDir, ciValueFiles, minimalValues, render, runHelm, templateArgs } from './helm.js';

describe('helm chart', () => {
  test('ci value sets exist', () => {
    assert.ok(ciValueFiles.length >= 3, `found ${ciValueFiles.length} files in ci/`);
  });

  for (const file of ciValueFiles) {
    test(`lint --strict passes with ${basename(file)}`, () => {
      const result = runHelm(['lint', '--strict', chartDir, '--values', file]);
      assert.equal(result.status, 0, result.stdout + result.stderr);
    });

    test(`template renders ${basename(file)}`, () => {
      const manifests = render([file]);
      assert.ok(manifests.length > 0);
      const deployments = manifests.filter((item) => item.kind === 'Deployment');
      assert.equal(deployments.length, 4);
    });
  }

  const required: [string, string][] = [
    ['kafka.brokers=', 'kafka.brokers is required'],
    ['postgresql.url=', 'PostgreSQL is required'],
    ['backupKey.value=', 'the Backup key is required'],
    ['interceptor.nextHop=', 'interceptor.nextHop is required'],
  ];
  for (const [set, message] of required) {
    test(`template fails without ${set.slice(0, -1)}`, () => {
      const result = runHelm(templateArgs([minimalValues], [set]));
      assert.notEqual(result.status, 0);
      assert.match(result.stderr, new RegExp(message));
    });
  }

  test('template fails when the store exceeds its emptyDir', () => {
    const result = runHelm(templateArgs([minimalValues], ['antivirus.scanStore.sizeLimit=128Mi']));
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /antivirus\.scanStore\.maxBytes is larger/);
  });

  const wideNetworks: [string, RegExp][] = [
    ['{0.0.0.0/1}', /"0\.0\.0\.0\/1" must be a CIDR block no wider than \/8/],
    ['{10.0.0.0/8,8000::/1}', /"8000::\/1" must be a CIDR block no wider than \/16/],
    ['{10.1.2.3}', /"10\.1\.2\.3" must be in CIDR notation/],
  ];
  for (const [networks, message] of wideNetworks) {
    test(`template refuses trusted networks ${networks}`, () => {
      const result = runHelm(templateArgs([minimalValues], [`policy.trustedNetworks=${networks}`]));
      assert.notEqual(result.status, 0);
      assert.match(result.stderr, message);
    });
  }

  test('template takes narrow trusted networks', () => {
    const set = 'policy.trustedNetworks={10.0.0.0/8,2001:db8::/32}';
    const result = runHelm(templateArgs([minimalValues], [set]));
    assert.equal(result.status, 0, result.stderr);
  });
});
