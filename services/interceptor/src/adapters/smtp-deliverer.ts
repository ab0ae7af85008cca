import nodemailer from 'nodemailer';
import type { HostPort } from '@mailshield/common';
import { InterceptorErrorCode, NextHopUnavailableError } from '../errors.js';
import type { Deliverer, DeliveryJob, DeliveryResult } from './deliverer.js';

export interface SmtpDelivererOptions {
  nextHop: HostPort;
  /** Name sent in EHLO. */
  clientName: string;
  verifyTls: boolean;
  /** How long one `deliver` call keeps retrying before it throws, in seconds. */
  retrySeconds: number;
  /** Called before each retry, for the errors metric. */
  onRetry?: (reason: string) => void;
}

interface SendInfo {
  accepted: string[];
  rejected: string[];
  rejectedErrors?: { recipient?: string; responseCode?: number; response?: string }[];
  response: string;
}

type SendError = Error & {
  code?: string;
  responseCode?: number;
  response?: string;
} & Partial<SendInfo>;

const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 30_000;

/**
 * Relays to the next hop over SMTP with a pooled nodemailer transport (nodemailer 10 sets
 * TCP_NODELAY on its sockets). The raw message goes out as received, with the envelope from
 * the record. 4xx replies and network errors are retried with exponential backoff; recipients
 * the next hop rejected with 5xx count as bounced.
 */
export class SmtpDeliverer implements Deliverer {
  readonly kind = 'smtp';
  private readonly transport;
  /** Recipients already accepted or bounced per job, so a retried job does not resend to them. */
  private readonly finished = new Map<string, Set<string>>();

  constructor(private readonly options: SmtpDelivererOptions) {
    this.transport = nodemailer.createTransport({
      pool: true,
      maxConnections: 4,
      host: options.nextHop.host,
      port: options.nextHop.port,
      secure: false,
      name: options.clientName,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 60_000,
      tls: { rejectUnauthorized: options.verifyTls },
      logger: false,
    });
  }

  async deliver(job: DeliveryJob, signal: AbortSignal): Promise<DeliveryResult> {
    const finished = this.finished.get(job.key) ?? new Set<string>();
    this.finished.set(job.key, finished);
    const bounced: string[] = [];
    const deadline = Date.now() + this.options.retrySeconds * 1000;
    let backoffMs = FIRST_BACKOFF_MS;
    let lastReply = '';
    for (;;) {
      const pending = job.recipients.filter((recipient) => !finished.has(recipient));
      const attempt = await this.attempt(job, pending);
      lastReply = attempt.reply || lastReply;
      for (const recipient of [...attempt.accepted, ...attempt.bounced]) finished.add(recipient);
      bounced.push(...attempt.bounced);
      if (job.recipients.every((recipient) => finished.has(recipient))) {
        this.finished.delete(job.key);
        const status = bounced.length === job.recipients.length ? 'bounced' : 'delivered';
        return { status, reply: lastReply, bouncedRecipients: bounced };
      }
      if (signal.aborted || Date.now() + backoffMs > deadline) {
        throw new NextHopUnavailableError(
          `next hop unavailable for message ${job.messageId}: ${lastReply}`,
        );
      }
      this.options.onRetry?.(attempt.reason);
      job.logger.warn(
        { event: 'delivery.retry', reply: lastReply, retry_ms: backoffMs, pending: pending.length },
        'next hop unavailable or deferred; retrying',
      );
      await sleep(backoffMs, signal);
      backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }

  private async attempt(
    job: DeliveryJob,
    recipients: string[],
  ): Promise<{ accepted: string[]; bounced: string[]; reply: string; reason: string }> {
    try {
      const info = (await this.transport.sendMail({
        envelope: { from: job.mailFrom, to: recipients },
        raw: job.raw,
      })) as unknown as SendInfo;
      const bounced = permanentlyRejected(info.rejectedErrors ?? []);
      return {
        accepted: info.accepted.map(String),
        bounced,
        reply: info.response,
        reason: InterceptorErrorCode.nextHopDeferred,
      };
    } catch (err) {
      const error = err as SendError;
      const reply = error.response ?? error.message;
      if (error.code === 'EENVELOPE' && error.rejectedErrors !== undefined) {
        return {
          accepted: [],
          bounced: permanentlyRejected(error.rejectedErrors),
          reply,
          reason: InterceptorErrorCode.nextHopDeferred,
        };
      }
      if (error.responseCode !== undefined && error.responseCode >= 500) {
        return {
          accepted: [],
          bounced: recipients,
          reply,
          reason: InterceptorErrorCode.nextHopRejected,
        };
      }
      return { accepted: [], bounced: [], reply, reason: InterceptorErrorCode.nextHopUnavailable };
    }
  }
}

function permanentlyRejected(errors: NonNullable<SendInfo['rejectedErrors']>): string[] {
  return errors
    .filter((error) => error.responseCode !== undefined && error.responseCode >= 500)
    .map((error) => String(error.recipient ?? ''))
    .filter((recipient) => recipient !== '');
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
