import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Pipeline } from '../harness/pipeline.js';
import { dashboardQueries, find, fullValues, render } from './helm.js';

/** Extracts the metric names from PromQL text, histogram and counter suffixes included. */
function metricNames(expression: string): string[] {
  return [...expression.matchAll(/\bmailshield_[a-z0-9_]+/g)].map((match) => match[0]);
}

/** Names a registry exposes, from the # TYPE lines of the text format. */
function exportedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const match of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, type] = match;
    names.add(name!);
    if (type === 'histogram') {
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
    }
  }
  return names;
}

function ruleExpressions(): string[] {
  const rule = find(render([fullValues]), 'PrometheusRule', 'mail-mailshield');
  return rule.spec.groups.flatMap((group: { rules: { expr: string }[] }) =>
    group.rules.map((item) => item.expr),
  );
}

describe('metric names in the chart', { timeout: 180_000 }, () => {
  const pipeline = new Pipeline('embedded');
  const exported = new Set<string>();

  before(async () => {
    await pipeline.start();
    for (const [service, port] of Object.entries(pipeline.metricsPorts)) {
      const response = await fetch(`http://127.0.0.1:${port}/metrics`);
      assert.equal(response.status, 200, `metrics of ${service}`);
      for (const name of exportedNames(await response.text())) exported.add(name);
    }
  });

  after(async () => {
    await pipeline.stop();
  });

  test('registries export the core metrics', () => {
    assert.ok(exported.has('mailshield_build_info'));
    assert.ok(exported.has('mailshield_antivirus_scan_duration_seconds_bucket'));
    assert.ok(exported.has('mailshield_control_plane_component_up'));
  });

  test('dashboard names only exported metrics', () => {
    const expressions = dashboardQueries();
    assert.ok(expressions.length > 10);
    const unknown = expressions.flatMap(metricNames).filter((name) => !exported.has(name));
    assert.deepEqual([...new Set(unknown)], []);
  });

  test('alert rules name only exported metrics', () => {
    const expressions = ruleExpressions();
    const unknown = expressions.flatMap(metricNames).filter((name) => !exported.has(name));
    assert.deepEqual([...new Set(unknown)], []);
  });
});
