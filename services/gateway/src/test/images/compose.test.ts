import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { parse } from 'yaml';
import { readAntispamConfig } from '@mailshield/antispam';
import { EnvReader, readBusOptions } from '@mailshield/common';
import { readAntivirusOptions } from '@mailshield/antivirus';
import { readControlPlaneOptions } from '@mailshield/control-plane';
import { readInterceptorOptions } from '@mailshield/interceptor';
import { repoRoot } from '../harness/processes.js';
import {
  defaultPorts,
  imageEnv,
  lastInstruction,
  readDockerfile,
  services,
  type Service,
} from './dockerfile.js';

const deployDir = join(repoRoot, 'deploy');
const stages = readDockerfile();

/** Variables of the host's shell when compose.yaml is rendered: only the required password. */
const hostVariables: Record<string, string> = { MAILSHIELD_DB_PASSWORD: 'secret' };

/**
 * Replaces `${NAME}`, `${NAME:-default}` and `${NAME:?message}` the way Docker Compose does,
 * and throws for a required variable that is missing.
 */
function interpolate(text: string, variables: Record<string, string>): string {
  return text.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([-?])([^}]*))?\}/g,
    (_match, name: string, operator?: string, operand?: string) => {
      const value = variables[name];
      if (value !== undefined && value !== '') return value;
      if (operator === '?') throw new Error(`${name} is required: ${operand}`);
      return operator === '-' ? (operand ?? '') : (value ?? '');
    },
  );
}

function interpolateAll(value: unknown): unknown {
  if (typeof value === 'string') return interpolate(value, hostVariables);
  if (Array.isArray(value)) return value.map(interpolateAll);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolateAll(item)]),
    );
  }
  return value;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ComposeService = Record<string, any>;

const compose = interpolateAll(
  parse(readFileSync(join(deployDir, 'compose.yaml'), 'utf8'), { merge: true }),
) as { services: Record<string, ComposeService>; volumes: Record<string, ComposeService> };

const dir = mkdtempSync(join(tmpdir(), 'mailshield-compose-'));
const keyFile = join(dir, 'backup.key');
writeFileSync(keyFile, randomBytes(32).toString('base64'));

/**
 * Builds a container's environment: the image's ENV, then compose.yaml's. The Backup key
 * secret becomes a real key file, as Docker would mount it.
 */
function containerEnv(service: Service): Record<string, string> {
  const env: Record<string, string> = {
    ...imageEnv(stages, service),
    ...(compose.services[service]!['environment'] as Record<string, string>),
  };
  if (env['MAILSHIELD_BACKUP_KEY_FILE'] !== undefined) env['MAILSHIELD_BACKUP_KEY_FILE'] = keyFile;
  return env;
}

/** Runs a config reader on an environment and returns the variables it read. */
function readNames(env: Record<string, string>, reader: (env: NodeJS.ProcessEnv) => unknown) {
  const names = new Set<string>();
  const recording = new Proxy(env, {
    get(target, name) {
      if (typeof name === 'string') names.add(name);
      return Reflect.get(target, name) as unknown;
    },
  });
  reader(recording);
  return names;
}

const readers: Record<Service, (env: NodeJS.ProcessEnv) => unknown> = {
  interceptor: readInterceptorOptions,
  antivirus: readAntivirusOptions,
  antispam: readAntispamConfig,
  'control-plane': readControlPlaneOptions,
};

/** Splits a short port mapping `[ip:]published:target` into its parts. */
function portMapping(mapping: string): { ip: string; published: number; target: number } {
  const parts = mapping.split(':');
  const target = Number(parts.at(-1));
  const published = Number(parts.at(-2));
  return { ip: parts.slice(0, -2).join(':'), published, target };
}

function volumeMounts(service: ComposeService): { source: string; path: string; mode: string }[] {
  return ((service['volumes'] ?? []) as string[]).map((entry) => {
    const [source, path, mode = 'rw'] = entry.split(':');
    return { source: source!, path: path!, mode };
  });
}

describe('deploy/compose.yaml', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('builds each service from its own target of deploy/Dockerfile', () => {
    const built = Object.entries(compose.services).filter(
      ([, service]) => service['build']?.dockerfile === 'deploy/Dockerfile',
    );
    assert.deepEqual(built.map(([name]) => name).sort(), [...services].sort());
    for (const [name, service] of built) {
      assert.equal(resolve(deployDir, service['build'].context as string), repoRoot);
      assert.equal(service['build'].target, name);
      assert.ok(stages.some((stage) => stage.name === name));
    }
  });

  test('builds every mailshield image it runs', () => {
    // Compose v2 ignores a failed pull of an image that another service builds (see
    // isServiceImageToBuild in docker/compose pkg/compose/pull.go), so the
    // mailshield images must each have a service with a build section.
    const builtImages = new Set(
      Object.values(compose.services)
        .filter((service) => service['build'] !== undefined)
        .map((service) => service['image'] as string),
    );
    for (const [name, service] of Object.entries(compose.services)) {
      const image = service['image'] as string;
      if (image.startsWith('mailshield-')) {
        assert.ok(builtImages.has(image), `${name} runs ${image}, which no service builds`);
      }
    }
  });

  test('builds the ClamAV image from deploy/clamav', () => {
    const built = Object.values(compose.services).filter(
      (service) => typeof service['build'] === 'string',
    );
    assert.ok(built.length > 0);
    for (const service of built) {
      assert.ok(existsSync(join(deployDir, service['build'] as string, 'Dockerfile')));
    }
  });

  for (const service of services) {
    test(`sets only variables the ${service} reads`, () => {
      const env = containerEnv(service);
      const names = readNames(env, readers[service]);
      const unread = Object.keys(env).filter(
        (name) => name.startsWith('MAILSHIELD_') && !names.has(name),
      );
      assert.deepEqual(unread, []);
    });

    test(`keeps the ${service}'s state on a volume`, () => {
      const stateDir = containerEnv(service)['MAILSHIELD_STATE_DIR'];
      const composeService = compose.services[service]!;
      assert.equal(composeService['read_only'], true);
      assert.ok(
        volumeMounts(composeService).some((mount) => mount.path === stateDir),
        `no volume at ${stateDir}`,
      );
    });
  }

  test("passes the interceptor's checks", () => {
    const options = readInterceptorOptions(containerEnv('interceptor'));
    assert.equal(options.smtp.host, '0.0.0.0');
    assert.equal(options.bindHost, '0.0.0.0');
    assert.deepEqual(options.controlPlane, {
      host: 'control-plane',
      port: defaultPorts('control-plane').grpc,
    });
    assert.equal(options.bus.kind === 'kafka' && options.bus.brokers.join(), 'kafka:9092');
    const ports = (compose.services['interceptor']!['ports'] as string[]).map(portMapping);
    assert.deepEqual(ports, [{ ip: '127.0.0.1', published: 2525, target: options.smtp.port }]);
  });

  test("passes the antivirus' checks", () => {
    const options = readAntivirusOptions(containerEnv('antivirus'));
    const clamdPort = /^TCPSocket (\d+)$/m.exec(
      readFileSync(join(deployDir, 'clamav/clamd.conf'), 'utf8'),
    );
    assert.deepEqual(
      options.clamd.map((endpoint) => endpoint.address),
      [{ host: 'clamd', port: Number(clamdPort?.[1]) }],
    );
    assert.equal(options.clamdSharesStore, true);
    assert.equal(options.storeDir, '/scan-store');
  });

  test("passes the antispam's checks", () => {
    const { options, bus } = readAntispamConfig(containerEnv('antispam'));
    assert.equal(options.grpcPort, defaultPorts('antispam').grpc);
    assert.equal(bus.kind, 'kafka');
  });

  test("passes the control plane's checks", () => {
    const options = readControlPlaneOptions(containerEnv('control-plane'));
    assert.notEqual(options.backupKey, undefined);
    assert.equal(options.databaseUrl, 'postgres://mailshield:secret@postgres:5432/mailshield');
    // Each monitored component is the compose service of that name on its default port.
    for (const component of options.components) {
      assert.ok(component.name in compose.services, `no compose service ${component.name}`);
      assert.deepEqual(component.address, {
        host: component.name,
        port: defaultPorts(component.name as Service).grpc,
      });
    }
    assert.deepEqual(options.components.map((component) => component.name).sort(), [
      'antispam',
      'antivirus',
      'interceptor',
    ]);
    const ports = (compose.services['control-plane']!['ports'] as string[]).map(portMapping);
    assert.deepEqual(ports, [{ ip: '127.0.0.1', published: 50050, target: options.grpcPort }]);
  });

  test('points every service at the advertised Kafka listener', () => {
    const advertised = compose.services['kafka']!['environment']['KAFKA_ADVERTISED_LISTENERS'];
    const listener = /PLAINTEXT:\/\/([^,]+)/.exec(advertised as string)?.[1];
    for (const service of services) {
      const bus = readBusOptions(
        new EnvReader(containerEnv(service)),
        '/var/lib/mailshield',
        service,
      );
      assert.equal(bus.kind === 'kafka' && bus.brokers.join(), listener, service);
    }
  });

  test('waits only for services that have a health check', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const [dependency, condition] of Object.entries(service['depends_on'] ?? {})) {
        const target = compose.services[dependency];
        assert.ok(target !== undefined, `${name} depends on missing ${dependency}`);
        if ((condition as { condition: string }).condition !== 'service_healthy') continue;
        const imageCheck =
          target['build']?.target !== undefined &&
          lastInstruction(stages, target['build'].target as string, 'HEALTHCHECK') !== undefined;
        assert.ok(
          target['healthcheck'] !== undefined || imageCheck,
          `${name} waits for ${dependency} to be healthy, but it has no health check`,
        );
      }
    }
  });

  test('shares the scan store between the antivirus and clamd at the same path', () => {
    const storeDir = containerEnv('antivirus')['MAILSHIELD_ANTIVIRUS_STORE_DIR'];
    const antivirus = volumeMounts(compose.services['antivirus']!).find(
      (mount) => mount.path === storeDir,
    );
    const clamd = volumeMounts(compose.services['clamd']!).find((mount) => mount.path === storeDir);
    assert.ok(antivirus !== undefined, `the antivirus mounts nothing at ${storeDir}`);
    assert.ok(clamd !== undefined, `clamd mounts nothing at ${storeDir}`);
    assert.equal(clamd.source, antivirus.source);
    assert.equal(antivirus.mode, 'rw');
    // The volume's owner must be the user of both images, so clamd can read what antivirus writes.
    const user = lastInstruction(stages, 'antivirus', 'USER')!.args.split(':')[0];
    const clamavDockerfile = readFileSync(join(deployDir, 'clamav/Dockerfile'), 'utf8');
    assert.match(clamavDockerfile, new RegExp(`^USER ${user}:`, 'm'));
    const options = compose.volumes[antivirus.source]!['driver_opts'].o as string;
    assert.match(options, new RegExp(`(^|,)uid=${user}(,|$)`));
  });

  test('clamd.conf and freshclam.conf pass clamconf', () => {
    // clamconf parses both files with the option tables of clamd and freshclam 1.4 and reports
    // every unknown option or bad value as ERROR, but it exits 0 either way.
    const result = spawnSync(
      'clamconf',
      ['--non-default', `--config-dir=${join(deployDir, 'clamav')}`],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(result.error, undefined, 'clamconf is missing; install clamav-daemon');
    assert.equal(result.status, 0, result.stderr);
    assert.doesNotMatch(result.stdout + result.stderr, /ERROR/);
    assert.match(
      result.stdout,
      /Config file: clamd\.conf\n-+\n(?:.+\n)*StreamMaxLength = "41943040"/,
    );
    assert.match(result.stdout, /Config file: freshclam\.conf\n-+\n(?:.+\n)*Foreground = "yes"/);
  });
});
