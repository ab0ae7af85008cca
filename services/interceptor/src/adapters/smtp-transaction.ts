import MimeNode from 'nodemailer/lib/mime-node';
import { InterceptorErrorCode } from '../errors.js';
import type { DeliveryResult, RecipientReply } from './deliverer.js';

/** A recipient that nodemailer reports as refused by the next hop. */
export interface RejectedRecipient {
  recipient?: string;
  responseCode?: number;
  response?: string;
  message?: string;
}

/** What nodemailer resolves with after a message went out. */
export interface SendInfo {
  accepted: unknown[];
  rejectedErrors?: RejectedRecipient[];
  response: string;
}

/** What nodemailer rejects with: a network error, or a reply to MAIL, RCPT or DATA. */
export type SendError = Error & {
  code?: string;
  responseCode?: number;
  response?: string;
  rejectedErrors?: RejectedRecipient[];
};

/** Result of one SMTP transaction, with the error code that names why recipients were deferred. */
export interface TransactionResult extends DeliveryResult {
  deferReason: string;
}

type Verdict = 'accepted' | 'bounced' | 'deferred';

/**
 * The recipients of one SMTP transaction. nodemailer rewrites envelope addresses before it
 * sends them (nodemailer 10: domains lowercased and punycoded, unusual local parts quoted) and
 * names recipients in its results in that form. Each result is therefore mapped back to the
 * recipients exactly as the record lists them; a recipient that no result names counts as
 * deferred, so it is tried again rather than lost.
 */
export class TransactionRecipients {
  private readonly byAddress = new Map<string, string[]>();

  constructor(recipients: string[]) {
    for (const recipient of new Set(recipients)) {
      const address = nodemailerAddress(recipient);
      this.byAddress.set(address, [...(this.byAddress.get(address) ?? []), recipient]);
    }
  }

  /** The envelope recipients to give nodemailer: one per mailbox, in its own form. */
  get addresses(): string[] {
    return [...this.byAddress.keys()];
  }

  /** Classifies the recipients of a message that the next hop accepted for some of them. */
  fromInfo(info: SendInfo): TransactionResult {
    const verdicts = new Map<string, { verdict: Verdict; reply: string }>();
    for (const address of info.accepted) {
      this.mark(verdicts, String(address), 'accepted', info.response);
    }
    this.markRejected(verdicts, info.rejectedErrors ?? []);
    return this.result(verdicts, 'no reply from the next hop named this recipient');
  }

  /** Classifies the recipients of a message that went to none of them. */
  fromError(error: SendError): TransactionResult {
    const verdicts = new Map<string, { verdict: Verdict; reply: string }>();
    this.markRejected(verdicts, error.rejectedErrors ?? []);
    const reply = error.response ?? error.message;
    const isPermanent = error.responseCode !== undefined && error.responseCode >= 500;
    if (isPermanent && error.rejectedErrors === undefined) {
      for (const address of this.byAddress.keys()) this.mark(verdicts, address, 'bounced', reply);
    }
    const result = this.result(verdicts, reply);
    const isNetworkError = error.responseCode === undefined && error.rejectedErrors === undefined;
    return isNetworkError
      ? { ...result, deferReason: InterceptorErrorCode.nextHopUnavailable }
      : result;
  }

  private markRejected(
    verdicts: Map<string, { verdict: Verdict; reply: string }>,
    rejected: RejectedRecipient[],
  ): void {
    for (const error of rejected) {
      if (error.recipient === undefined) continue;
      // A refusal without a reply code is not a reply of the next hop, so it is not final.
      const verdict = (error.responseCode ?? 0) >= 500 ? 'bounced' : 'deferred';
      this.mark(verdicts, error.recipient, verdict, error.response ?? error.message ?? '');
    }
  }

  private mark(
    verdicts: Map<string, { verdict: Verdict; reply: string }>,
    address: string,
    verdict: Verdict,
    reply: string,
  ): void {
    for (const recipient of this.byAddress.get(address) ?? []) {
      verdicts.set(recipient, { verdict, reply });
    }
  }

  /** Puts every recipient in one list; recipients with no verdict are deferred with `reply`. */
  private result(
    verdicts: Map<string, { verdict: Verdict; reply: string }>,
    reply: string,
  ): TransactionResult {
    const result: TransactionResult = {
      accepted: [],
      bounced: [],
      deferred: [],
      deferReason: InterceptorErrorCode.nextHopDeferred,
    };
    for (const recipients of this.byAddress.values()) {
      for (const recipient of recipients) {
        const found = verdicts.get(recipient) ?? { verdict: 'deferred', reply };
        const entry: RecipientReply = { recipient, reply: found.reply };
        result[found.verdict].push(entry);
      }
    }
    return result;
  }
}

/** Returns `address` as nodemailer puts it in the envelope, so replies can be matched to it. */
function nodemailerAddress(address: string): string {
  const envelope = new MimeNode()
    .setEnvelope({ from: false, to: [{ name: '', address }] })
    .getEnvelope();
  return envelope.to[0] ?? address;
}
