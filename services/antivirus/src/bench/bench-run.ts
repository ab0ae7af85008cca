import { defaultPolicy, formatHostPort, machineFacts, type MachineFacts } from '@mailshield/common';
import type { ScanSettings } from '../scan/scan-message.js';
import { clamdObjects, RepeatCounter } from './clamd-objects.js';
import { findClamd, openBenchStore } from './clamd-setup.js';
import type { AvBenchOptions } from './config.js';
import { listCorpus } from './corpus.js';
import { overhead } from './figures.js';
import {
  describeMix,
  MixBuilder,
  planMix,
  type KindSummary,
  type MixKind,
  type PlannedMessage,
} from './mix.js';
import { runPassReport, type PassContext, type PreparedCopy } from './pass-report.js';
import type { PassReport } from './report.js';

/** Everything one run measured, as printed and written to the JSON file. */
export interface BenchResult {
  bench: 'mailshield-antivirus';
  machine: MachineFacts;
  options: AvBenchOptions;
  clamd: { address: string; pid: number }[];
  mix: Record<MixKind, KindSummary>;
  repeatedObjects: number;
  passes: PassReport[];
}

/**
 * Runs the raw pass and the antivirus passes that `options.store` selects, each on a copy
 * of the mix of its own and after a warm-up copy, and computes the figures.
 */
export async function runBench(
  options: AvBenchOptions,
  log: (line: string) => void,
): Promise<BenchResult> {
  const machine = machineFacts();
  const clamd = findClamd(options.clamd);
  const plan = planMix(await listCorpus(options.corpusDir), options.messages, options.seed);
  const copies = new CopyMaker(plan, new MixBuilder(options.seed), scanSettings());
  const store = options.store === 'off' ? undefined : await openBenchStore(options.clamd);
  const context: PassContext = {
    clamd: options.clamd,
    concurrency: options.concurrency,
    settings: copies.settings,
    clamdPids: [...new Set(clamd.map((item) => item.pid))],
    store: undefined,
  };
  const passes: PassReport[] = [];
  try {
    for (const name of passNames(options)) {
      const passStore = name === 'antivirus-store' ? store?.store : undefined;
      const passContext = { ...context, store: passStore };
      passes.push(await warmUpAndRun(name, copies, passContext, options, log));
    }
  } finally {
    await store?.remove();
  }
  addOverheads(passes);
  return {
    bench: 'mailshield-antivirus',
    machine,
    options,
    clamd: clamd.map((item) => ({ address: formatHostPort(item.address), pid: item.pid })),
    mix: copies.summary!,
    repeatedObjects: copies.repeats.repeated,
    passes,
  };
}

/**
 * Builds fresh copies of the mix, or of its first messages for a warm-up, with the objects
 * the antivirus sends clamd for each, and checks that no object repeats between copies.
 */
class CopyMaker {
  readonly repeats = new RepeatCounter();
  /** Sizes of the first full copy, which every later copy matches within a few bytes. */
  summary: Record<MixKind, KindSummary> | undefined;

  constructor(
    private readonly plan: PlannedMessage[],
    private readonly builder: MixBuilder,
    readonly settings: ScanSettings,
  ) {}

  async make(count: number): Promise<PreparedCopy> {
    const messages = await this.builder.build(this.plan.slice(0, count));
    if (count === this.plan.length) this.summary ??= describeMix(messages);
    const raws = messages.map((message) => message.raw);
    const objects = raws.map((raw) => clamdObjects(raw, this.settings));
    objects.forEach((list) => this.repeats.add(list));
    return { raws, objects };
  }
}

/** Runs a pass on a warm-up copy, not counted, then on a full copy. */
async function warmUpAndRun(
  name: PassReport['name'],
  copies: CopyMaker,
  context: PassContext,
  options: AvBenchOptions,
  log: (line: string) => void,
): Promise<PassReport> {
  if (options.warmup > 0) {
    log(`${name}: warm-up of ${options.warmup} messages`);
    await runPassReport(name, await copies.make(options.warmup), context);
  }
  const copy = await copies.make(options.messages);
  collectGarbage();
  log(`${name}: ${options.messages} messages`);
  return runPassReport(name, copy, context);
}

/** Lists the passes to run: the raw pass first, then the antivirus passes selected. */
function passNames(options: AvBenchOptions): PassReport['name'][] {
  const names: PassReport['name'][] = ['raw'];
  if (options.store !== 'off') names.push('antivirus-store');
  if (options.store !== 'on') names.push('antivirus-instream');
  return names;
}

/** Returns the scan settings the service uses with the default policy, for inbound mail. */
function scanSettings(): ScanSettings {
  const antivirus = defaultPolicy().antivirus!;
  return {
    timeoutSeconds: antivirus.scanTimeoutSeconds,
    limits: antivirus.limits!,
    rules: antivirus.attachmentRules,
    isOutbound: false,
  };
}

/** Computes the overhead of each antivirus pass over the raw pass. */
function addOverheads(passes: PassReport[]): void {
  const raw = passes.find((pass) => pass.name === 'raw');
  if (raw === undefined) return;
  for (const pass of passes) {
    if (pass.name !== 'raw') pass.overhead = overhead(pass.measurement, raw.measurement);
  }
}

/**
 * Runs a full garbage collection when node runs with --expose-gc, so the garbage of building
 * the copy is not collected inside the timed pass.
 */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
