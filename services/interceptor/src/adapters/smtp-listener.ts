import { readFile } from 'node:fs/promises';
import {
  type SMTPServer,
  type SMTPServerAddress,
  type SMTPServerDataStream,
  type SMTPServerSession,
} from 'smtp-server';
import { overrideGroupOf, type Logger, type PolicySource } from '@mailshield/common';
import type { Policy } from '@mailshield/proto/policy';
import { clientOriginOf, type ClientOrigin } from '../domain/client-origin.js';
import { RelayRules, domainOf, normalizeDomain } from '../domain/relay-rules.js';
import { parseTrustedNetworks, type TrustedNetworks } from '../domain/trusted-networks.js';
import { toHeaderToken } from '../domain/received-header.js';
import { InterceptorErrorCode, SmtpReplyError } from '../errors.js';
import type { EndOfDataHandler, SmtpReply } from '../handlers/end-of-data.js';
import type { SessionFacts } from '../handlers/message-record.js';
import type { InterceptorMetrics } from '../metrics.js';
import { readMessage } from './data-reader.js';
import { ProxyAwareSmtpServer } from './proxy-aware-server.js';
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
  /** Read a PROXY protocol v1 header before each session. */
  proxyProtocol: boolean;
  /** Peers that must send the PROXY header; empty: every peer. */
  proxyPeers: string[];
  /** Pod and node networks (CIDR): without a PROXY header, their addresses are not the client's. */
  clusterNetworks: string[];
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
  private server: ProxyAwareSmtpServer | undefined;
  private rules: RelayRules;
  private readonly clusterNetworks: TrustedNetworks;
  /** Open sessions and the client origin of each. */
  private readonly openSessions = new Map<string, ClientOrigin>();
  private readonly inFlight = new Set<string>();
  private readonly onPolicy = (policy: Policy) => this.applyPolicy(policy);

  constructor(
    private readonly options: SmtpListenerOptions,
    private readonly deps: SmtpListenerDeps,
  ) {
    this.rules = new RelayRules(deps.policy.current());
    this.clusterNetworks = parseTrustedNetworks(options.clusterNetworks).networks;
  }

  /** Starts listening; resolves with the bound port. */
  async start(): Promise<number> {
    installReplyPatch();
    const server = new ProxyAwareSmtpServer(await this.serverOptions());
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
      useProxy: this.proxyOption(),
      authOptional: true,
      disabledCommands: hasTls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
      hideSTARTTLS: !hasTls,
      hideENHANCEDSTATUSCODES: false,
      rejectOversized: true,
      size: this.sizeLimit(this.deps.policy.current()),
      closeTimeout: this.options.drainSeconds * 1000 + 1000,
      onConnect: (session, callback) => this.onConnect(session, callback),
      onClose: (session) => this.onClose(session),
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

  /** smtp-server's useProxy: false, every peer (true), or the listed peers only. */
  private proxyOption(): boolean | string[] {
    const { proxyProtocol, proxyPeers } = this.options;
    if (!proxyProtocol) return false;
    return proxyPeers.length === 0 ? true : proxyPeers;
  }

  private onConnect(session: SMTPServerSession, callback: (err?: Error | null) => void): void {
    const header = this.server?.takeProxyHeader(session.id) ?? 'none';
    const origin = clientOriginOf(session.remoteAddress, header, this.clusterNetworks);
    this.openSessions.set(session.id, origin);
    this.deps.metrics.smtpSessions.inc();
    if (origin.clientAddress === undefined) {
      this.deps.metrics.unknownClientSessions.inc({ origin: origin.kind });
    }
    callback();
  }

  private onClose(session: SMTPServerSession): void {
    this.openSessions.delete(session.id);
    this.server?.forget(session.id);
  }

  /** Returns the session's client origin, or an unknown one when the session has closed. */
  private originOf(session: SMTPServerSession): ClientOrigin {
    return (
      this.openSessions.get(session.id) ?? {
        kind: 'proxy_unknown',
        clientAddress: undefined,
        traceAddress: session.remoteAddress,
      }
    );
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
        'trusted networks that are not valid CIDR, or wider than /8 (IPv4) or /16 (IPv6), were ignored',
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
    const origin = this.originOf(session);
    const refusal = this.rules.refusalOf(origin.clientAddress, address.address);
    if (refusal === undefined) return this.checkOverrideGroup(address, session);
    this.deps.metrics.relayDenied.inc();
    // smtp-server hands over IDN domains in Unicode, so the reply spells them as punycode again.
    const rawDomain = domainOf(address.address);
    const domain = toHeaderToken(normalizeDomain(rawDomain) || rawDomain) || address.address;
    if (refusal === 'relay' && origin.clientAddress === undefined) {
      return this.refuseUnknownClient(origin, session, domain);
    }
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
   * Rejects a recipient outside the relay domains from a client whose address is not known. The
   * reply gives the cause and the fix, because the cause is the installation, not the sender.
   * It is logged at warn, because every client that relays through trusted networks is rejected
   * until the load balancer keeps the client address.
   */
  private refuseUnknownClient(
    origin: ClientOrigin,
    session: SMTPServerSession,
    domain: string,
  ): SmtpReplyError {
    this.deps.metrics.relayGuardRefusals.inc({ origin: origin.kind });
    this.deps.logger.warn(
      {
        event: 'smtp.relay_guard_refused',
        smtp_session_id: session.id,
        domain,
        origin: origin.kind,
        peer: origin.traceAddress,
      },
      'relaying refused: the client address is not known, so trusted networks do not apply',
    );
    return new SmtpReplyError(
      550,
      `5.7.1 Relaying denied for <${domain}>: ${this.unknownClientReason(origin)}`,
    );
  }

  /** Explains why the client address is unknown, with the setting that would make it known. */
  private unknownClientReason(origin: ClientOrigin): string {
    const unknown = 'so the client address is unknown and trusted networks do not apply';
    if (origin.kind === 'proxy_unknown') {
      return `the PROXY header named no client address (PROXY UNKNOWN), ${unknown}`;
    }
    if (this.options.proxyProtocol) {
      return (
        `the connection came from the cluster network without a PROXY header, ${unknown}; ` +
        'add the load balancer to MAILSHIELD_SMTP_PROXY_PEERS or connect through it'
      );
    }
    return (
      `the connection came from the cluster network without a PROXY header, ${unknown}; ` +
      'have the load balancer send the PROXY protocol (MAILSHIELD_SMTP_PROXY_PROTOCOL) or keep ' +
      'the client address (externalTrafficPolicy: Local)'
    );
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
    const origin = this.originOf(session);
    return {
      sessionId: session.id,
      clientAddress: origin.clientAddress ?? '',
      traceAddress: origin.traceAddress,
      helo: String(session.hostNameAppearsAs || '').replace(/[\u0000-\u001f\u007f]/g, ''),
      mailFrom: mailFrom === false ? '' : mailFrom.address.replace(/[\u0000-\u001f\u007f]/g, ''),
      rcptTo: session.envelope.rcptTo.map((rcpt) => rcpt.address),
      tls: session.secure,
      outbound: this.rules.isTrustedClient(origin.clientAddress),
    };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
