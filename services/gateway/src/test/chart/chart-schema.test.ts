import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isMap, parseDocument, type YAMLMap } from 'yaml';
import { chartDir, minimalValues, runHelm, templateArgs } from './helm.js';

interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
}

const schema = JSON.parse(readFileSync(join(chartDir, 'values.schema.json'), 'utf8')) as Schema;

/** Paths of the object schemas that accept keys they do not list. */
function openObjects(node: Schema, path: string): string[] {
  const found: string[] = [];
  if (node.type === 'object') {
    const extra = node.additionalProperties;
    // A map of strings (labels, annotations) cannot list its keys but still types its values.
    const isStringMap = typeof extra === 'object' && extra.type === 'string';
    if (extra !== false && !isStringMap) found.push(path || '(root)');
  }
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    found.push(...openObjects(child, path ? `${path}.${key}` : key));
  }
  if (node.items !== undefined) found.push(...openObjects(node.items, `${path}[]`));
  return found;
}

/** Paths of every key in values.yaml, with whether a comment sits on or above it. */
function valueKeys(map: YAMLMap, path: string, parentComment: boolean): [string, boolean][] {
  const keys: [string, boolean][] = [];
  map.items.forEach((pair, index) => {
    const key = pair.key as { value: string; commentBefore?: string | null };
    const name = `${path}${key.value}`;
    // The yaml parser hangs the comment above a map's first key on the map itself.
    const hasComment =
      Boolean(key.commentBefore) ||
      (index === 0 && parentComment) ||
      Boolean(pair.value && (pair.value as { comment?: string }).comment);
    keys.push([name, hasComment]);
    if (isMap(pair.value)) {
      keys.push(
        ...valueKeys(pair.value, `${name}.`, Boolean((pair.value as YAMLMap).commentBefore)),
      );
    }
  });
  return keys;
}

describe('chart values schema', () => {
  test('rejects unknown keys at every level', () => {
    assert.deepEqual(openObjects(schema, ''), []);
  });

  const unknown = [
    'bogus=1',
    'antivirus.bogus=1',
    'antivirus.clamd.bogus=1',
    'interceptor.smtpService.bogus=1',
  ];
  for (const set of unknown) {
    test(`rejects ${set.split('=')[0]}`, () => {
      const result = runHelm(templateArgs([minimalValues], [set]));
      assert.notEqual(result.status, 0);
      assert.match(result.stderr, /additional properties 'bogus' not allowed/);
    });
  }

  test('rejects a wrong type', () => {
    const result = runHelm(templateArgs([minimalValues], ['kafka.partitions=many']));
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /partitions/);
  });

  test('lists every key of values.yaml', () => {
    const document = parseDocument(readFileSync(join(chartDir, 'values.yaml'), 'utf8'));
    const missing = valueKeys(document.contents as YAMLMap, '', false)
      .map(([path]) => path)
      .filter((path) => !hasPath(schema, path.split('.')));
    assert.deepEqual(missing, []);
  });

  test('comments every key of values.yaml', () => {
    const document = parseDocument(readFileSync(join(chartDir, 'values.yaml'), 'utf8'));
    const bare = valueKeys(document.contents as YAMLMap, '', false)
      .filter(([path, hasComment]) => !hasComment && !isInsideFreeMap(path))
      .map(([path]) => path);
    assert.deepEqual(bare, []);
  });
});

function hasPath(node: Schema, parts: string[]): boolean {
  if (parts.length === 0) return true;
  const [head, ...rest] = parts;
  const child = node.properties?.[head!];
  if (child !== undefined) return hasPath(child, rest);
  return typeof node.additionalProperties === 'object';
}

/** Keys inside example maps (resources, labels) are the documented value, not settings. */
function isInsideFreeMap(path: string): boolean {
  return /\.resources\.|\.labels\.|metricsFromNamespaceLabels\./.test(path);
}
