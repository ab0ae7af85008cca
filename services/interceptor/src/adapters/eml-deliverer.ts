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
    return { status: 'delivered', reply: `written to ${path}`, bouncedRecipients: [] };
  }

  async close(): Promise<void> {}
}
