/** Kafka topics of the message path, in the order a message travels. */
export const Topics = {
  /** Accepted messages, written by the interceptor before it replies 250. */
  inbound: 'mailshield.inbound',
  /** Messages scanned by the antivirus, read by the antispam. */
  scanned: 'mailshield.scanned',
  /**
   * Final verdicts from the antispam, before-queue acceptances from the interceptor and
   * releases from Backup; read by the interceptor's delivery.
   */
  verdicts: 'mailshield.verdicts',
  /**
   * Copies of verdict records that the next hop deferred (4xx, unreachable), narrowed to the
   * recipients still pending and due at `deliver_after`. Only the interceptor writes and reads it.
   */
  deliveryRetry: 'mailshield.delivery-retry',
} as const;

export type Topic = (typeof Topics)[keyof typeof Topics];
