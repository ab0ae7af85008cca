import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readAntispamConfig } from '@mailshield/antispam';
import { readAntivirusOptions } from '@mailshield/antivirus';
import { readControlPlaneOptions } from '@mailshield/control-plane';
import { readInterceptorOptions } from '@mailshield/interceptor';
import { repoRoot } from '../harness/processes.js';

export const dockerfilePath = join(repoRoot, 'deploy/Dockerfile');

/** The services with an image target of the same name in deploy/Dockerfile. */
export const services = ['interceptor', 'antivirus', 'antispam', 'control-plane'] as const;
export type Service = (typeof services)[number];

/**
 * Returns the gRPC and metrics ports that a service's own config reader sets for an
 * environment, which are the defaults for an empty one.
 */
export function defaultPorts(
  service: Service,
  env: NodeJS.ProcessEnv = {},
): { grpc: number; metrics: number } {
  switch (service) {
    case 'interceptor': {
      const options = readInterceptorOptions(env);
      return { grpc: options.grpcPort, metrics: options.metricsPort };
    }
    case 'antivirus': {
      const options = readAntivirusOptions(env);
      return { grpc: options.grpcPort, metrics: options.metricsPort };
    }
    case 'antispam': {
      const { options } = readAntispamConfig(env);
      return { grpc: options.grpcPort, metrics: options.metricsPort };
    }
    case 'control-plane': {
      const options = readControlPlaneOptions(env);
      assert.ok(options.metricsPort !== undefined, 'the control plane has no default metrics port');
      return { grpc: options.grpcPort, metrics: options.metricsPort };
    }
  }
}

/** Names the variable that moves a service's gRPC port, such as MAILSHIELD_ANTIVIRUS_GRPC_PORT. */
export function grpcPortVariable(service: Service): string {
  return `MAILSHIELD_${service.toUpperCase().replace('-', '_')}_GRPC_PORT`;
}

export interface Instruction {
  /** The instruction in upper case, such as COPY. */
  keyword: string;
  /** Everything after the keyword, with continuation lines joined. */
  args: string;
}

export interface Stage {
  /** The name after AS, else the stage's index. */
  name: string;
  /** The image or earlier stage after FROM. */
  base: string;
  instructions: Instruction[];
}

/**
 * Splits a Dockerfile into its stages. Continuation lines are joined and comment lines are
 * dropped, as BuildKit does. Instructions before the first FROM (global ARGs) are skipped.
 */
export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && pending === '')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const full = (pending + line).trim();
    pending = '';
    if (full === '') continue;
    const space = full.search(/\s/);
    const keyword = full.slice(0, space).toUpperCase();
    const args = full.slice(space + 1).trim();
    if (keyword === 'FROM') {
      const match = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (match === null) throw new Error(`FROM ${args} is invalid: expected IMAGE [AS NAME]`);
      stages.push({ name: match[2] ?? String(stages.length), base: match[1]!, instructions: [] });
    } else if (stages.length > 0) {
      stages.at(-1)!.instructions.push({ keyword, args });
    }
  }
  return stages;
}

export function readDockerfile(): Stage[] {
  return parseDockerfile(readFileSync(dockerfilePath, 'utf8'));
}

/** Returns the stage and the earlier stages it is built FROM, the base first. */
export function stageChain(stages: Stage[], name: string): Stage[] {
  const stage = stages.find((item) => item.name === name);
  if (stage === undefined) throw new Error(`deploy/Dockerfile has no stage named ${name}`);
  const base = stages.find((item) => item.name === stage.base);
  return base === undefined ? [stage] : [...stageChain(stages, base.name), stage];
}

/** Lists every instruction that applies to the image of a stage, from its base stages onwards. */
export function effectiveInstructions(stages: Stage[], name: string): Instruction[] {
  return stageChain(stages, name).flatMap((stage) => stage.instructions);
}

/** Returns the last instruction with this keyword in a stage's image, which is the one in force. */
export function lastInstruction(
  stages: Stage[],
  name: string,
  keyword: string,
): Instruction | undefined {
  return effectiveInstructions(stages, name)
    .filter((instruction) => instruction.keyword === keyword)
    .at(-1);
}

export interface Copy {
  /** The stage after --from, or undefined for the build context. */
  from: string | undefined;
  sources: string[];
  destination: string;
}

/** Reads the shell form of COPY, which is the only form deploy/Dockerfile uses. */
export function parseCopy(args: string): Copy {
  const words = args.split(/\s+/);
  let from: string | undefined;
  const paths: string[] = [];
  for (const word of words) {
    if (word.startsWith('--from=')) from = word.slice('--from='.length);
    else if (!word.startsWith('--')) paths.push(word);
  }
  if (paths.length < 2) throw new Error(`COPY ${args} has no source or no destination`);
  return { from, sources: paths.slice(0, -1), destination: paths.at(-1)! };
}

/** Reads a JSON (exec) form argument list such as ["node", "main.js"]. */
export function execForm(args: string): string[] {
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string')) {
    throw new Error(`${args} is not an exec form list of strings`);
  }
  return parsed;
}

/** Collects the variables that the ENV instructions of a stage and its base stages set. */
export function imageEnv(stages: Stage[], name: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const instruction of effectiveInstructions(stages, name)) {
    if (instruction.keyword !== 'ENV') continue;
    for (const pair of instruction.args.split(/\s+/)) {
      const equals = pair.indexOf('=');
      if (equals <= 0) throw new Error(`ENV ${instruction.args} is not in the NAME=value form`);
      env[pair.slice(0, equals)] = pair.slice(equals + 1);
    }
  }
  return env;
}

/** Returns the shell form command of a target's HEALTHCHECK, which runs with /bin/sh -c. */
export function healthCheckCommand(stages: Stage[], name: string): string {
  const healthcheck = lastInstruction(stages, name, 'HEALTHCHECK');
  if (healthcheck === undefined) throw new Error(`target ${name} has no HEALTHCHECK`);
  const match = /(?:^|\s)CMD\s+([^[].*)$/.exec(healthcheck.args);
  if (match === null) throw new Error(`HEALTHCHECK ${healthcheck.args} has no shell form CMD`);
  return match[1]!;
}
