import { join } from 'node:path';
import { writeFileAtomic } from '@mailshield/common';
import type { Deliverer, DeliveryJob, DeliveryResult } from './deliverer.js';

/** Delivery when no next hop is configured: each message becomes a file `<id>.eml` in a folder. */
export class EmlDeliverer implements Deliverer {
  readonly kind = 'eml';

  constructor(private readonly dir: string) {}

  async deliver(job: DeliveryJob): Promise<DeliveryResult> {
    const path = join(this.dir, job.fileName);
    await writeFileAtomic(path, job.raw);
    const reply = `written to ${path}`;
    return {
      accepted: job.recipients.map((recipient) => ({ recipient, reply })),
      bounced: [],
      deferred: [],
    };
  }

  async close(): Promise<void> {}
}
