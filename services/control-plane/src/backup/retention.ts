import type { Logger } from '@mailshield/common';
import type { BackupRetentionOptions } from '../config.js';
import type { ControlPlaneMetrics } from '../metrics.js';
import type { BackupStore, PurgeReason, PurgedBackup, RetentionLimits } from './backup-store.js';

const msPerDay = 24 * 60 * 60 * 1000;

/** Converts the configured retention settings to the limits a store enforces. */
export function retentionLimits(options: BackupRetentionOptions): RetentionLimits {
  return {
    maxAgeMs: Math.round(options.maxAgeDays * msPerDay),
    maxTotalBytes: options.maxTotalBytes,
    maxCount: options.maxCount,
  };
}

export interface BackupRetentionDeps {
  store: BackupStore;
  limits: RetentionLimits;
  intervalSeconds: number;
  metrics: ControlPlaneMetrics;
  logger: Logger;
}

/**
 * Enforces the Backup limits on a timer: one run at start, then one every interval, never two
 * at once in this process. Replicas sharing PostgreSQL take turns through the store's lock.
 */
export class BackupRetention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(private readonly deps: BackupRetentionDeps) {}

  start(): void {
    const tick = () => {
      if (this.running !== undefined) return;
      this.running = this.runOnce()
        .catch((err: unknown) => {
          this.deps.logger.error(
            { err, event: 'backup.retention_failed' },
            'Backup retention run failed; the next run retries',
          );
        })
        .finally(() => (this.running = undefined));
    };
    tick();
    this.timer = setInterval(tick, this.deps.intervalSeconds * 1000);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Purges once, counts and logs what was removed, and sets the size gauges. */
  async runOnce(now = new Date()): Promise<PurgedBackup[]> {
    const { store, metrics, logger } = this.deps;
    const purged = await store.purge(this.deps.limits, now);
    const totals = new Map<PurgeReason, { messages: number; bytes: number }>();
    for (const backup of purged) {
      const total = totals.get(backup.reason) ?? { messages: 0, bytes: 0 };
      total.messages += 1;
      total.bytes += backup.sizeBytes;
      totals.set(backup.reason, total);
      metrics.backupPurged.inc({ reason: backup.reason });
      metrics.backupPurgedBytes.inc({ reason: backup.reason }, backup.sizeBytes);
      logger.debug(
        { event: 'backup.purged', mail_id: backup.id, reason: backup.reason },
        'message removed from Backup by retention',
      );
    }
    for (const [reason, total] of totals) {
      logger.info(
        { event: 'backup.retention_purged', reason, messages: total.messages, bytes: total.bytes },
        'Backup retention removed messages',
      );
    }
    const stats = await store.stats();
    metrics.backupMessages.set(stats.count);
    metrics.backupBytes.set(stats.bytes);
    return purged;
  }
}
