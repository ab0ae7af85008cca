import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { credentials, Metadata } from '@grpc/grpc-js';
import { HealthCheckResponse_ServingStatus, HealthClient } from '@mailshield/proto/health';

/** Root of the repository, from the compiled harness in services/gateway/dist/test/harness. */
export const repoRoot = resolve(import.meta.dirname, '../../../../..');

/**
 * Finds a free TCP port on loopback for a server a test starts later. The port comes from
 * below the kernel's ephemeral range (32768 and up on Linux by default), because outgoing
 * connections of other processes take ports from that range and could grab it before the
 * server binds.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (handedOut.has(port) || !(await isPortFree(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('found no free port between 20000 and 32000 on 127.0.0.1');
}

/** Ports this process already handed out, which may not be bound yet. */
const handedOut = new Set<number>();

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const server = createServer();
    server.once('error', () => resolvePort(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolvePort(true)));
  });
}

/** A service process started from its compiled entry point, with its log in a file. */
export class ServiceProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    private readonly entry: string,
    private readonly env: Record<string, string>,
    private readonly logDir: string,
    private readonly grpcPort: number,
  ) {}

  /** Starts the process and waits until its gRPC health reports SERVING. */
  async start(timeoutMs = 60_000): Promise<void> {
    const log = createWriteStream(join(this.logDir, `${this.name}.log`), { flags: 'a' });
    const child = spawn(process.execPath, [join(repoRoot, this.entry)], {
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    this.child = child;
    this.exited = new Promise((resolveExit) => child.once('exit', () => resolveExit()));
    await waitForServing(
      this.grpcPort,
      timeoutMs,
      () => child.exitCode !== null,
      this.name,
      this.logDir,
    );
  }

  /** Sends a signal and waits for the process to exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.child === undefined || this.child.exitCode !== null || this.child.signalCode !== null)
      return;
    this.child.kill(signal);
    await this.exited;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }
}

async function waitForServing(
  port: number,
  timeoutMs: number,
  hasExited: () => boolean,
  name: string,
  logDir: string,
): Promise<void> {
  const client = new HealthClient(`127.0.0.1:${port}`, credentials.createInsecure());
  const deadline = Date.now() + timeoutMs;
  try {
    while (Date.now() < deadline) {
      if (hasExited())
        throw new Error(`${name} exited during start; see ${join(logDir, `${name}.log`)}`);
      const status = await new Promise<number | undefined>((resolveCheck) => {
        client.check(
          { service: '' },
          new Metadata(),
          { deadline: new Date(Date.now() + 1000) },
          (err, response) => resolveCheck(err === null ? response.status : undefined),
        );
      });
      if (status === HealthCheckResponse_ServingStatus.SERVING) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(
      `${name} did not become SERVING within ${timeoutMs} ms; see ${join(logDir, `${name}.log`)}`,
    );
  } finally {
    client.close();
  }
}
