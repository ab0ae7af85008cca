import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Every metric of the interceptor, registered on one registry. */
export interface InterceptorMetrics {
  smtpSessions: Counter;
  smtpReplies: Counter<'code'>;
  messagesAccepted: Counter<'mode'>;
  relayDenied: Counter;
  unknownClientSessions: Counter<'origin'>;
  relayGuardRefusals: Counter<'origin'>;
  publishDuration: Histogram;
  endOfData: Histogram;
  deliveries: Counter<'result'>;
  deliveryDuration: Histogram;
  errors: Counter<'reason'>;
  consumerLag: Gauge;
  retryQueue: Gauge;
  canaries: Counter<'kind' | 'result'>;
}

/** Reads a consumer group's lag on each scrape; undefined when the bus cannot tell. */
export type LagReader = () => Promise<number | undefined>;

/**
 * Registers the interceptor's metrics. `readLag` reads the delivery consumer's lag on the
 * verdict topic, `readRetryLag` the retry consumer's lag on the delivery-retry topic.
 */
export function createInterceptorMetrics(
  registry: Registry,
  readLag: LagReader,
  readRetryLag: LagReader,
): InterceptorMetrics {
  const registers = [registry];
  const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
  return {
    smtpSessions: new Counter({
      name: 'mailshield_interceptor_smtp_sessions_total',
      help: 'SMTP connections accepted.',
      registers,
    }),
    smtpReplies: new Counter({
      name: 'mailshield_interceptor_smtp_replies_total',
      help: 'SMTP replies sent, by reply code.',
      labelNames: ['code'],
      registers,
    }),
    messagesAccepted: new Counter({
      name: 'mailshield_interceptor_messages_accepted_total',
      help: 'Messages accepted with 250 after DATA, by queue mode (after_queue, before_queue).',
      labelNames: ['mode'],
      registers,
    }),
    relayDenied: new Counter({
      name: 'mailshield_interceptor_relay_denied_total',
      help: 'RCPT commands rejected because the client may not relay to that domain.',
      registers,
    }),
    unknownClientSessions: new Counter({
      name: 'mailshield_interceptor_unknown_client_sessions_total',
      help:
        'SMTP sessions whose client address is not known, by origin: cluster_peer (a peer in ' +
        'MAILSHIELD_CLUSTER_NETWORKS without a PROXY header) or proxy_unknown (PROXY UNKNOWN). ' +
        'They get no trusted-network relaying and no address-based spam checks.',
      labelNames: ['origin'],
      registers,
    }),
    relayGuardRefusals: new Counter({
      name: 'mailshield_interceptor_relay_guard_refusals_total',
      help:
        'RCPT commands outside the relay domains refused because the client address is not ' +
        'known, by origin (cluster_peer, proxy_unknown). Also counted in relay_denied_total.',
      labelNames: ['origin'],
      registers,
    }),
    publishDuration: new Histogram({
      name: 'mailshield_interceptor_publish_duration_seconds',
      help: 'Time to write an accepted message durably to the bus.',
      buckets: latencyBuckets,
      registers,
    }),
    endOfData: new Histogram({
      name: 'mailshield_interceptor_end_of_data_seconds',
      help: 'Time from the end of DATA to the final reply, including a before-queue verdict wait.',
      buckets: latencyBuckets,
      registers,
    }),
    deliveries: new Counter({
      name: 'mailshield_interceptor_deliveries_total',
      help:
        'Delivery decisions, by result: delivered, bounced, deferred (handed to the retry topic), ' +
        'expired, dropped, held, skipped_duplicate. An attempt with recipients in several ' +
        'results counts once in each.',
      labelNames: ['result'],
      registers,
    }),
    deliveryDuration: new Histogram({
      name: 'mailshield_interceptor_delivery_duration_seconds',
      help: 'Time of one delivery attempt to the next hop or to the .eml folder, in-process retries included.',
      buckets: latencyBuckets,
      registers,
    }),
    errors: new Counter({
      name: 'mailshield_interceptor_errors_total',
      help: 'Errors handled by the interceptor, by reason code (InterceptorErrorCode in errors.ts).',
      labelNames: ['reason'],
      registers,
    }),
    consumerLag: new Gauge({
      name: 'mailshield_interceptor_consumer_lag',
      help: 'Verdict records not yet consumed by the delivery consumer group.',
      registers,
      async collect() {
        const lag = await readLag();
        if (lag !== undefined) this.set(lag);
      },
    }),
    retryQueue: new Gauge({
      name: 'mailshield_interceptor_retry_queue_records',
      help: 'Deferred messages waiting in the delivery-retry topic for their next attempt.',
      registers,
      async collect() {
        const lag = await readRetryLag();
        if (lag !== undefined) this.set(lag);
      },
    }),
    canaries: new Counter({
      name: 'mailshield_interceptor_canaries_total',
      help:
        'Self-test canaries injected for the control plane, by kind (eicar, gtube) and result ' +
        '(verdict, timeout, publish_failed). Canaries count in no other message metric.',
      labelNames: ['kind', 'result'],
      registers,
    }),
  };
}
