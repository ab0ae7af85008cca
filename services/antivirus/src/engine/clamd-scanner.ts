import { Readable } from 'node:stream';
import NodeClam from 'clamscan';
import type { HostPort } from '@mailshield/common';
import { AvReason } from '../errors.js';
import { Limiter } from './limiter.js';
import { statusOfName, worseStatus, type EngineVerdict, type ScanStatus } from './verdict.js';

export interface ClamdScannerOptions {
  address: HostPort;
  /** Scans sent to clamd at once; further scans wait. Default 8. */
  maxScansInFlight?: number;
  /**
   * Idle timeout of the clamscan library's socket, in seconds. Our own per-scan timeout is
   * shorter and decides the verdict; this one only closes sockets of a clamd that went silent.
   */
  socketTimeoutSeconds?: number;
}

/** The engine as the rest of the service sees it, so tests and other engines can stand in. */
export interface Scanner {
  /** Scans one object; never throws, errors come back as an unscanned verdict. */
  scan(content: Buffer, timeoutSeconds: number): Promise<EngineVerdict>;
  /** Resolves true when clamd answers PING within `timeoutSeconds`. */
  ping(timeoutSeconds: number): Promise<boolean>;
}

/**
 * Scans buffers with clamd over TCP (the INSTREAM command) through the `clamscan` library.
 * One NodeClam instance is initialized lazily and shared: its init checks for local
 * binaries, which costs a process start per instance.
 */
export class ClamdScanner implements Scanner {
  private client: Promise<NodeClam> | undefined;
  private readonly limiter: Limiter;

  constructor(private readonly options: ClamdScannerOptions) {
    this.limiter = new Limiter(options.maxScansInFlight ?? 8);
  }

  // NOTE: after our timeout fires, the library's socket to a silent clamd stays open until its
  // own idle timeout (socketTimeoutSeconds) ends it, because the library does not expose it.
  async scan(content: Buffer, timeoutSeconds: number): Promise<EngineVerdict> {
    return this.limiter.run(() =>
      withTimeout(this.scanNow(content), timeoutSeconds, timeoutVerdict),
    );
  }

  async ping(timeoutSeconds: number): Promise<boolean> {
    const attempt = async (): Promise<boolean> => {
      const socket = await (await this.clam()).ping();
      socket.destroy();
      return true;
    };
    return withTimeout(
      attempt().catch(() => false),
      timeoutSeconds,
      () => false,
    );
  }

  private async scanNow(content: Buffer): Promise<EngineVerdict> {
    try {
      const clam = await this.clam();
      const result: { isInfected: boolean | null; viruses: string[] } = await clam.scanStream(
        Readable.from([content]),
      );
      return verdictOf(result);
    } catch (err) {
      return errorVerdict(err);
    }
  }

  private clam(): Promise<NodeClam> {
    if (this.client === undefined) {
      this.client = new NodeClam().init({
        preference: 'clamdscan',
        clamscan: { active: false },
        clamdscan: {
          host: this.options.address.host,
          port: this.options.address.port,
          timeout: (this.options.socketTimeoutSeconds ?? 120) * 1000,
          localFallback: false,
          // An empty path skips the library's `clamdscan --version` probe; scans go over TCP.
          path: '',
          active: true,
          // Reachability is checked per scan and by health, so clamd may start after us.
          bypassTest: true,
        },
      });
      this.client.catch(() => (this.client = undefined));
    }
    return this.client;
  }
}

function verdictOf(result: { isInfected: boolean | null; viruses: string[] }): EngineVerdict {
  // The library resolves isInfected null for a silent or garbled clamd: that is never clean.
  if (result.isInfected === false)
    return { status: 'clean', names: [], reason: undefined, detail: undefined };
  if (result.isInfected !== true || result.viruses.length === 0) {
    return unscanned(AvReason.clamdBadReply, 'clamd returned no verdict');
  }
  const status = result.viruses.map(statusOfName).reduce<ScanStatus>(worseStatus, 'clean');
  const reason = status === 'unscanned' ? AvReason.limitsExceeded : undefined;
  return { status, names: result.viruses, reason, detail: undefined };
}

function errorVerdict(err: unknown): EngineVerdict {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown }).code;
  if (/size limit exceeded/i.test(message)) return unscanned(AvReason.limitsExceeded, message);
  if (/timed out/i.test(message)) return unscanned(AvReason.clamdTimeout, message);
  if (typeof code === 'string' && /^E[A-Z]+/.test(code))
    return unscanned(AvReason.clamdUnavailable, message);
  if (/Scan aborted|Invalid result|ERROR/i.test(message))
    return unscanned(AvReason.clamdBadReply, message);
  return unscanned(AvReason.clamdUnavailable, message);
}

function unscanned(reason: string, detail: string): EngineVerdict {
  return { status: 'unscanned', names: [], reason, detail };
}

function timeoutVerdict(): EngineVerdict {
  return unscanned(AvReason.clamdTimeout, 'clamd did not answer within the scan timeout');
}

/** Races `work` against a timer; on expiry the result of `onTimeout` wins. */
async function withTimeout<T>(work: Promise<T>, seconds: number, onTimeout: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(onTimeout()), Math.max(1, seconds * 1000));
  });
  try {
    return await Promise.race([work, expiry]);
  } finally {
    clearTimeout(timer);
  }
}
