import { join, resolve } from 'node:path';
import {
  formatHostPort,
  readBenchFlags,
  type EnvFlag,
  type EnvReader,
  type HostPort,
} from '@mailshield/common';
import { isLoopback, readClamdAddresses } from '../config.js';

/**
 * Choice of antivirus passes: with the scan store (clamd reads objects by path with SCAN),
 * without it, or both.
 */
export type StoreChoice = 'on' | 'off' | 'both';

/** Settings of one antivirus benchmark run, from the command line or else the environment. */
export interface AvBenchOptions {
  /** Messages in each timed pass. */
  messages: number;
  /** Messages scanned at once, and the clamd scans in flight at once. */
  concurrency: number;
  /** Seed of the mix: which corpus messages, which attachments and their sizes. */
  seed: string;
  store: StoreChoice;
  /** Messages scanned before each timed pass and left out of every figure. */
  warmup: number;
  /** File the JSON result is written to; undefined for none. */
  jsonFile: string | undefined;
  /** clamd instances, each from MAILSHIELD_CLAMD_ADDRESS. */
  clamd: HostPort[];
  /** Folder that contains `spam-ham/ham` and `spam-ham/spam`. */
  corpusDir: string;
}

export const USAGE = `Usage: node services/antivirus/dist/bench/main.js [options]

Measures the antivirus scan (scanMessage with the default policy) against clamd, and the same
bytes sent straight to clamd, on corpus messages with generated attachments.
Each option may also be given as the environment variable in brackets.
  --messages N       messages in each timed pass [MAILSHIELD_BENCH_AV_MESSAGES] (400)
  --concurrency N    messages scanned at once, and clamd scans in flight at once
                     [MAILSHIELD_BENCH_AV_CONCURRENCY] (8)
  --seed TEXT        seed of the mix; the same seed gives the same mix
                     [MAILSHIELD_BENCH_AV_SEED] (mailshield)
  --store on|off|both  scan by path from the scan store (on), by INSTREAM (off), or both
                     [MAILSHIELD_BENCH_AV_STORE] (both)
  --warmup N         messages scanned before each timed pass, not counted
                     [MAILSHIELD_BENCH_AV_WARMUP] (20)
  --json FILE        also write the result as JSON to FILE [MAILSHIELD_BENCH_AV_JSON]
  --help             print this text
Also read: MAILSHIELD_CLAMD_ADDRESS (127.0.0.1:3310, comma-separated for several clamd),
MAILSHIELD_CORPUS_DIR (the folder that contains spam-ham/, default ../shared/corpus beside
the repository).`;

/** Command-line flags and the environment variable each one overrides. */
const FLAGS: Record<string, EnvFlag> = {
  messages: { env: 'MAILSHIELD_BENCH_AV_MESSAGES', type: 'string' },
  concurrency: { env: 'MAILSHIELD_BENCH_AV_CONCURRENCY', type: 'string' },
  seed: { env: 'MAILSHIELD_BENCH_AV_SEED', type: 'string' },
  store: { env: 'MAILSHIELD_BENCH_AV_STORE', type: 'string' },
  warmup: { env: 'MAILSHIELD_BENCH_AV_WARMUP', type: 'string' },
  json: { env: 'MAILSHIELD_BENCH_AV_JSON', type: 'string' },
};

/** The shared/corpus folder beside the repository, seen from services/antivirus/dist/bench. */
const DEFAULT_CORPUS_DIR = join(import.meta.dirname, '../../../../../shared/corpus');

/**
 * Reads the options, or returns 'help' for --help. Throws ConfigError listing every invalid
 * value, and TypeError from parseArgs for an unknown flag.
 */
export function readAvBenchOptions(
  argv: string[],
  env: NodeJS.ProcessEnv,
): AvBenchOptions | 'help' {
  const reader = readBenchFlags(argv, env, FLAGS);
  return reader === 'help' ? 'help' : readFromEnv(reader);
}

function readFromEnv(reader: EnvReader): AvBenchOptions {
  const store = reader.string('MAILSHIELD_BENCH_AV_STORE', 'both');
  if (!['on', 'off', 'both'].includes(store))
    reader.problem(`MAILSHIELD_BENCH_AV_STORE is '${store}'; expected on, off or both`);
  const options: AvBenchOptions = {
    messages: reader.integer('MAILSHIELD_BENCH_AV_MESSAGES', 400, 1, 1_000_000),
    concurrency: reader.integer('MAILSHIELD_BENCH_AV_CONCURRENCY', 8, 1, 1024),
    seed: reader.string('MAILSHIELD_BENCH_AV_SEED', 'mailshield'),
    store: store as StoreChoice,
    warmup: reader.integer('MAILSHIELD_BENCH_AV_WARMUP', 20, 0, 1_000_000),
    jsonFile: reader.optionalString('MAILSHIELD_BENCH_AV_JSON'),
    clamd: readAddresses(reader),
    corpusDir: resolve(reader.string('MAILSHIELD_CORPUS_DIR', DEFAULT_CORPUS_DIR)),
  };
  reader.done();
  return options;
}

function readAddresses(reader: EnvReader): HostPort[] {
  const addresses = readClamdAddresses(reader);
  // The CPU time of clamd is read from /proc, so only a clamd on this machine can be measured.
  for (const address of addresses) {
    if (!isLoopback(address.host)) {
      reader.problem(
        `MAILSHIELD_CLAMD_ADDRESS: "${formatHostPort(address)}" is not on loopback; run the benchmark next to clamd`,
      );
    }
  }
  return addresses;
}
