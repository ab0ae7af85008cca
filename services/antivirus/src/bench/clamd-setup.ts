import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, formatHostPort, type HostPort } from '@mailshield/common';
import { ClamdClient } from '../engine/clamd-client.js';
import { RamStore } from '../store/ram-store.js';
import { ownListenerPid } from './proc.js';

/** Bytes the scan store may hold: the service's default of MAILSHIELD_ANTIVIRUS_STORE_MAX_BYTES. */
const STORE_MAX_BYTES = 256 * 1024 * 1024;
const PROBE_TIMEOUT_MS = 5000;

/**
 * Finds the clamd process behind each address. Throws when one is not a clamd of this user
 * on this machine, because its CPU time could not be measured.
 */
export function findClamd(addresses: HostPort[]): { address: HostPort; pid: number }[] {
  return addresses.map((address) => {
    const pid = ownListenerPid(address.port, 'clamd');
    if (pid === undefined) {
      throw new Error(
        `no clamd process of this user listens on port ${address.port} ` +
          `(MAILSHIELD_CLAMD_ADDRESS ${formatHostPort(address)}); ` +
          'start it with: bash deploy/local/clamd.sh start',
      );
    }
    return { address, pid };
  });
}

/** The scan store of the benchmark, in a folder of its own that `remove()` deletes. */
export interface BenchStore {
  store: RamStore;
  folder: string;
  remove(): Promise<void>;
}

/**
 * Opens a scan store in /dev/shm (else the temporary folder), like the service's default,
 * and checks that every clamd can read a file in it with SCAN. Throws when one cannot,
 * because the antivirus would then fall back to INSTREAM without saying so.
 */
export async function openBenchStore(addresses: HostPort[]): Promise<BenchStore> {
  const parent = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const folder = join(parent, `mailshield-antivirus-bench-${process.pid}`);
  const logger = createLogger('antivirus-bench', 'warn');
  const store = await RamStore.open({ folder, maxBytes: STORE_MAX_BYTES }, logger);
  const remove = () => rm(folder, { recursive: true, force: true });
  try {
    await probeStore(store, addresses);
  } catch (err) {
    await remove();
    throw err;
  }
  return { store, folder, remove };
}

async function probeStore(store: RamStore, addresses: HostPort[]): Promise<void> {
  const probe = store.openMessage();
  try {
    const file = await probe.write(Buffer.from(`store probe ${randomBytes(8).toString('hex')}`));
    if (file === undefined) throw new Error('the scan store has no room for a probe file');
    for (const address of addresses) {
      try {
        await new ClamdClient(address).scanFile(file, { timeoutMs: PROBE_TIMEOUT_MS });
      } catch (err) {
        throw new Error(
          `clamd at ${formatHostPort(address)} could not scan ${file} by path ` +
            `(${(err as Error).message}); run clamd as this user, or use --store off`,
        );
      }
    }
  } finally {
    await probe.cleanup();
  }
}
