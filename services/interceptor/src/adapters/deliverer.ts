import type { Logger } from '@mailshield/common';

/** One message to hand on: the envelope and the raw bytes, sent unchanged. */
export interface DeliveryJob {
  /** Ledger key of the record; identifies the job across retries of the same record. */
  key: string;
  messageId: string;
  /** File name for the .eml writer, such as `<id>.eml`. */
  fileName: string;
  mailFrom: string;
  recipients: string[];
  raw: Buffer;
  logger: Logger;
}

export interface DeliveryResult {
  /** delivered: at least one recipient accepted; bounced: every recipient rejected with 5xx. */
  status: 'delivered' | 'bounced';
  /** Last reply of the next hop, or the path of the written file. */
  reply: string;
  /** Recipients the next hop rejected with 5xx. */
  bouncedRecipients: string[];
}

/**
 * Hands messages to the next hop. `deliver` resolves once the next hop took responsibility
 * (250 after DATA) or rejected permanently. It throws when the next hop stays unavailable, so
 * the record is offered again.
 */
export interface Deliverer {
  readonly kind: 'smtp' | 'eml';
  deliver(job: DeliveryJob, signal: AbortSignal): Promise<DeliveryResult>;
  close(): Promise<void>;
}
