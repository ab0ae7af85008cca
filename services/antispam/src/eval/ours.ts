import { performance } from 'node:perf_hooks';
import { defaultPolicy } from '@mailshield/common';
import { Envelope } from '@mailshield/proto/message';
import { BayesModel } from '../engine/bayes/model.js';
import { createBayesCheck } from '../engine/checks/bayes.js';
import { defaultChecks, ScoringEngine } from '../engine/engine.js';
import { MessageParseError, parseMessage } from '../engine/parse.js';
import type { SpamStatus } from '../engine/status.js';
import type { CorpusMessage } from './corpus.js';
import type { ScoredMessage } from './metrics.js';

/** A test message as the whole engine scored it. */
export interface EngineScoredMessage extends ScoredMessage {
  status: SpamStatus;
  /** Names of the findings, such as BAYES_99 and HTML_ONLY. */
  findings: string[];
}

export interface TrainedModel {
  model: BayesModel;
  seconds: number;
  /** Training messages the MIME parser rejected, which were not learned. */
  unparsed: string[];
}

export interface EngineRun {
  results: EngineScoredMessage[];
  /** Wall-clock seconds of scoring alone, after the warm-up. */
  seconds: number;
  /** CPU seconds of this process over the same time, all threads. */
  cpuSeconds: number;
}

/** Messages scored before timing starts, so the figures do not include compiling the code. */
const WARMUP_MESSAGES = 100;

/** Learns every message of `train` with its label. */
export async function trainModel(train: readonly CorpusMessage[]): Promise<TrainedModel> {
  const started = performance.now();
  const model = new BayesModel();
  const unparsed: string[] = [];
  for (const message of train) {
    try {
      model.learn(await parseMessage(message.raw), message.label);
    } catch (err) {
      if (!(err instanceof MessageParseError)) throw err;
      unparsed.push(message.name);
    }
  }
  return { model, seconds: (performance.now() - started) / 1000, unparsed };
}

/**
 * Scores `test` one message after another with the default checks plus the bayes check, at
 * the default policy. The service also runs the DNS checks (SPF, DKIM, DMARC, block lists),
 * which are left out here because the evaluation sends no DNS queries.
 */
export async function scoreWithEngine(
  model: BayesModel,
  test: readonly CorpusMessage[],
): Promise<EngineRun> {
  const rules = defaultChecks.filter((check) => check.name !== 'bayes');
  const engine = new ScoringEngine([...rules, createBayesCheck(() => model)]);
  const policy = defaultPolicy().antispam!;
  const score = (message: CorpusMessage) =>
    engine.score(message.raw, {
      envelope: Envelope.fromPartial({}),
      policy,
      // The corpus files carry no receipt time, so the scoring time is used instead.
      now: new Date(),
      signal: AbortSignal.timeout(10_000),
    });
  for (const message of test.slice(0, WARMUP_MESSAGES)) await score(message);
  const results: EngineScoredMessage[] = [];
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  for (const message of test) {
    const result = await score(message);
    results.push({
      name: message.name,
      label: message.label,
      score: result.score,
      status: result.status,
      findings: result.findings.map((finding) => finding.name),
    });
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return { results, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}
