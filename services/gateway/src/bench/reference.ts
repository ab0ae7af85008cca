import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../test/harness/processes.js';
import { RECIPIENT, SENDER } from '../test/harness/traffic.js';

/** Rates of Postfix's smtp-source against smtp-sink on loopback, one message per connection. */
export interface ReferenceResult {
  sessions: number;
  messagesPerSize: number;
  /** Messages per second for each body length in bytes. */
  ratePerBytes: Record<number, number>;
}

/** Body lengths sent, matching the text and attachment mails of the mix. */
const BODY_BYTES = [5_000, 100_000];

/**
 * Runs smtp-source with `sessions` parallel sessions against smtp-sink, once per body length.
 * Both come from Debian's postfix package and need no Postfix configuration. smtp-source
 * disconnects after every message unless given -d, like the benchmark's own sessions.
 */
export async function runReference(sessions: number, messages: number): Promise<ReferenceResult> {
  const port = await freePort();
  // smtp-sink drops privileges, and as root it exits with an error unless -u names the user.
  const user = process.getuid?.() === 0 ? ['-u', 'nobody'] : [];
  const sink = spawn(postfixTool('smtp-sink'), [...user, `127.0.0.1:${port}`, '256'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let spawnError: Error | undefined;
  sink.once('error', (err) => (spawnError = err));
  try {
    await waitForListener(port, sink, () => spawnError);
    const ratePerBytes: Record<number, number> = {};
    for (const bytes of BODY_BYTES) {
      const started = performance.now();
      await runSource(port, sessions, messages, bytes);
      ratePerBytes[bytes] = messages / ((performance.now() - started) / 1000);
    }
    return { sessions, messagesPerSize: messages, ratePerBytes };
  } finally {
    sink.kill('SIGTERM');
  }
}

/** Postfix installs its test tools in /usr/sbin, which is not on every user's PATH. */
function postfixTool(name: string): string {
  return existsSync(`/usr/sbin/${name}`) ? `/usr/sbin/${name}` : name;
}

async function waitForListener(
  port: number,
  sink: ChildProcess,
  spawnError: () => Error | undefined,
): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const err = spawnError();
    if (err !== undefined) throw new Error(`smtp-sink could not start: ${err.message}`);
    if (sink.exitCode !== null) throw new Error(`smtp-sink exited with code ${sink.exitCode}`);
    const isOpen = await new Promise<boolean>((resolve) => {
      const socket = connect({ port, host: '127.0.0.1' }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (isOpen) return;
    await sleep(50);
  }
  throw new Error(`smtp-sink did not listen on 127.0.0.1:${port} within 5 s`);
}

function runSource(port: number, sessions: number, messages: number, bytes: number): Promise<void> {
  const args = ['-s', String(sessions), '-m', String(messages), '-l', String(bytes)];
  args.push('-f', SENDER, '-t', RECIPIENT, '-M', 'localhost', `127.0.0.1:${port}`);
  const source = spawn(postfixTool('smtp-source'), args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  source.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    source.once('error', reject);
    source.once('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`smtp-source exited with code ${code}: ${stderr.trim()}`)),
    );
  });
}
