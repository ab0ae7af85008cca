import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { ciValueFiles, render } from './helm.js';
import { basename } from 'node:path';

/** Model classes of @kubernetes/client-node, by apiVersion and kind of the objects the chart renders. */
const models: Record<string, string> = {
  'apps/v1 Deployment': 'V1Deployment',
  'v1 Service': 'V1Service',
  'v1 ServiceAccount': 'V1ServiceAccount',
  'v1 Secret': 'V1Secret',
  'v1 ConfigMap': 'V1ConfigMap',
  'policy/v1 PodDisruptionBudget': 'V1PodDisruptionBudget',
  'autoscaling/v2 HorizontalPodAutoscaler': 'V2HorizontalPodAutoscaler',
  'networking.k8s.io/v1 NetworkPolicy': 'V1NetworkPolicy',
  'rbac.authorization.k8s.io/v1 Role': 'V1Role',
  'rbac.authorization.k8s.io/v1 RoleBinding': 'V1RoleBinding',
};

/** Custom resources, whose schemas come with their operators and are not checked here. */
const customKinds = new Set(['ServiceMonitor', 'PrometheusRule', 'ScaledObject']);

interface Attribute {
  baseName: string;
  type: string;
}

type ModelClass = { getAttributeTypeMap(): Attribute[] };

const library = k8s as unknown as Record<string, ModelClass | undefined>;

/**
 * Checks a value against a type of the client's models: the field names of every object and
 * the JSON type of every leaf. Returns one line per problem, with the path to the value.
 */
function checkType(value: unknown, type: string, path: string): string[] {
  const array = /^Array<(.+)>$/.exec(type);
  if (array !== null) {
    if (!Array.isArray(value)) return [`${path}: expected a list`];
    return value.flatMap((item, index) => checkType(item, array[1]!, `${path}[${index}]`));
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map !== null) {
    if (!isObject(value)) return [`${path}: expected a map`];
    return Object.entries(value).flatMap(([key, item]) =>
      checkType(item, map[1]!, `${path}.${key}`),
    );
  }
  switch (type) {
    case 'any':
      return [];
    case 'string':
    case 'String':
    case 'Date':
      return typeof value === 'string' ? [] : [`${path}: expected a string`];
    case 'number':
      return typeof value === 'number' ? [] : [`${path}: expected a number`];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${path}: expected a boolean`];
    case 'IntOrString':
      return typeof value === 'string' || typeof value === 'number'
        ? []
        : [`${path}: expected a number or a string`];
  }
  const model = library[type];
  if (model === undefined) return [`${path}: no model ${type} in @kubernetes/client-node`];
  if (!isObject(value)) return [`${path}: expected an object (${type})`];
  const attributes = new Map(model.getAttributeTypeMap().map((item) => [item.baseName, item]));
  return Object.entries(value).flatMap(([key, item]) => {
    const attribute = attributes.get(key);
    if (attribute === undefined) return [`${path}.${key}: not a field of ${type}`];
    return checkType(item, attribute.type, `${path}.${key}`);
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

describe('rendered objects against the Kubernetes API', () => {
  test('checker finds a misspelled field', () => {
    const problems = checkType(
      { spec: { template: { spec: { containers: [{ name: 'a', readinesProbe: {} }] } } } },
      'V1Deployment',
      'Deployment',
    );
    assert.deepEqual(problems, [
      'Deployment.spec.template.spec.containers[0].readinesProbe: not a field of V1Container',
    ]);
  });

  for (const file of ciValueFiles) {
    test(`${basename(file)} uses only API fields`, () => {
      for (const manifest of render([file])) {
        if (customKinds.has(manifest.kind)) continue;
        const model = models[`${manifest.apiVersion} ${manifest.kind}`];
        assert.ok(model, `no model for ${manifest.apiVersion} ${manifest.kind}`);
        const path = `${manifest.kind} ${manifest.metadata.name}`;
        assert.deepEqual(checkType(manifest, model, path), []);
      }
    });
  }
});
