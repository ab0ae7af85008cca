import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@mailshield/common';
import { StoreCorruptError } from '../errors.js';
import { Mutex } from '../storage/mutex.js';
import {
  compareTokens,
  type LearnedClass,
  type LearningStore,
  type LearnInput,
  type LearnResult,
  type StoredModel,
} from './learning-store.js';

interface LearnedMessage {
  id: string;
  label: LearnedClass;
  tokens: string[];
  actor: string;
  learnedAt: string;
}

interface StoredState {
  version: number;
  messages: LearnedMessage[];
}

/**
 * The learned messages as one JSON file, `state.json` in `directory`, rewritten atomically on
 * every change. Token counts are rebuilt in memory at open. Every Learn rewrites the whole
 * file, which suits the local run, not a large corpus.
 * NOTE: the lock is in-process only, so two processes must not share one folder.
 */
export class FileLearningStore implements LearningStore {
  private readonly messages = new Map<string, LearnedMessage>();
  private readonly counts = new Map<string, { spam: number; ham: number }>();
  private readonly totals = { spam: 0, ham: 0 };
  private currentVersion = 0;
  private readonly mutex = new Mutex();

  constructor(private readonly directory: string) {}

  private get file(): string {
    return join(this.directory, 'state.json');
  }

  async open(): Promise<void> {
    await mkdir(this.directory, { recursive: true });
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    let state: StoredState;
    try {
      state = JSON.parse(text) as StoredState;
    } catch (err) {
      throw new StoreCorruptError(`learning file ${this.file} cannot be read`, { cause: err });
    }
    this.currentVersion = state.version;
    for (const message of state.messages) this.apply(message, 1);
  }

  learn(input: LearnInput): Promise<LearnResult> {
    return this.mutex.run(async () => {
      const previous = this.messages.get(input.messageId);
      if (previous?.label === input.label) return { version: this.currentVersion, changed: false };
      const next: LearnedMessage = {
        id: input.messageId,
        label: input.label,
        tokens: input.tokens,
        actor: input.actor,
        learnedAt: new Date().toISOString(),
      };
      const others = [...this.messages.values()].filter((message) => message.id !== next.id);
      const state: StoredState = { version: this.currentVersion + 1, messages: [...others, next] };
      await writeFileAtomic(this.file, JSON.stringify(state));
      if (previous !== undefined) this.apply(previous, -1);
      this.apply(next, 1);
      this.currentVersion = state.version;
      return { version: this.currentVersion, changed: true };
    });
  }

  async version(): Promise<number> {
    return this.currentVersion;
  }

  async model(): Promise<StoredModel> {
    const tokens: [string, number, number][] = [];
    for (const [token, counts] of this.counts) tokens.push([token, counts.spam, counts.ham]);
    tokens.sort(compareTokens);
    return {
      version: this.currentVersion,
      snapshot: { spamMessages: this.totals.spam, hamMessages: this.totals.ham, tokens },
    };
  }

  async close(): Promise<void> {}

  /** Adds (`sign` 1) or takes back (`sign` -1) one message's counts. */
  private apply(message: LearnedMessage, sign: 1 | -1): void {
    for (const token of message.tokens) {
      const counts = this.counts.get(token) ?? { spam: 0, ham: 0 };
      counts[message.label] += sign;
      if (counts.spam <= 0 && counts.ham <= 0) this.counts.delete(token);
      else this.counts.set(token, counts);
    }
    this.totals[message.label] += sign;
    if (sign === 1) this.messages.set(message.id, message);
    else this.messages.delete(message.id);
  }
}
