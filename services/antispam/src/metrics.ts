import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Every metric of the antispam service. Label values come from closed sets only. */
export interface AntispamMetrics {
  /** Messages scored, by status and by the action applied. */
  messages: Counter<'status' | 'action'>;
  /** Wall time to score one message and apply its action, in seconds. */
  scoreDuration: Histogram;
  /** Findings by the check that produced them. */
  checkHits: Counter<'check'>;
  /** Errors by reason code. */
  errors: Counter<'reason'>;
  /** Records on the scanned topic not yet consumed by the antispam group. */
  consumerLag: Gauge;
}

/** Registers the antispam metrics; `readLag` feeds the lag gauge at each scrape. */
export function createAntispamMetrics(
  registry: Registry,
  readLag: () => Promise<number | undefined> = async () => undefined,
): AntispamMetrics {
  const registers = [registry];
  return {
    messages: new Counter({
      name: 'mailshield_antispam_messages_total',
      help: 'Messages scored by the antispam stage, by spam status and applied action.',
      labelNames: ['status', 'action'],
      registers,
    }),
    scoreDuration: new Histogram({
      name: 'mailshield_antispam_score_duration_seconds',
      help: 'Time to parse, score and act on one message, in seconds.',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    checkHits: new Counter({
      name: 'mailshield_antispam_check_hits_total',
      help: 'Findings reported, by the check that reported them.',
      labelNames: ['check'],
      registers,
    }),
    errors: new Counter({
      name: 'mailshield_antispam_errors_total',
      help: 'Errors of the antispam stage, by reason code.',
      labelNames: ['reason'],
      registers,
    }),
    consumerLag: new Gauge({
      name: 'mailshield_antispam_consumer_lag',
      help: 'Records of the scanned topic that the antispam consumer group has not consumed yet.',
      registers,
      async collect() {
        const lag = await readLag().catch(() => undefined);
        if (lag !== undefined) this.set(lag);
      },
    }),
  };
}
