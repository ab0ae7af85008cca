/**
 * Distinct tokens of one message, bounded so that a huge or adversarial message costs a bounded
 * amount of learning and scoring time. Tokens added after the cap is reached are dropped.
 */
export class TokenSet {
  readonly tokens = new Set<string>();

  constructor(readonly cap: number) {}

  get isFull(): boolean {
    return this.tokens.size >= this.cap;
  }

  add(token: string): void {
    if (this.tokens.size < this.cap) this.tokens.add(token);
  }
}
