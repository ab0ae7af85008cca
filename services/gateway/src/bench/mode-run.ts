import { rm } from 'node:fs/promises';
import { Pipeline, type PipelineMode } from '../test/harness/pipeline.js';
import type { BenchOptions } from './config.js';
import {
  cpuBetween,
  CpuMeter,
  MACHINE_GROUP,
  stackGroups,
  type CpuGroup,
  type CpuSnapshot,
} from './cpu.js';
import { OutcomeTracker, type DrainResult } from './drain.js';
import { phaseFigures, type PhaseFigures } from './figures.js';
import { runClosedLoop, runPaced, type LoadResult } from './load.js';
import { buildMix, describeMix } from './mix.js';
import { pidsRunning } from './proc.js';

/** Outcome of the accepted messages of a phase: where they went and how long that took. */
export interface DrainFigures {
  drained: boolean;
  /** From the first connect of the phase to the last delivery or backup. */
  seconds: number;
  /** From the last SMTP reply of the phase to the last delivery or backup. */
  lagSeconds: number;
  delivered: number;
  backedUp: number;
  missing: number;
  /** Accepted messages per second over `seconds`. */
  endToEndPerSecond: number;
  /** EICAR mails that reached the next hop: anything but 0 is a scanning failure. */
  eicarDelivered: number;
}

/** CPU use over the peak phase, from its first connect until it drained. */
export interface CpuFigures {
  windowSeconds: number;
  /** CPU seconds of each gateway process, each part and the benchmark process itself. */
  seconds: CpuSnapshot;
  gatewaySeconds: number;
  /** The gateway and the parts it uses, without the benchmark process. */
  stackSeconds: number;
  /** Accepted messages per CPU second, that is messages/s for each fully busy core. */
  perCoreGateway: number;
  perCoreStack: number;
  /** CPU seconds per second of the window. */
  coresBusyGateway: number;
  coresBusyStack: number;
  /** Every process of the machine, which shows how much was left for the gateway. */
  coresBusyMachine: number;
}

export interface ModeReport {
  mode: PipelineMode;
  mix: ReturnType<typeof describeMix>;
  warmup: { sent: number; accepted: number; drained: boolean };
  peak: PhaseFigures;
  peakDrain: DrainFigures;
  cpu: CpuFigures;
  /** Half of the lower of the SMTP rate and the end-to-end rate of the peak phase. */
  pacedTargetPerSecond: number;
  paced: PhaseFigures;
  pacedDrain: DrainFigures;
  duplicates: number;
  /** Parts whose processes were not found, so their CPU time is missing from the stack. */
  partsNotFound: string[];
}

/** Service processes of kafka mode. Other copies that run share its topics and consumer groups. */
const KAFKA_SERVICES = /services\/(interceptor|antivirus|antispam|control-plane)\/dist\/main\.js/;

/** Starts the pipeline of `mode`, runs the warm-up, peak and paced phases, and stops it. */
export async function runMode(
  mode: PipelineMode,
  options: BenchOptions,
  log: (line: string) => void,
): Promise<ModeReport> {
  const others = pidsRunning(KAFKA_SERVICES);
  if (mode === 'kafka' && others.length > 0) {
    throw new Error(
      `mailshield service processes ${others.join(', ')} are running on the shared Kafka ` +
        'topics and consumer groups, so they would take part of the benchmark traffic; ' +
        'run kafka mode again once they have stopped',
    );
  }
  const pipeline = await startPipeline(mode, log);
  let keepStateDir = true;
  try {
    const report = await measure(pipeline, options, log);
    keepStateDir = !report.peakDrain.drained || !report.pacedDrain.drained;
    return report;
  } finally {
    await pipeline.stop();
    if (keepStateDir) log(`${mode}: logs and state kept in ${pipeline.stateDir}`);
    else await rm(pipeline.stateDir, { recursive: true, force: true });
  }
}

/** Start attempts. A free port that the harness picks can be taken before a service binds it. */
const START_ATTEMPTS = 3;

async function startPipeline(mode: PipelineMode, log: (line: string) => void): Promise<Pipeline> {
  for (let attempt = 1; ; attempt += 1) {
    const pipeline = new Pipeline(mode);
    log(`${mode}: starting the pipeline`);
    try {
      await pipeline.start();
      return pipeline;
    } catch (err) {
      // The failed attempt's folder holds only logs, which explain the failure, so it stays.
      await pipeline.stop();
      if (attempt === START_ATTEMPTS) throw err;
      log(`${mode}: start failed, trying again: ${(err as Error).message}`);
    }
  }
}

/** Inputs that every phase shares. */
interface PhaseContext {
  pipeline: Pipeline;
  options: BenchOptions;
  tracker: OutcomeTracker;
  drainTimeoutMs: number;
  log: (line: string) => void;
}

async function measure(
  pipeline: Pipeline,
  options: BenchOptions,
  log: (line: string) => void,
): Promise<ModeReport> {
  const tracker = new OutcomeTracker(pipeline, 'bench-');
  const context = {
    pipeline,
    options,
    tracker,
    drainTimeoutMs: options.drainTimeoutSeconds * 1000,
    log,
  };
  const { groups, missing } = stackGroups(pipeline, process.env);
  const warmup = await runWarmup(context);
  const peak = await runPeakPhase(context, groups);
  const sustainable = Math.min(peak.peak.acceptedPerSecond, peak.peakDrain.endToEndPerSecond);
  const pacedTargetPerSecond = Math.max(0.5, sustainable / 2);
  const paced = await runPacedPhase(context, pacedTargetPerSecond);
  return {
    mode: pipeline.mode,
    warmup,
    ...peak,
    pacedTargetPerSecond,
    ...paced,
    duplicates: tracker.duplicateCount,
    partsNotFound: missing,
  };
}

async function runWarmup(context: PhaseContext): Promise<ModeReport['warmup']> {
  const { pipeline, options } = context;
  context.log(`${pipeline.mode}: warm-up with ${options.warmupMessages} messages`);
  const messages = buildMix(options.warmupMessages, `bench-${pipeline.mode}-warmup`);
  const load = await runClosedLoop(pipeline.smtpPort, messages, options.sessions);
  const drain = await context.tracker.waitForAll(load.results, context.drainTimeoutMs);
  const accepted = load.results.filter((result) => result.code === 250).length;
  return { sent: load.results.length, accepted, drained: drain.missing === 0 };
}

/** Closed-loop load at full speed, then the wait until every accepted message is through. */
async function runPeakPhase(
  context: PhaseContext,
  groups: CpuGroup[],
): Promise<Pick<ModeReport, 'mix' | 'peak' | 'peakDrain' | 'cpu'>> {
  const { pipeline, options } = context;
  const meter = new CpuMeter(groups);
  const messages = buildMix(options.messages, `bench-${pipeline.mode}-peak`);
  const limit = options.durationSeconds > 0 ? `up to ${options.durationSeconds} s, ` : '';
  context.log(
    `${pipeline.mode}: peak phase, ${limit}${messages.length} messages over ${options.sessions} sessions`,
  );
  const deadline =
    options.durationSeconds > 0 ? Date.now() + options.durationSeconds * 1000 : undefined;
  const before = { at: Date.now(), cpu: meter.snapshot() };
  const load = await runClosedLoop(pipeline.smtpPort, messages, options.sessions, deadline);
  const drain = await context.tracker.waitForAll(load.results, context.drainTimeoutMs);
  const after = { at: Date.now(), cpu: meter.snapshot() };
  const peak = phaseFigures(load);
  const cpuSeconds = cpuBetween(before.cpu, after.cpu);
  return {
    // Workers take messages in order, so the sent ones are the first ones.
    mix: describeMix(messages.slice(0, load.results.length)),
    peak,
    peakDrain: drainFigures(load, drain),
    cpu: cpuFigures(peak.accepted, (after.at - before.at) / 1000, cpuSeconds, groups),
  };
}

/** Open-loop load at `rate`, to see the latency below saturation. */
async function runPacedPhase(
  context: PhaseContext,
  rate: number,
): Promise<Pick<ModeReport, 'paced' | 'pacedDrain'>> {
  const { pipeline, options } = context;
  const count = Math.max(1, Math.round(rate * options.pacedSeconds));
  const messages = buildMix(count, `bench-${pipeline.mode}-paced`);
  context.log(`${pipeline.mode}: paced phase, ${count} messages at ${rate.toFixed(1)} msg/s`);
  // Ten times the peak sessions leaves room for slow replies without letting a stall run away.
  const load = await runPaced(pipeline.smtpPort, messages, rate, options.sessions * 10);
  const drain = await context.tracker.waitForAll(load.results, context.drainTimeoutMs);
  return { paced: phaseFigures(load), pacedDrain: drainFigures(load, drain) };
}

function drainFigures(load: LoadResult, drain: DrainResult): DrainFigures {
  const accepted = load.results.filter((result) => result.code === 250).length;
  const drainedAt = drain.drainedAt ?? Date.now();
  const seconds = Math.max(0.001, (Math.max(drainedAt, load.endedAt) - load.startedAt) / 1000);
  return {
    drained: drain.drainedAt !== undefined,
    seconds,
    lagSeconds: Math.max(0, (drainedAt - load.endedAt) / 1000),
    delivered: drain.delivered.size,
    backedUp: drain.backedUp.size,
    missing: drain.missing,
    endToEndPerSecond: accepted / seconds,
    eicarDelivered: [...drain.delivered].filter((testId) => testId.endsWith('-eicar')).length,
  };
}

function cpuFigures(
  accepted: number,
  windowSeconds: number,
  seconds: CpuSnapshot,
  groups: CpuGroup[],
): CpuFigures {
  const sum = (kinds: string[]) =>
    groups
      .filter((group) => kinds.includes(group.kind))
      .reduce((total, group) => total + (seconds[group.name] ?? 0), 0);
  const gateway = sum(['gateway']);
  const stack = sum(['gateway', 'part']);
  return {
    windowSeconds,
    seconds,
    gatewaySeconds: gateway,
    stackSeconds: stack,
    perCoreGateway: gateway > 0 ? accepted / gateway : 0,
    perCoreStack: stack > 0 ? accepted / stack : 0,
    coresBusyGateway: gateway / windowSeconds,
    coresBusyStack: stack / windowSeconds,
    coresBusyMachine: (seconds[MACHINE_GROUP] ?? 0) / windowSeconds,
  };
}
