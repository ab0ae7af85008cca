import { randomBytes } from 'node:crypto';
import { buildAttachment, type AttachmentKind } from './attachments.js';
import { attach } from './compose.js';
import { readCorpusMessage } from './corpus.js';
import { freshenMessage } from './freshen.js';
import { SeededRandom } from './seeded-random.js';

/** A corpus message as it is, or one with a generated attachment of that kind. */
export type MixKind = 'corpus' | AttachmentKind;

export const MIX_KINDS: readonly MixKind[] = ['corpus', 'zip', 'pdf', 'binary'];

/** What the seed decides about one message; the copies of the mix share it. */
export interface PlannedMessage {
  index: number;
  kind: MixKind;
  corpusFile: string;
  /** Size of the generated attachment; 0 for `corpus`. */
  attachmentBytes: number;
}

export interface MixMessage {
  plan: PlannedMessage;
  raw: Buffer;
  /** Bytes of the generated attachment before base64; 0 for `corpus`. */
  attachmentBytes: number;
}

/** Attachment sizes, drawn log-uniformly between the two. */
export const MIN_ATTACHMENT_BYTES = 10_000;
export const MAX_ATTACHMENT_BYTES = 2_000_000;

/** Kinds in a cycle of six: half corpus messages as they are, a sixth of each attachment kind. */
const KIND_CYCLE: readonly MixKind[] = ['corpus', 'zip', 'corpus', 'pdf', 'corpus', 'binary'];

/**
 * Plans `count` messages from the corpus files: the kind of each by position, the corpus
 * message and the attachment size from the seed. The corpus files are shuffled, so the mix
 * takes spam and ham in their share of the corpus.
 */
export function planMix(files: readonly string[], count: number, seed: string): PlannedMessage[] {
  const order = new SeededRandom(`${seed}:corpus`).shuffle([...files]);
  const sizes = new SeededRandom(`${seed}:sizes`);
  return Array.from({ length: count }, (_, index) => {
    const kind = KIND_CYCLE[index % KIND_CYCLE.length]!;
    const attachmentBytes =
      kind === 'corpus' ? 0 : sizes.logUniform(MIN_ATTACHMENT_BYTES, MAX_ATTACHMENT_BYTES);
    return { index, kind, corpusFile: order[index % order.length]!, attachmentBytes };
  });
}

/**
 * Builds copies of a planned mix. Copies have the same messages, attachments and sizes. Each
 * has a random marker of its own in every message and every part, so each copy is new to
 * clamd and to the antivirus' cache, in this run and in every later one.
 */
export class MixBuilder {
  private readonly corpus = new Map<string, Buffer>();

  constructor(private readonly seed: string) {}

  async build(plan: readonly PlannedMessage[]): Promise<MixMessage[]> {
    const copyId = randomBytes(8).toString('hex');
    const messages: MixMessage[] = [];
    for (const planned of plan) messages.push(await this.buildOne(planned, copyId));
    return messages;
  }

  private async buildOne(plan: PlannedMessage, copyId: string): Promise<MixMessage> {
    const id = `${copyId}-${String(plan.index).padStart(6, '0')}`;
    const marker = `mailshield-bench ${id}`;
    const fresh = freshenMessage(await this.corpusMessage(plan.corpusFile), marker);
    if (plan.kind === 'corpus') return { plan, raw: fresh, attachmentBytes: 0 };
    // The content depends on the seed and the position only, so every copy gets the same bytes.
    const random = new SeededRandom(`${this.seed}:content:${plan.index}`);
    const attachment = buildAttachment(plan.kind, plan.attachmentBytes, marker, random, plan.index);
    return {
      plan,
      raw: attach(fresh, attachment, id),
      attachmentBytes: attachment.content.length,
    };
  }

  private async corpusMessage(path: string): Promise<Buffer> {
    let raw = this.corpus.get(path);
    if (raw === undefined) {
      raw = await readCorpusMessage(path);
      this.corpus.set(path, raw);
    }
    return raw;
  }
}

/** Count and mean sizes of one kind of message in a mix. */
export interface KindSummary {
  count: number;
  meanMessageBytes: number;
  meanAttachmentBytes: number;
}

export function describeMix(messages: readonly MixMessage[]): Record<MixKind, KindSummary> {
  const summary = {} as Record<MixKind, KindSummary>;
  for (const kind of MIX_KINDS) {
    const ofKind = messages.filter((message) => message.plan.kind === kind);
    const mean = (values: number[]) =>
      values.length === 0 ? 0 : Math.round(values.reduce((a, b) => a + b, 0) / values.length);
    summary[kind] = {
      count: ofKind.length,
      meanMessageBytes: mean(ofKind.map((message) => message.raw.length)),
      meanAttachmentBytes: mean(ofKind.map((message) => message.attachmentBytes)),
    };
  }
  return summary;
}
