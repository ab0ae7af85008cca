import nodemailer from 'nodemailer';
import type { HostPort } from '@mailshield/common';
import type { Deliverer, DeliveryJob, DeliveryResult, RecipientReply } from './deliverer.js';
import {
  TransactionRecipients,
  type SendError,
  type SendInfo,
  type TransactionResult,
} from './smtp-transaction.js';

export interface SmtpDelivererOptions {
  nextHop: HostPort;
  /** Name sent in EHLO. */
  clientName: string;
  verifyTls: boolean;
  /** How long one `deliver` call retries deferred recipients before it returns them, in seconds. */
  retrySeconds: number;
  /** Called before each in-process retry with the reason code, for the errors metric. */
  onRetry?: (reason: string) => void;
}

const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 30_000;

/**
 * Relays to the next hop over SMTP with a pooled nodemailer transport (nodemailer 10 sets
 * TCP_NODELAY on its sockets). The raw message goes out as received, with the envelope from
 * the record. Recipients the next hop deferred (4xx, or no connection) are tried again with
 * exponential backoff for `retrySeconds`, then returned as deferred. Recipients it rejected
 * with 5xx are returned as bounced. A recipient that the next hop accepted is not sent to
 * again within the same call.
 */
export class SmtpDeliverer implements Deliverer {
  readonly kind = 'smtp';
  private readonly transport;

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
    const accepted: RecipientReply[] = [];
    const bounced: RecipientReply[] = [];
    const deadline = Date.now() + this.options.retrySeconds * 1000;
    let pending = job.recipients;
    let backoffMs = FIRST_BACKOFF_MS;
    for (;;) {
      const attempt = await this.attempt(job, pending);
      accepted.push(...attempt.accepted);
      bounced.push(...attempt.bounced);
      const isOver = signal.aborted || Date.now() + backoffMs > deadline;
      if (attempt.deferred.length === 0 || isOver) {
        return { accepted, bounced, deferred: attempt.deferred };
      }
      pending = attempt.deferred.map((entry) => entry.recipient);
      this.options.onRetry?.(attempt.deferReason);
      job.logger.warn(
        {
          event: 'delivery.retry',
          reply: attempt.deferred[0]!.reply,
          retry_ms: backoffMs,
          pending: pending.length,
        },
        'next hop unavailable or deferred; retrying',
      );
      await sleep(backoffMs, signal);
      backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }

  /** Runs one SMTP transaction for `recipients`. */
  private async attempt(job: DeliveryJob, recipients: string[]): Promise<TransactionResult> {
    const transaction = new TransactionRecipients(recipients);
    try {
      const info = (await this.transport.sendMail({
        envelope: {
          from: job.mailFrom,
          to: transaction.addresses.map((address) => ({ name: '', address })),
        },
        raw: job.raw,
      })) as unknown as SendInfo;
      return transaction.fromInfo(info);
    } catch (err) {
      return transaction.fromError(err as SendError);
    }
  }
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
