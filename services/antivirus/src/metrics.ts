import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Every metric of the antivirus, registered in the service's registry. */
export interface AntivirusMetrics {
  messages: Counter<'status' | 'action'>;
  objectsScanned: Counter<'status'>;
  scanDuration: Histogram;
  errors: Counter<'reason'>;
  unscanned: Counter<'reason'>;
  consumerLag: Gauge;
}

export function createAntivirusMetrics(registry: Registry): AntivirusMetrics {
  return {
    messages: new Counter({
      name: 'mailshield_antivirus_messages_total',
      help: 'Messages scanned, by combined status and the policy action applied.',
      labelNames: ['status', 'action'],
      registers: [registry],
    }),
    objectsScanned: new Counter({
      name: 'mailshield_antivirus_objects_scanned_total',
      help: 'Objects sent to clamd (raw message, MIME leaves, uuencoded files), by status.',
      labelNames: ['status'],
      registers: [registry],
    }),
    scanDuration: new Histogram({
      name: 'mailshield_antivirus_scan_duration_seconds',
      help: 'Time to scan one message with all its objects, in seconds.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    errors: new Counter({
      name: 'mailshield_antivirus_errors_total',
      help: 'Errors by reason code: clamd failures, backup failures, retried batches, bad records.',
      labelNames: ['reason'],
      registers: [registry],
    }),
    unscanned: new Counter({
      name: 'mailshield_antivirus_unscanned_total',
      help: 'Messages whose status is unscanned, by reason code.',
      labelNames: ['reason'],
      registers: [registry],
    }),
    consumerLag: new Gauge({
      name: 'mailshield_antivirus_consumer_lag',
      help: 'Records of the inbound topic not yet consumed by the antivirus group, where the bus can tell.',
      registers: [registry],
    }),
  };
}
