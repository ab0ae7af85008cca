import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createLogger,
  decodeRecord,
  defaultPolicy,
  MemoryBus,
  StaticPolicySource,
  type RunningService,
} from '@mailshield/common';
import type { MessageRecord } from '@mailshield/proto/message';
import type { Policy } from '@mailshield/proto/policy';
import type { BackupStore } from '@mailshield/common';
import type { InterceptorOptions } from '../../config.js';
import { startInterceptor } from '../../index.js';
import { RecordingBackupStore } from './backup.js';

export interface TestInterceptor {
  service: RunningService;
  bus: MemoryBus;
  policy: StaticPolicySource;
  options: InterceptorOptions;
  /** The Backup store given to the interceptor; undefined when it uses the control plane's. */
  backup: BackupStore | undefined;
  smtpPort: number;
  /** Stops the interceptor; the state folder stays for a restart. */
  stop(): Promise<void>;
  /** Stops the interceptor and removes its state folder. */
  cleanup(): Promise<void>;
}

export interface TestInterceptorSettings {
  policy?: Partial<Policy>;
  options?: Partial<InterceptorOptions>;
  bus?: MemoryBus;
  stateDir?: string;
  /**
   * Backup store for bounced and expired messages. Default: a new RecordingBackupStore.
   * 'control-plane': none, so the interceptor calls Backup.Store at `options.controlPlane`.
   */
  backup?: BackupStore | 'control-plane';
}

/** Starts an interceptor on free loopback ports with a memory bus, a static policy and a temp state dir. */
export async function startTestInterceptor(
  settings: TestInterceptorSettings = {},
): Promise<TestInterceptor> {
  const stateDir = settings.stateDir ?? (await mkdtemp(join(tmpdir(), 'mailshield-interceptor-')));
  const bus = settings.bus ?? new MemoryBus();
  const policy = new StaticPolicySource({ ...defaultPolicy(['example.com']), ...settings.policy });
  const options: InterceptorOptions = {
    instance: 'interceptor-test',
    controlPlane: { host: '127.0.0.1', port: 1 },
    bindHost: '127.0.0.1',
    stateDir,
    logLevel: 'silent',
    smtp: { host: '127.0.0.1', port: 0 },
    smtpHostname: 'mx.test.invalid',
    tlsCertFile: undefined,
    tlsKeyFile: undefined,
    proxyProtocol: false,
    proxyPeers: [],
    clusterNetworks: [],
    drainSeconds: 2,
    nextHop: undefined,
    nextHopVerifyTls: false,
    nextHopRetrySeconds: 1,
    deliveryRetryDelaySeconds: 1,
    deliveryMaxAgeSeconds: 5 * 86_400,
    deliveryDir: join(stateDir, 'delivered'),
    grpcPort: 0,
    metricsPort: 0,
    bus: { kind: 'journal', dir: join(stateDir, 'journal'), segmentBytes: 1024 * 1024 },
    ...settings.options,
  };
  const logger = createLogger('interceptor', process.env['TEST_LOG_LEVEL'] ?? 'silent');
  const backup =
    settings.backup === 'control-plane'
      ? undefined
      : (settings.backup ?? new RecordingBackupStore());
  const service = await startInterceptor(options, {
    bus,
    logger,
    policy,
    ...(backup === undefined ? {} : { backup }),
  });
  let isStopped = false;
  const stop = async () => {
    if (isStopped) return;
    isStopped = true;
    await service.stop();
  };
  return {
    service,
    bus,
    policy,
    options,
    backup,
    smtpPort: service.ports['smtp']!,
    stop,
    cleanup: async () => {
      await stop();
      await bus.close();
      if (settings.stateDir === undefined) await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** Decoded records of a topic of the memory bus. */
export function topicRecords(bus: MemoryBus, topic: string): MessageRecord[] {
  return bus.records(topic).map(decodeRecord);
}

/** Polls `check` every 20 ms until it returns true; throws after `timeoutMs`. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
