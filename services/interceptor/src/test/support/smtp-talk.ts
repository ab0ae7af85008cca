import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

/**
 * A raw SMTP client for protocol tests: it sends exact bytes and reads whole replies, so tests
 * can pipeline, send bare LF or NUL bytes, and check every reply line.
 */
export class SmtpTalk {
  private buffer = '';
  private waiters: (() => void)[] = [];
  private closed = false;

  private constructor(private socket: Socket | TLSSocket) {
    this.listen(socket);
  }

  static async open(port: number): Promise<SmtpTalk> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new SmtpTalk(socket);
  }

  /** Sends bytes as one write. */
  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Reads the next complete reply (all lines of a multi-line reply), or '' once closed. */
  async reply(timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = completeReplyEnd(this.buffer);
      if (end !== -1) {
        const reply = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end);
        return reply.trimEnd();
      }
      if (this.closed) return '';
      if (Date.now() > deadline)
        throw new Error(`no SMTP reply within ${timeoutMs} ms; buffer: ${this.buffer}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  async command(line: string): Promise<string> {
    this.write(`${line}\r\n`);
    return this.reply();
  }

  /** Upgrades the connection after a 220 reply to STARTTLS; any unread plaintext is dropped. */
  async startTls(): Promise<void> {
    const plain = this.socket as Socket;
    plain.removeAllListeners('data');
    const secure = tlsConnect({
      socket: plain,
      rejectUnauthorized: false,
      servername: 'localhost',
    });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    });
    this.socket = secure;
    this.buffer = '';
    this.listen(secure);
  }

  /** True when the server sends nothing within `ms`. */
  async isSilent(ms: number): Promise<boolean> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return this.buffer === '';
  }

  /** Waits until the server closes the connection and returns what it sent and was not read. */
  async untilClosed(timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error(`connection still open after ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.buffer;
  }

  close(): void {
    this.socket.destroy();
  }

  private listen(socket: Socket | TLSSocket): void {
    socket.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString('latin1');
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

/** Index just past the last line of the first complete reply in `text`, or -1. */
function completeReplyEnd(text: string): number {
  let position = 0;
  for (;;) {
    const lineEnd = text.indexOf('\r\n', position);
    if (lineEnd === -1) return -1;
    const line = text.slice(position, lineEnd);
    position = lineEnd + 2;
    if (/^\d{3}(?: |$)/.test(line)) return position;
  }
}
