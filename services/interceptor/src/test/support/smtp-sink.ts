import { SMTPServer } from 'smtp-server';

export interface SunkMessage {
  mailFrom: string;
  rcptTo: string[];
  raw: Buffer;
}

export interface SmtpSinkOptions {
  port?: number;
  /** Reply code and text for RCPT of these recipients, such as 550 for a bounce. */
  rejectRecipients?: Map<string, { code: number; text: string }>;
}

/** A next hop for tests: an SMTP server on loopback that keeps every message it accepts. */
export class SmtpSink {
  readonly messages: SunkMessage[] = [];
  private server: SMTPServer | undefined;
  port = 0;

  async start(options: SmtpSinkOptions = {}): Promise<number> {
    const server = new SMTPServer({
      logger: false,
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      hideSTARTTLS: true,
      disableReverseLookup: true,
      onRcptTo: (address, _session, callback) => {
        const reject = options.rejectRecipients?.get(address.address);
        if (reject === undefined) return callback();
        return callback(Object.assign(new Error(reject.text), { responseCode: reject.code }));
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const mailFrom =
            session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
          this.messages.push({
            mailFrom,
            rcptTo: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks),
          });
          callback(null, 'sink accepted');
        });
      },
    });
    // A client that resets its connection makes smtp-server emit 'error', which would crash
    // the test process without a listener.
    server.on('error', () => undefined);
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    const address = server.server.address();
    this.port = typeof address === 'object' && address !== null ? address.port : 0;
    return this.port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    for (const connection of server.connections) connection.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
