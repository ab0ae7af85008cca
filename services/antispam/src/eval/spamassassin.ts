import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { mapWithConcurrency } from '../concurrency.js';
import type { CorpusMessage } from './corpus.js';
import type { ScoredMessage } from './metrics.js';
import { checkWithSpamd, pingSpamd } from './spamd-client.js';
import { createWorkDir, learnWithSaLearn, type SpamAssassinWorkDir } from './spamassassin-setup.js';

export interface SpamAssassinRun {
  version: string;
  results: ScoredMessage[];
  /** Seconds sa-learn took for the training part. */
  learnSeconds: number;
  /** Seconds spamd took to score the test part, all children together. */
  scoreSeconds: number;
  children: number;
}

/** Loading the rules takes several seconds on a small machine. */
const SPAMD_START_TIMEOUT_MS = 180_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Starts spamd on loopback with the private configuration and waits until it replies to PING. */
async function startSpamd(
  dir: SpamAssassinWorkDir,
  port: number,
  children: number,
): Promise<ChildProcess> {
  const args = [
    '--local',
    '--nouser-config',
    `--siteconfigpath=${dir.siteDir}`,
    `--listen=127.0.0.1:${port}`,
    '--allowed-ips=127.0.0.1',
    `--min-children=${children}`,
    `--max-children=${children}`,
    `--helper-home-dir=${dir.homeDir}`,
    '--syslog=stderr',
    ...(dir.user === undefined ? [] : ['--username', dir.user]),
  ];
  const daemon = spawn('spamd', args, { env: dir.env, stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  daemon.stderr!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  let spawnError: Error | undefined;
  daemon.once('error', (err) => (spawnError = err));
  const deadline = Date.now() + SPAMD_START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (spawnError !== undefined) throw new Error(`spamd could not start: ${spawnError.message}`);
    if (daemon.exitCode !== null)
      throw new Error(`spamd exited with code ${daemon.exitCode}:\n${output}`);
    if (await pingSpamd(port)) return daemon;
    await sleep(500);
  }
  await stopSpamd(daemon);
  throw new Error(`spamd did not reply on 127.0.0.1:${port} within 180 s:\n${output}`);
}

async function stopSpamd(daemon: ChildProcess): Promise<void> {
  if (daemon.exitCode !== null || daemon.signalCode !== null) return;
  const exited = new Promise((resolve) => daemon.once('exit', resolve));
  daemon.kill('SIGTERM');
  const timedOut = await Promise.race([exited.then(() => false), sleep(10_000, true)]);
  if (timedOut) daemon.kill('SIGKILL');
}

/**
 * Trains SpamAssassin's Bayes on `train` with sa-learn and scores `test` with spamd, both with
 * local tests only and a configuration in a temporary folder, which is deleted afterwards.
 */
export async function runSpamAssassin(
  version: string,
  train: readonly CorpusMessage[],
  test: readonly CorpusMessage[],
  children: number,
  log: (line: string) => void,
): Promise<SpamAssassinRun> {
  const dir = await createWorkDir(train);
  let daemon: ChildProcess | undefined;
  try {
    log(`SpamAssassin ${version}: sa-learn on ${train.length} messages in ${dir.root}`);
    let started = performance.now();
    await learnWithSaLearn(dir);
    const learnSeconds = (performance.now() - started) / 1000;
    const port = await freePort();
    log(`starting spamd on 127.0.0.1:${port} with ${children} children`);
    daemon = await startSpamd(dir, port, children);
    started = performance.now();
    const results = await mapWithConcurrency(test, children, async (message) => {
      const verdict = await checkWithSpamd(port, message.raw);
      return { name: message.name, label: message.label, score: verdict.score };
    });
    const scoreSeconds = (performance.now() - started) / 1000;
    return { version, results, learnSeconds, scoreSeconds, children };
  } finally {
    if (daemon !== undefined) await stopSpamd(daemon);
    await rm(dir.root, { recursive: true, force: true });
  }
}
