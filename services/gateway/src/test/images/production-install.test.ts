import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  cpSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort, repoRoot } from '../harness/processes.js';
import {
  effectiveInstructions,
  grpcPortVariable,
  healthCheckCommand,
  imageEnv,
  parseCopy,
  readDockerfile,
  services,
  type Service,
} from './dockerfile.js';

/**
 * Reproduces each image of deploy/Dockerfile in a temp folder without Docker: the deps stage's
 * `npm ci` on the same manifests, then the final stage's files, then the service started from
 * there. A dependency that the service only gets hoisted from another workspace, or only as a
 * devDependency, fails here as it would in the image.
 */

const stages = readDockerfile();
const root = mkdtempSync(join(tmpdir(), 'mailshield-images-'));
const apps = new Map<Service, string>();
const children: ChildProcess[] = [];

/** Builds the environment of a started process without the caller's mailshield settings. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('MAILSHIELD_') && !name.startsWith('OTEL_') && name !== 'NODE_PATH') {
      env[name] = value;
    }
  }
  return { ...env, NODE_ENV: 'production', ...extra };
}

function run(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ status: number | null; output: string }> {
  return new Promise((resolveRun, rejectRun) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (data: Buffer) => (output += data.toString()));
    child.stderr.on('data', (data: Buffer) => (output += data.toString()));
    child.once('error', rejectRun);
    child.once('close', (status) => resolveRun({ status, output }));
  });
}

/** Copies one COPY source to its destination with Docker's rules for a trailing slash. */
function copyPath(source: string, destination: string, into: string): void {
  const target = destination.endsWith('/')
    ? join(into, destination, basename(source))
    : join(into, destination);
  mkdirSync(dirname(target), { recursive: true });
  // A deps stage's node_modules is used by one image only, so it moves instead of copying.
  if (source.startsWith(root) && basename(source) === 'node_modules') renameSync(source, target);
  else cpSync(source, target, { recursive: true, verbatimSymlinks: true });
}

/** Maps a COPY source to this machine: the repository (context or built /src) or a deps folder. */
function sourcePath(
  from: string | undefined,
  source: string,
  depsDirs: Map<string, string>,
): string {
  if (from === undefined) return join(repoRoot, source);
  if (from === 'build') return join(repoRoot, source.replace(/^\/src\//, ''));
  const depsDir = depsDirs.get(from);
  if (depsDir === undefined) throw new Error(`COPY --from=${from}: no such deps stage was built`);
  return join(depsDir, source.replace(/^\/app\//, ''));
}

/** Runs the COPY and `npm ci` instructions of a stage and the stages it is built from. */
async function buildStage(name: string, dir: string, depsDirs: Map<string, string>): Promise<void> {
  mkdirSync(dir, { recursive: true });
  for (const instruction of effectiveInstructions(stages, name)) {
    if (instruction.keyword === 'COPY') {
      const copy = parseCopy(instruction.args);
      for (const source of copy.sources) {
        copyPath(sourcePath(copy.from, source, depsDirs), copy.destination, dir);
      }
    } else if (instruction.keyword === 'RUN' && instruction.args.startsWith('npm ci ')) {
      // --prefer-offline takes packages from the npm cache when it has them, so only missing ones download.
      const args = [...instruction.args.split(/\s+/).slice(1), '--prefer-offline'];
      const result = await run('npm', args, dir, cleanEnv({}));
      assert.equal(result.status, 0, `npm ${args.join(' ')} failed:\n${result.output}`);
    }
  }
}

/** Builds a service's image folder: its deps stage first, then its final stage. */
async function buildImage(service: Service): Promise<string> {
  const own = stages.find((stage) => stage.name === service)!;
  const depsStages = own.instructions
    .filter((instruction) => instruction.keyword === 'COPY')
    .map((instruction) => parseCopy(instruction.args).from)
    .filter((from): from is string => from !== undefined && from !== 'build');
  const depsDirs = new Map<string, string>();
  for (const stage of new Set(depsStages)) {
    const dir = join(root, stage);
    await buildStage(stage, dir, depsDirs);
    // The image takes only /app/node_modules, so a package npm put in a workspace's own
    // node_modules (for a version conflict) would be missing there.
    const nested = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter(
      (path) => basename(path) === 'node_modules' && !path.startsWith('node_modules'),
    );
    assert.deepEqual(nested, [], `npm ci in stage ${stage} installed outside node_modules`);
    depsDirs.set(stage, dir);
  }
  const app = join(root, service, 'app');
  await buildStage(service, app, depsDirs);
  return app;
}

/** A static or dynamic import of a package (not a relative path) in compiled JavaScript. */
const importPattern =
  /^(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"./\s][^'"\s]*)['"]|^import\s*['"]([^'"./\s][^'"\s]*)['"]|\bimport\(\s*['"]([^'"./\s][^'"\s]*)['"]\s*\)/gm;

/** Lists the compiled files a service runs, without its tests, benchmarks and evaluation tools. */
function productionFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith('.js') && !path.endsWith('.test.js'))
    .filter((path) => !/(^|\/)(test|bench|eval|testing)\//.test(path))
    .map((path) => join(dir, path));
}

interface Started {
  env: NodeJS.ProcessEnv;
  log: string;
}

/**
 * Starts a service's entry point from its image folder with the image's ENV, except that
 * ports, state and every listener move to loopback and temp folders.
 */
async function startService(
  service: Service,
  grpcPort: number,
  env: Record<string, string>,
): Promise<Started> {
  const log = join(root, `${service}.log`);
  const stateDir = join(root, service, 'state');
  mkdirSync(stateDir, { recursive: true });
  const containerEnv = cleanEnv({
    ...imageEnv(stages, service),
    MAILSHIELD_BIND_HOST: '127.0.0.1',
    MAILSHIELD_STATE_DIR: stateDir,
    MAILSHIELD_LOG_LEVEL: 'info',
    [grpcPortVariable(service)]: String(grpcPort),
    [grpcPortVariable(service).replace(/_GRPC_PORT$/, '_METRICS_PORT')]: String(await freePort()),
    ...env,
  });
  for (const [name, value] of Object.entries(containerEnv)) {
    assert.ok(!value?.includes('0.0.0.0'), `${name}=${value} would listen beyond loopback`);
  }
  const child = spawn(process.execPath, [`services/${service}/dist/main.js`], {
    cwd: apps.get(service)!,
    env: containerEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const stream = createWriteStream(log);
  child.stdout!.pipe(stream);
  child.stderr!.pipe(stream);
  return { env: containerEnv, log };
}

/** Runs the target's HEALTHCHECK command as Docker does, in the image folder, until it exits 0. */
async function waitServing(service: Service, started: Started, timeoutMs = 90_000): Promise<void> {
  const command = healthCheckCommand(stages, service);
  const deadline = Date.now() + timeoutMs;
  let last = { status: null as number | null, output: '' };
  while (Date.now() < deadline) {
    last = await run('/bin/sh', ['-c', command], apps.get(service)!, started.env);
    if (last.status === 0) return;
    await new Promise((resolveWait) => setTimeout(resolveWait, 500));
  }
  const log = existsSync(started.log) ? readFileSync(started.log, 'utf8').slice(-4000) : '';
  assert.fail(
    `${service} did not become SERVING in ${timeoutMs} ms; last check (exit ${last.status}): ` +
      `${last.output}\nservice log:\n${log}`,
  );
}

describe('production install of each image', { timeout: 300_000 }, () => {
  const ports = { controlPlane: 0, interceptor: 0, antivirus: 0, antispam: 0 };
  let controlPlaneServing = false;

  before(async () => {
    // A node_modules above the image folders would let a missing dependency resolve anyway.
    for (let dir = root; dir !== dirname(dir); dir = dirname(dir)) {
      assert.ok(!existsSync(join(dirname(dir), 'node_modules')), `node_modules above ${root}`);
    }
    const built = await Promise.all(services.map((service) => buildImage(service)));
    services.forEach((service, index) => apps.set(service, built[index]!));
  });

  after(async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolveStop) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolveStop();
            child.once('exit', () => resolveStop());
            child.kill('SIGTERM');
          }),
      ),
    );
    rmSync(root, { recursive: true, force: true });
  });

  test('every package the compiled code imports resolves', async () => {
    for (const service of services) {
      const app = apps.get(service)!;
      const specifiers = new Set<string>();
      for (const folder of ['proto/dist', 'services/common/dist', `services/${service}/dist`]) {
        for (const file of productionFiles(join(app, folder))) {
          for (const match of readFileSync(file, 'utf8').matchAll(importPattern)) {
            const name = match[1] ?? match[2] ?? match[3]!;
            if (!isBuiltin(name)) specifiers.add(name);
          }
        }
      }
      assert.ok(specifiers.has('@mailshield/common'), `no imports found in ${service}`);
      // Resolving from the image folder's root is enough because node_modules is there only.
      const result = await run(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          'for (const name of JSON.parse(process.argv[1])) import.meta.resolve(name);',
          JSON.stringify([...specifiers]),
        ],
        app,
        cleanEnv({}),
      );
      assert.equal(result.status, 0, `${service}: ${result.output}`);
    }
  });

  test('the control plane serves', async () => {
    ports.interceptor = await freePort();
    ports.antivirus = await freePort();
    ports.antispam = await freePort();
    ports.controlPlane = await freePort();
    const started = await startService('control-plane', ports.controlPlane, {
      MAILSHIELD_BACKUP_KEY: randomBytes(32).toString('base64'),
      MAILSHIELD_COMPONENTS:
        `interceptor=127.0.0.1:${ports.interceptor},antivirus=127.0.0.1:${ports.antivirus},` +
        `antispam=127.0.0.1:${ports.antispam}`,
      MAILSHIELD_RELAY_DOMAINS: 'example.com',
      MAILSHIELD_SELF_TEST_INTERVAL_SECONDS: '0',
    });
    await waitServing('control-plane', started);
    controlPlaneServing = true;
  });

  test('mailshieldctl runs from the control plane image', async () => {
    const app = apps.get('control-plane')!;
    // The image links the launcher into /usr/local/bin, so it runs by its shebang.
    const link = join(root, 'mailshieldctl');
    symlinkSync(join(app, 'services/control-plane/bin/mailshieldctl.js'), link);
    const result = await run(link, ['--help'], root, cleanEnv({}));
    assert.equal(result.status, 0, result.output);
    assert.match(result.output, /^Usage: mailshieldctl /m);
  });

  for (const service of ['interceptor', 'antivirus', 'antispam'] as const) {
    test(`the ${service} serves`, async () => {
      assert.ok(controlPlaneServing, 'the control plane did not start');
      const env: Record<string, string> = {
        MAILSHIELD_CONTROL_PLANE_ADDRESS: `127.0.0.1:${ports.controlPlane}`,
      };
      if (service === 'interceptor') {
        env['MAILSHIELD_SMTP_HOST'] = '127.0.0.1';
        env['MAILSHIELD_SMTP_PORT'] = String(await freePort());
      }
      if (service === 'antivirus') {
        env['MAILSHIELD_CLAMD_ADDRESS'] =
          process.env['MAILSHIELD_CLAMD_ADDRESS'] || '127.0.0.1:3310';
        env['MAILSHIELD_ANTIVIRUS_STORE_DIR'] = join(root, 'antivirus', 'store');
      }
      // The control plane's component list names this port, so its monitor probes this process.
      const started = await startService(service, ports[service], env);
      await waitServing(service, started);
    });
  }
});
