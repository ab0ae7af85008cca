import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { readInterceptorOptions } from '@mailshield/interceptor';
import { repoRoot } from '../harness/processes.js';
import {
  defaultPorts,
  effectiveInstructions,
  execForm,
  grpcPortVariable,
  healthCheckCommand,
  lastInstruction,
  parseCopy,
  readDockerfile,
  services,
  stageChain,
} from './dockerfile.js';

const stages = readDockerfile();

/** Rules of the build context's .dockerignore, since deploy/Dockerfile is built from the repository root. */
const ignoreRules = readFileSync(join(repoRoot, '.dockerignore'), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));

/**
 * Tells whether a rule of .dockerignore excludes a path or a folder above it. Covers the rule
 * forms the file uses (`name`, `**`, `*`). An exception rule (`!`) fails the test instead.
 */
function isIgnored(path: string): boolean {
  return ignoreRules.some((rule) => {
    assert.ok(!rule.startsWith('!'), `exception rule ${rule} in .dockerignore is not handled`);
    const pattern = rule
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*\*\//g, '\u0000')
      .replace(/\*/g, '[^/]*')
      .replace(/\u0000/g, '(?:.*/)?');
    return new RegExp(`^${pattern}(?:/.*)?$`).test(path);
  });
}

function workspaceName(service: string): string {
  const manifest = JSON.parse(
    readFileSync(join(repoRoot, 'services', service, 'package.json'), 'utf8'),
  ) as { name: string };
  return manifest.name;
}

describe('deploy/Dockerfile', () => {
  test('copies only paths that are in the build context', () => {
    for (const stage of stages) {
      for (const instruction of stage.instructions.filter((item) => item.keyword === 'COPY')) {
        const copy = parseCopy(instruction.args);
        if (copy.from !== undefined) continue;
        for (const source of copy.sources) {
          assert.ok(existsSync(join(repoRoot, source)), `COPY ${source} in ${stage.name}: missing`);
          assert.ok(!isIgnored(source), `COPY ${source} in ${stage.name}: .dockerignore drops it`);
        }
      }
    }
  });

  test('copies from the build stage only what the build produces', () => {
    // The build stage's /src is the build context with every workspace compiled, which is
    // what the repository holds after `make build`.
    for (const stage of stages) {
      for (const instruction of stage.instructions.filter((item) => item.keyword === 'COPY')) {
        const copy = parseCopy(instruction.args);
        if (copy.from !== 'build') continue;
        for (const source of copy.sources) {
          assert.match(source, /^\/src\//);
          const path = source.slice('/src/'.length);
          assert.ok(existsSync(join(repoRoot, path)), `COPY --from=build ${source}: missing`);
        }
      }
    }
  });

  for (const service of services) {
    describe(service, () => {
      const ports = defaultPorts(service);

      test('has a target that runs as a numeric user other than root', () => {
        const user = lastInstruction(stages, service, 'USER');
        assert.ok(user !== undefined, `target ${service} sets no USER`);
        const match = /^(\d+)(?::(\d+))?$/.exec(user.args);
        assert.ok(match !== null, `USER ${user.args} is not numeric`);
        assert.notEqual(Number(match[1]), 0);
        assert.notEqual(Number(match[2] ?? 1), 0);
      });

      test('checks its health on its gRPC port', () => {
        // The port variable must be the one the config reader uses, with its default.
        const variable = grpcPortVariable(service);
        assert.equal(defaultPorts(service, { [variable]: '12345' }).grpc, 12345);
        assert.equal(
          healthCheckCommand(stages, service),
          `node deploy/grpc-health-check.js "127.0.0.1:\${${variable}:-${ports.grpc}}"`,
        );
        const copied = effectiveInstructions(stages, service)
          .filter((instruction) => instruction.keyword === 'COPY')
          .flatMap((instruction) => parseCopy(instruction.args).sources);
        assert.ok(copied.includes('deploy/grpc-health-check.js'));
      });

      test('exposes its default ports', () => {
        const exposed = effectiveInstructions(stages, service)
          .filter((instruction) => instruction.keyword === 'EXPOSE')
          .flatMap((instruction) => instruction.args.split(/\s+/).map(Number));
        const expected = [ports.grpc, ports.metrics];
        if (service === 'interceptor') expected.push(readInterceptorOptions({}).smtp.port);
        for (const port of expected) assert.ok(exposed.includes(port), `port ${port} missing`);
      });

      test('installs the production dependencies of its own workspace only', () => {
        const copies = stageChain(stages, service)
          .at(-1)!
          .instructions.filter((instruction) => instruction.keyword === 'COPY')
          .map((instruction) => parseCopy(instruction.args));
        const modules = copies.find((copy) => copy.sources.includes('/app/node_modules'));
        assert.ok(modules?.from !== undefined, `target ${service} copies no node_modules`);
        const installs = effectiveInstructions(stages, modules.from).filter(
          (instruction) => instruction.keyword === 'RUN' && /\bnpm ci\b/.test(instruction.args),
        );
        assert.equal(installs.length, 1, `stage ${modules.from} must run npm ci once`);
        const words = installs[0]!.args.split(/\s+/);
        assert.ok(words.includes('--omit=dev'), `${installs[0]!.args} keeps dev dependencies`);
        assert.deepEqual(
          words.filter((word) => word.startsWith('--workspace')),
          [`--workspace=${workspaceName(service)}`],
        );
      });

      test('starts the compiled entry point of the service', () => {
        const entrypoint = lastInstruction(stages, service, 'ENTRYPOINT');
        assert.ok(entrypoint !== undefined, `target ${service} has no ENTRYPOINT`);
        const main = `services/${service}/dist/main.js`;
        assert.deepEqual(execForm(entrypoint.args), ['node', main]);
        assert.equal(lastInstruction(stages, service, 'WORKDIR')?.args, '/app');
        assert.ok(existsSync(join(repoRoot, main)), `${main} is not built by make build`);
        const copied = effectiveInstructions(stages, service)
          .filter((instruction) => instruction.keyword === 'COPY')
          .map((instruction) => parseCopy(instruction.args));
        assert.ok(
          copied.some(
            (copy) =>
              copy.sources.includes(`/src/services/${service}/dist`) &&
              copy.destination.replace(/\/$/, '') === `services/${service}/dist`,
          ),
          `target ${service} does not copy services/${service}/dist`,
        );
      });
    });
  }
});
