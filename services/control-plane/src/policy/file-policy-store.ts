import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@mailshield/common';
import { Policy } from '@mailshield/proto/policy';
import { StoreCorruptError } from '../errors.js';
import { Mutex } from '../storage/mutex.js';
import { prepareNextVersion, type PolicyStore, type PolicyVersion } from './policy-store.js';

interface StoredVersion {
  version: number;
  actor: string;
  storedAt: string;
  policy: unknown;
}

/**
 * Policy versions as JSON files `<version>.json` in one folder, for the local run without a
 * database. The current policy is kept in memory; writes are atomic and serialized.
 * NOTE: the lock is in-process only, so two processes must not share one folder.
 */
export class FilePolicyStore implements PolicyStore {
  private current: Policy | undefined;
  private readonly mutex = new Mutex();

  constructor(private readonly directory: string) {}

  async open(seed: Policy): Promise<void> {
    await mkdir(this.directory, { recursive: true });
    const versions = await this.versionNumbers();
    const newest = versions.at(-1);
    if (newest !== undefined) {
      this.current = (await this.read(newest)).policy;
      return;
    }
    await this.set(seed, 0, 'seed');
  }

  async get(): Promise<Policy> {
    if (this.current === undefined) throw new Error('policy store is not open');
    return this.current;
  }

  set(policy: Policy, expectedVersion: number, actor: string): Promise<Policy> {
    return this.mutex.run(async () => {
      const next = prepareNextVersion(policy, expectedVersion, this.current?.version ?? 0);
      const stored: StoredVersion = {
        version: next.version,
        actor,
        storedAt: new Date().toISOString(),
        policy: Policy.toJSON(next),
      };
      await writeFileAtomic(this.fileOf(next.version), `${JSON.stringify(stored, null, 2)}\n`);
      this.current = next;
      return next;
    });
  }

  async history(limit: number): Promise<PolicyVersion[]> {
    const versions = (await this.versionNumbers()).reverse().slice(0, limit);
    return Promise.all(versions.map((version) => this.read(version)));
  }

  async version(version: number): Promise<PolicyVersion | undefined> {
    if (!Number.isSafeInteger(version) || version < 1) return undefined;
    if (!(await this.versionNumbers()).includes(version)) return undefined;
    return this.read(version);
  }

  async close(): Promise<void> {}

  private fileOf(version: number): string {
    return join(this.directory, `${String(version).padStart(12, '0')}.json`);
  }

  private async versionNumbers(): Promise<number[]> {
    const names = await readdir(this.directory);
    return names
      .filter((name) => /^\d{12}\.json$/.test(name))
      .map((name) => Number(name.slice(0, 12)))
      .sort((a, b) => a - b);
  }

  private async read(version: number): Promise<PolicyVersion> {
    const file = this.fileOf(version);
    try {
      const stored = JSON.parse(await readFile(file, 'utf8')) as StoredVersion;
      const policy = { ...Policy.fromJSON(stored.policy), version: stored.version };
      return { policy, actor: stored.actor, storedAt: new Date(stored.storedAt) };
    } catch (err) {
      throw new StoreCorruptError(`policy file ${file} cannot be read`, { cause: err });
    }
  }
}
