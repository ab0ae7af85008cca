import type { MessageRecord } from '@mailshield/proto/message';

interface Waiter {
  resolve: (verdict: MessageRecord | undefined) => void;
  timer: NodeJS.Timeout;
}

/**
 * Before-queue sessions waiting for the verdict on their message, by message id. A session
 * registers before it publishes, so a verdict that arrives quickly is never missed.
 */
export class VerdictWaiter {
  private readonly waiting = new Map<string, Waiter>();

  /**
   * Registers `id` and returns a promise of its verdict, or of undefined after `timeoutMs`
   * or after `cancel(id)`.
   */
  wait(id: string, timeoutMs: number): Promise<MessageRecord | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle(id, undefined), timeoutMs);
      this.waiting.set(id, { resolve, timer });
    });
  }

  /** Hands a verdict to the session waiting for it; returns false when nobody waits for that id. */
  deliver(verdict: MessageRecord): boolean {
    return this.settle(verdict.id, verdict);
  }

  cancel(id: string): void {
    this.settle(id, undefined);
  }

  get size(): number {
    return this.waiting.size;
  }

  private settle(id: string, verdict: MessageRecord | undefined): boolean {
    const waiter = this.waiting.get(id);
    if (waiter === undefined) return false;
    this.waiting.delete(id);
    clearTimeout(waiter.timer);
    waiter.resolve(verdict);
    return true;
  }
}
