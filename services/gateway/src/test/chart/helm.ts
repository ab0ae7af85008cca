import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '../harness/processes.js';

export const chartDir = join(repoRoot, 'charts/mailshield');

/** The value sets under charts/mailshield/ci, as paths. */
export const ciValueFiles = readdirSync(join(chartDir, 'ci'))
  .filter((name) => name.endsWith('.yaml'))
  .sort()
  .map((name) => join(chartDir, 'ci', name));

export const minimalValues = join(chartDir, 'ci/minimal-values.yaml');
export const fullValues = join(chartDir, 'ci/full-values.yaml');
export const smallValues = join(chartDir, 'ci/small-values.yaml');

/** Returns the Helm binary: MAILSHIELD_HELM, else where `deploy/local/install.sh helm` puts it. */
export function helmBinary(): string {
  const configured = process.env['MAILSHIELD_HELM'];
  if (configured !== undefined && configured !== '') return configured;
  const cache = process.env['MAILSHIELD_CACHE'] || join(homedir(), '.cache/mailshield');
  const path = join(cache, 'helm-v4.3.2/bin/helm');
  if (!existsSync(path)) {
    throw new Error(`helm not found at ${path}; install it with: deploy/local/install.sh helm`);
  }
  return path;
}

export interface HelmResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runHelm(args: string[]): HelmResult {
  const result = spawnSync(helmBinary(), args, { encoding: 'utf8', cwd: repoRoot });
  if (result.error !== undefined) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A Kubernetes object as rendered, read loosely: the tests check the fields they need. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Manifest = { apiVersion: string; kind: string; metadata: any; [field: string]: any };

/** Renders the chart with the value files and --set flags, and throws helm's errors when it fails. */
export function render(valueFiles: string[], sets: string[] = []): Manifest[] {
  const result = runHelm(templateArgs(valueFiles, sets));
  if (result.status !== 0) {
    throw new Error(`helm template failed (exit ${result.status}): ${result.stderr}`);
  }
  return parseAllDocuments(result.stdout)
    .map((document) => document.toJSON() as Manifest | null)
    .filter((manifest): manifest is Manifest => manifest !== null);
}

export function templateArgs(valueFiles: string[], sets: string[] = []): string[] {
  return [
    'template',
    'mail',
    chartDir,
    '--namespace',
    'mail',
    ...valueFiles.flatMap((file) => ['--values', file]),
    ...sets.flatMap((set) => ['--set', set]),
  ];
}

/** Finds the object of a kind and name, and throws when there is none. */
export function find(manifests: Manifest[], kind: string, name: string): Manifest {
  const found = manifests.find((item) => item.kind === kind && item.metadata.name === name);
  if (found === undefined) throw new Error(`no ${kind} named ${name} in the rendered chart`);
  return found;
}

export function ofKind(manifests: Manifest[], kind: string): Manifest[] {
  return manifests.filter((item) => item.kind === kind);
}

interface Dashboard {
  panels: { targets?: { expr: string }[] }[];
  templating: { list: { query?: string | { query: string } }[] };
}

/** Reads the PromQL of the dashboard's panels and, unless `withVariables` is false, of its variables. */
export function dashboardQueries(withVariables = true): string[] {
  const text = readFileSync(join(chartDir, 'dashboards/mailshield.json'), 'utf8');
  const dashboard = JSON.parse(text) as Dashboard;
  const queries = dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => target.expr),
  );
  if (withVariables) {
    for (const variable of dashboard.templating.list) {
      if (typeof variable.query === 'object') queries.push(variable.query.query);
    }
  }
  return queries;
}
