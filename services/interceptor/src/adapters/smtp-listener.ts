import { readFile } from 'node:fs/promises';
import {
  SMTPServer,
  type SMTPServerAddress,
  type SMTPServerDataStream,
  type SMTPServerSession,
} from 'smtp-server';
import { overrideGroupOf, type Logger, type PolicySource } from '@mailshield/common';
import type { Policy } from '@mailshield/proto/policy';
import { RelayRules, domainOf } from '../domain/relay-rules.js';
import { toHeaderToken } from '../domain/received-header.js';
import { InterceptorErrorCode, SmtpReplyError } from '../errors.js';
import type { EndOfDataHandler, SmtpReply } from '../handlers/end-of-data.js';
import type { SessionFacts } from '../handlers/message-record.js';
import type { InterceptorMetrics } from '../metrics.js';
import { readMessage } from './data-reader.js';
import { installReplyPatch, observeReplies } from './smtp-reply-patch.js';

/** Recipients accepted in one message: the least RFC 5321 lets a server take. */
const MAX_RECIPIENTS = 100;

export interface SmtpListenerOptions {
  host: string;
  port: number;
  serverName: string;
  tlsCertFile: string | undefined;
  tlsKeyFile: string | undefined;
  drainSeconds: number;
  /**
   * Largest message the message bus can carry, in bytes; the size limit announced and
   * enforced is the smaller of this and the policy's. Undefined when the bus has no limit.
   */
  busMessageBytesLimit: number | undefined;
}

export interface SmtpListenerDeps {
  policy: PolicySource;
  endOfData: EndOfDataHandler;
  metrics: InterceptorMetrics;
  logger: Logger;
}

/**
 * The SMTP side of the interceptor, on smtp-server. It applies relay control on RCPT and the
 * size limit of the live policy, and offers STARTTLS only with a configured certificate. It has
 * no AUTH and no BDAT, because smtp-server 3.21 does not implement CHUNKING (BDAT gets 500 5.5.2).
 */
export class SmtpListener {
  private server: SMTPServer | undefined;
  private rules: RelayRules;
  private readonly openSessions = new Set<string>();
  private readonly inFlight = new Set<string>();
  private readonly onPolicy = (policy: Policy) => this.applyPolicy(policy);

  constructor(
    private readonly options: SmtpListenerOptions,
    private readonly deps: SmtpListenerDeps,
  ) {
    this.rules = new RelayRules(deps.policy.current());
  }

  /** Starts listening; resolves with the bound port. */
  async start(): Promise<number> {
    installReplyPatch();
    const server = new SMTPServer(await this.serverOptions());
    this.server = server;
    observeReplies(server, (code) => this.deps.metrics.smtpReplies.inc({ code: String(code) }));
    server.on('error', (err) =>
      this.deps.logger.warn({ err, event: 'smtp.connection_error' }, 'SMTP connection error'),
    );
    this.applyPolicy(this.deps.policy.current());
    this.deps.policy.on('change', this.onPolicy);
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => resolve());
    });
    const address = server.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : this.options.port;
    this.deps.logger.info(
      { event: 'smtp.listening', host: this.options.host, port },
      'SMTP server listening',
    );
    return port;
  }

  /**
   * Stops accepting connections, sends 421 to idle sessions at once, lets messages in
   * flight get their final reply (up to the drain time), then sends 421 to the rest.
   */
  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    this.deps.policy.off('change', this.onPolicy);
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    this.closeIdleConnections(server);
    const deadline = Date.now() + this.options.drainSeconds * 1000;
    while (this.inFlight.size > 0 && Date.now() < deadline) await sleep(50);
    this.closeIdleConnections(server, true);
    await closed;
  }

  private closeIdleConnections(server: SMTPServer, includeBusy = false): void {
    for (const connection of server.connections) {
      if (!includeBusy && this.inFlight.has(connection.session.id)) continue;
      connection.send(421, '4.3.2 Server shutting down, try again later');
    }
  }

  private async serverOptions(): Promise<ConstructorParameters<typeof SMTPServer>[0]> {
    const { tlsCertFile, tlsKeyFile } = this.options;
    const hasTls = tlsCertFile !== undefined && tlsKeyFile !== undefined;
    const tls = hasTls
      ? { cert: await readFile(tlsCertFile), key: await readFile(tlsKeyFile) }
      : {};
    return {
      ...tls,
      name: this.options.serverName,
      banner: 'mailshield',
      logger: false,
      // Reverse DNS would send queries off this host and add nothing the policy uses.
      disableReverseLookup: true,
      authOptional: true,
      disabledCommands: hasTls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
      hideSTARTTLS: !hasTls,
      hideENHANCEDSTATUSCODES: false,
      rejectOversized: true,
      size: this.sizeLimit(this.deps.policy.current()),
      closeTimeout: this.options.drainSeconds * 1000 + 1000,
      onConnect: (session, callback) => this.onConnect(session, callback),
      onClose: (session) => this.openSessions.delete(session.id),
      onRcptTo: (address, session, callback) => callback(this.checkRecipient(address, session)),
      onData: (stream, session, callback) => {
        this.onData(stream, session).then(
          (reply) =>
            reply.code === 250
              ? callback(null, reply.text)
              : callback(new SmtpReplyError(reply.code, reply.text)),
          (err: unknown) => {
            this.deps.logger.error(
              { err, event: 'smtp.data_failed', smtp_session_id: session.id },
              'end of DATA failed',
            );
            callback(new SmtpReplyError(451, '4.3.0 Temporary failure, try again later'));
          },
        );
      },
    };
  }

  private onConnect(session: SMTPServerSession, callback: (err?: Error | null) => void): void {
    this.openSessions.add(session.id);
    this.deps.metrics.smtpSessions.inc();
    callback();
  }

  private applyPolicy(policy: Policy): void {
    this.rules = new RelayRules(policy);
    if (this.server !== undefined) this.server.options.size = this.sizeLimit(policy);
    if (policy.maxMessageBytes > this.sizeLimit(policy)) {
      this.deps.logger.warn(
        {
          event: 'policy.size_limit_capped',
          policy_bytes: policy.maxMessageBytes,
          bus_bytes: this.options.busMessageBytesLimit,
          policy_version: policy.version,
        },
        'the policy size limit is larger than the message bus carries; the smaller limit applies',
      );
    }
    if (this.rules.invalidNetworks.length > 0) {
      this.deps.metrics.errors.inc({ reason: InterceptorErrorCode.invalidTrustedNetwork });
      this.deps.logger.error(
        {
          event: 'policy.invalid_networks',
          networks: this.rules.invalidNetworks,
          policy_version: policy.version,
        },
        'trusted networks that are not valid CIDR were ignored',
      );
    }
  }

  /** Size limit in force: the policy's, capped by what one bus record can carry. */
  private sizeLimit(policy: Policy): number {
    const busLimit = this.options.busMessageBytesLimit;
    return busLimit === undefined
      ? policy.maxMessageBytes
      : Math.min(policy.maxMessageBytes, busLimit);
  }

  private checkRecipient(address: SMTPServerAddress, session: SMTPServerSession): Error | null {
    // RFC 5321 section 4.5.3.1.8: a server must take at least 100 recipients; more get 452.
    if (session.envelope.rcptTo.length >= MAX_RECIPIENTS) {
      return new SmtpReplyError(
        452,
        `4.5.3 Too many recipients; at most ${MAX_RECIPIENTS} per message`,
      );
    }
    const refusal = this.rules.refusalOf(session.remoteAddress, address.address);
    if (refusal === undefined) return this.checkOverrideGroup(address, session);
    this.deps.metrics.relayDenied.inc();
    const domain = toHeaderToken(domainOf(address.address)) || address.address;
    this.deps.logger.info(
      { event: 'smtp.relay_denied', smtp_session_id: session.id, domain, reason: refusal },
      'relaying denied',
    );
    if (refusal === 'routing') {
      return new SmtpReplyError(
        550,
        '5.7.1 Source routing in the local part (%, ! or @) is not accepted',
      );
    }
    return new SmtpReplyError(550, `5.7.1 Relaying denied for <${domain}>`);
  }

  /**
   * Defers a recipient whose domain has other policy overrides than the first accepted
   * recipient, because the stages give one verdict per message. A 452 is a temporary failure of
   * that recipient only. RFC 5321 section 4.5.3.1.10 uses the same reply for recipients over a
   * server's limit, and clients send such recipients again in a later transaction.
   */
  private checkOverrideGroup(address: SMTPServerAddress, session: SMTPServerSession): Error | null {
    const first = session.envelope.rcptTo[0];
    if (first === undefined) return null;
    const policy = this.deps.policy.current();
    const firstGroup = overrideGroupOf(policy, domainOf(first.address));
    const group = overrideGroupOf(policy, domainOf(address.address));
    if (group === firstGroup) return null;
    this.deps.logger.info(
      {
        event: 'smtp.rcpt_other_policy',
        smtp_session_id: session.id,
        policy_version: policy.version,
      },
      'recipient deferred to another transaction: its domain has other policy overrides',
    );
    return new SmtpReplyError(
      452,
      '4.5.3 Recipient has another policy than the earlier recipients; send it in a new transaction',
    );
  }

  private async onData(
    stream: SMTPServerDataStream,
    session: SMTPServerSession,
  ): Promise<SmtpReply> {
    this.inFlight.add(session.id);
    try {
      const limit = this.sizeLimit(this.deps.policy.current());
      const result = await readMessage(stream, limit);
      const stopTimer = this.deps.metrics.endOfData.startTimer();
      const reply = await this.replyFor(result, session, limit);
      stopTimer();
      return reply;
    } finally {
      this.inFlight.delete(session.id);
    }
  }

  private async replyFor(
    result: Awaited<ReturnType<typeof readMessage>>,
    session: SMTPServerSession,
    limit: number,
  ): Promise<SmtpReply> {
    switch (result.kind) {
      case 'too_large':
        return { code: 552, text: `5.3.4 Message exceeds the maximum size of ${limit} bytes` };
      case 'bare_line_ending':
        this.deps.logger.info(
          { event: 'smtp.bare_line_ending', smtp_session_id: session.id },
          'bare line ending in DATA',
        );
        return {
          code: 550,
          text: '5.6.0 Message contains a bare line ending that could end the data early; lines must end with CRLF',
        };
      case 'aborted':
        return { code: 451, text: '4.3.0 Message could not be read, try again later' };
      case 'complete':
        return this.deps.endOfData.handle(this.sessionFacts(session), result.raw, () =>
          this.openSessions.has(session.id),
        );
    }
  }

  private sessionFacts(session: SMTPServerSession): SessionFacts {
    const mailFrom = session.envelope.mailFrom;
    return {
      sessionId: session.id,
      clientAddress: session.remoteAddress,
      helo: String(session.hostNameAppearsAs || '').replace(/[\u0000-\u001f\u007f]/g, ''),
      mailFrom: mailFrom === false ? '' : mailFrom.address.replace(/[\u0000-\u001f\u007f]/g, ''),
      rcptTo: session.envelope.rcptTo.map((rcpt) => rcpt.address),
      tls: session.secure,
      outbound: this.rules.isTrustedClient(session.remoteAddress),
    };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
