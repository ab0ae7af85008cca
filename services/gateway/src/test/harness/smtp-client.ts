import { connect, type Socket } from 'node:net';

/** A reply to one SMTP command: the code and the text of every line. */
export interface SmtpReply {
  code: number;
  text: string;
}

export interface SendResult {
  /** Final reply to the message: after DATA, or the first failing command. */
  reply: SmtpReply;
  /** Queue id from a `250 ... queued as <id>` reply. */
  queueId: string | undefined;
}

/**
 * A small SMTP client for tests: one connection, one command at a time, and the raw replies,
 * so tests can check exact reply codes. Messages are sent with standard dot-stuffing.
 */
export class SmtpTestClient {
  private buffer = '';
  private waiters: ((reply: SmtpReply) => void)[] = [];
  private replies: SmtpReply[] = [];
  private socket!: Socket;

  static async connect(
    port: number,
    host = '127.0.0.1',
    helo = 'client.test',
  ): Promise<SmtpTestClient> {
    const client = new SmtpTestClient();
    await client.open(port, host);
    const greeting = await client.read();
    if (greeting.code !== 220)
      throw new Error(`unexpected greeting ${greeting.code} ${greeting.text}`);
    const ehlo = await client.command(`EHLO ${helo}`);
    if (ehlo.code !== 250) throw new Error(`EHLO failed: ${ehlo.code} ${ehlo.text}`);
    return client;
  }

  private open(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket = connect({ port, host, noDelay: true }, () => resolve());
      this.socket.once('error', reject);
      this.socket.on('data', (chunk) => this.onData(chunk.toString('latin1')));
      this.socket.on('close', () => this.onData('', true));
    });
  }

  private onData(text: string, isClosed = false): void {
    this.buffer += text;
    let match: RegExpExecArray | null;
    const lines: string[] = [];
    while ((match = /^(\d{3})([ -])(.*)\r?\n/.exec(this.buffer)) !== null) {
      this.buffer = this.buffer.slice(match[0].length);
      lines.push(match[3]!);
      if (match[2] === ' ') {
        this.deliver({ code: Number(match[1]), text: lines.join('\n') });
        lines.length = 0;
      }
    }
    if (isClosed) this.deliver({ code: 0, text: 'connection closed' });
  }

  private deliver(reply: SmtpReply): void {
    const waiter = this.waiters.shift();
    if (waiter !== undefined) waiter(reply);
    else this.replies.push(reply);
  }

  read(): Promise<SmtpReply> {
    const queued = this.replies.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async command(line: string): Promise<SmtpReply> {
    this.socket.write(`${line}\r\n`);
    return this.read();
  }

  /** Writes bytes as they are and reads no reply, for callers that time each step themselves. */
  write(data: Buffer | string): void {
    this.socket.write(data);
  }

  /** Sends one message; stops at the first command that is not accepted. */
  async send(from: string, to: string[], raw: Buffer): Promise<SendResult> {
    const mail = await this.command(`MAIL FROM:<${from}>`);
    if (mail.code !== 250) return { reply: mail, queueId: undefined };
    let accepted = 0;
    let lastRefusal: SmtpReply | undefined;
    for (const rcpt of to) {
      const reply = await this.command(`RCPT TO:<${rcpt}>`);
      if (reply.code === 250) accepted += 1;
      else lastRefusal = reply;
    }
    if (accepted === 0) {
      await this.command('RSET');
      return { reply: lastRefusal!, queueId: undefined };
    }
    const data = await this.command('DATA');
    if (data.code !== 354) return { reply: data, queueId: undefined };
    this.socket.write(dotStuff(raw));
    this.socket.write('.\r\n');
    const reply = await this.read();
    return { reply, queueId: /queued as (\S+)/.exec(reply.text)?.[1] };
  }

  async quit(): Promise<void> {
    try {
      await this.command('QUIT');
    } finally {
      this.socket.destroy();
    }
  }
}

/** Dot-stuffs a CRLF message and makes sure it ends with CRLF. */
export function dotStuff(raw: Buffer): Buffer {
  let text = raw.toString('latin1');
  if (!text.endsWith('\r\n')) text += '\r\n';
  text = text.replace(/(^|\r\n)\./g, '$1..');
  return Buffer.from(text, 'latin1');
}
