import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { dashboardQueries, find, fullValues, render } from './helm.js';

const dir = mkdtempSync(join(tmpdir(), 'mailshield-promql-'));

/** Runs `promtool check rules` (Debian package prometheus) on a rule file with these groups. */
function checkRules(name: string, groups: unknown[]): { status: number | null; output: string } {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, stringify({ groups }));
  const result = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
  if (result.error !== undefined) {
    throw new Error(
      `promtool failed to start (${result.error.message}); install it with: deploy/local/install.sh packages`,
    );
  }
  return { status: result.status, output: result.stdout + result.stderr };
}

describe('PromQL of the chart', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('alert rules pass promtool', () => {
    const rule = find(render([fullValues]), 'PrometheusRule', 'mail-mailshield');
    const result = checkRules('alerts', rule.spec.groups);
    assert.equal(result.status, 0, result.output);
    assert.match(result.output, /SUCCESS: \d+ rules found/);
  });

  test('dashboard queries pass promtool', () => {
    // Grafana fills $namespace in before it sends a query, so the check does the same.
    const expressions = dashboardQueries(false).map((expr) => expr.replaceAll('$namespace', '.*'));
    assert.ok(expressions.length > 10);
    const rules = expressions.map((expr, index) => ({ record: `dashboard:query_${index}`, expr }));
    const result = checkRules('dashboard', [{ name: 'dashboard', rules }]);
    assert.equal(result.status, 0, result.output);
  });
});
