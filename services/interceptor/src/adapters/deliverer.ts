import type { Logger } from '@mailshield/common';

/** One message to hand on: the envelope and the raw bytes, sent unchanged. */
export interface DeliveryJob {
  messageId: string;
  /** File name for the .eml writer, such as `<id>.eml`. */
  fileName: string;
  mailFrom: string;
  recipients: string[];
  raw: Buffer;
  logger: Logger;
}

/** A recipient with the reply that decided its result. */
export interface RecipientReply {
  recipient: string;
  /** Reply of the next hop, such as `451 4.3.0 Try again later`, or the path of the file. */
  reply: string;
}

/** What became of each recipient of a job; every recipient is in exactly one list. */
export interface DeliveryResult {
  /** The next hop took responsibility (250 after DATA), or the .eml file was written. */
  accepted: RecipientReply[];
  /** The next hop rejected them with 5xx. */
  bounced: RecipientReply[];
  /** The next hop replied 4xx or could not be reached; a later attempt may succeed. */
  deferred: RecipientReply[];
}

/**
 * Hands messages to the next hop. `deliver` resolves with a result for every recipient, after
 * at most a short in-process retry of the deferred ones. It throws only on a fault that no
 * recipient result describes, such as a full disk for the .eml writer.
 */
export interface Deliverer {
  readonly kind: 'smtp' | 'eml';
  /** When `signal` aborts, a retrying delivery stops waiting and returns what it has. */
  deliver(job: DeliveryJob, signal: AbortSignal): Promise<DeliveryResult>;
  close(): Promise<void>;
}
