import type { Deliverer, DeliveryJob, DeliveryResult } from './deliverer.js';
import { writeFileAtomically } from './eml-writer.js';

/** Delivery when no next hop is configured: each message becomes a file `<id>.eml` in a folder. */
export class EmlDeliverer implements Deliverer {
  readonly kind = 'eml';

  constructor(private readonly dir: string) {}

  async deliver(job: DeliveryJob): Promise<DeliveryResult> {
    const path = await writeFileAtomically(this.dir, job.fileName, job.raw);
    return { status: 'delivered', reply: `written to ${path}`, bouncedRecipients: [] };
  }

  async close(): Promise<void> {}
}
