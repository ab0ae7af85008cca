import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Every metric of the antivirus, registered in the service's registry. */
export interface AntivirusMetrics {
  messages: Counter<'status' | 'action'>;
  objectsScanned: Counter<'status'>;
  scanDuration: Histogram;
  errors: Counter<'reason'>;
  unscanned: Counter<'reason'>;
  blocked: Counter<'rule'>;
  consumerLag: Gauge;
  consumptionPaused: Gauge;
  cacheLookups: Counter<'result'>;
  endpointUp: Gauge<'endpoint'>;
  scansInFlight: Gauge<'endpoint'>;
  signatureVersion: Gauge<'endpoint'>;
  signatureAge: Gauge<'endpoint'>;
  signaturesStale: Gauge;
  storeBytes: Gauge;
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
    blocked: new Counter({
      name: 'mailshield_antivirus_blocked_attachments_total',
      help: 'Attachments that matched an attachment rule of the policy, by rule name.',
      labelNames: ['rule'],
      registers: [registry],
    }),
    consumptionPaused: new Gauge({
      name: 'mailshield_antivirus_consumption_paused',
      help: '1 while consumption of the inbound topic is paused because no clamd endpoint responds.',
      registers: [registry],
    }),
    cacheLookups: new Counter({
      name: 'mailshield_antivirus_cache_lookups_total',
      help: 'Lookups in the scan result cache (keyed by content hash and signature version), by result: hit or miss.',
      labelNames: ['result'],
      registers: [registry],
    }),
    endpointUp: new Gauge({
      name: 'mailshield_antivirus_clamd_up',
      help: '1 when the clamd endpoint responded to the last health check and its circuit is not open.',
      labelNames: ['endpoint'],
      registers: [registry],
    }),
    scansInFlight: new Gauge({
      name: 'mailshield_antivirus_clamd_scans_in_flight',
      help: 'Scans sent to the clamd endpoint and not yet answered.',
      labelNames: ['endpoint'],
      registers: [registry],
    }),
    signatureVersion: new Gauge({
      name: 'mailshield_antivirus_signature_version',
      help: 'Version of the signature database that the clamd endpoint reports; 0 when it reports none.',
      labelNames: ['endpoint'],
      registers: [registry],
    }),
    signatureAge: new Gauge({
      name: 'mailshield_antivirus_signature_age_seconds',
      help: 'Age of the signature database that the clamd endpoint reports, from its build time.',
      labelNames: ['endpoint'],
      registers: [registry],
    }),
    signaturesStale: new Gauge({
      name: 'mailshield_antivirus_signatures_stale',
      help: '1 when an endpoint runs signatures older than the configured maximum age.',
      registers: [registry],
    }),
    storeBytes: new Gauge({
      name: 'mailshield_antivirus_store_bytes',
      help: 'Bytes of objects in the scan store folder now.',
      registers: [registry],
    }),
    consumerLag: new Gauge({
      name: 'mailshield_antivirus_consumer_lag',
      help: 'Records of the inbound topic not yet consumed by the antivirus group, where the bus can tell.',
      registers: [registry],
    }),
  };
}
