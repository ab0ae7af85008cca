import { SMTPServer } from 'smtp-server';

/** One message the sink received. */
export interface SunkMessage {
  from: string;
  to: string[];
  raw: Buffer;
}

/**
 * The next hop for end-to-end tests: an SMTP server on loopback that keeps every message it
 * accepts in memory. It accepts any sender and recipient.
 */
export class SmtpSink {
  readonly messages: SunkMessage[] = [];
  private server: SMTPServer;
  port = 0;

  constructor() {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      size: 64 * 1024 * 1024,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          this.messages.push({
            from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
            to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
            raw: Buffer.concat(chunks),
          });
          callback();
        });
      },
    });
    // A test that kills the gateway resets its delivery connections. smtp-server reports that
    // as an 'error' event, which would crash the test process without a listener.
    this.server.on('error', () => undefined);
  }

  async start(port = 0): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', () => resolve()));
    const address = this.server.server.address();
    this.port = typeof address === 'object' && address !== null ? address.port : port;
    return this.port;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
