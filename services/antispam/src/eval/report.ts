import { formatMachine, type MachineFacts } from '@mailshield/common';
import type { Figures } from './metrics.js';

export interface PartCounts {
  ham: number;
  spam: number;
}

export interface SpeedFigures {
  messages: number;
  seconds: number;
  messagesPerSecond: number;
}

export interface EvalResult {
  machine: MachineFacts;
  split: { description: string; training: PartCounts; test: PartCounts };
  mailshield: {
    model: { spamMessages: number; hamMessages: number; tokens: number; learnSeconds: number };
    /** Training messages the MIME parser rejected. */
    unparsedTraining: string[];
    figures: Figures[];
    /** One event loop, so messages per second is the rate of one core. */
    speed: SpeedFigures & { cpuSeconds: number; messagesPerCpuSecond: number };
  };
  spamassassin:
    | {
        version: string;
        children: number;
        learnSeconds: number;
        figures: Figures[];
        speed: SpeedFigures;
      }
    | { skipped: string };
}

function percent(part: number, whole: number): string {
  return `${whole === 0 ? '0.00' : ((100 * part) / whole).toFixed(2)}% (${part}/${whole})`;
}

/** Formats a table of figures, one line per rule. */
export function formatFigures(figures: readonly Figures[]): string {
  const lines = [
    `  ${'flagged when'.padEnd(30)} ${'spam recall'.padEnd(20)} ${'ham flagged'.padEnd(18)} precision`,
  ];
  for (const row of figures) {
    lines.push(
      `  ${row.rule.padEnd(30)} ${percent(row.spamFlagged, row.spam).padEnd(20)} ` +
        `${percent(row.hamFlagged, row.ham).padEnd(18)} ${(100 * row.precision).toFixed(2)}%`,
    );
  }
  return lines.join('\n');
}

function formatOurs(result: EvalResult): string {
  const ours = result.mailshield;
  const speed = ours.speed;
  return [
    `mailshield: default checks + bayes, default policy (spam >= 5, probable_spam >= 3); ` +
      `Bayes learned ${ours.model.spamMessages} spam and ${ours.model.hamMessages} ham, ` +
      `${ours.model.tokens} tokens, in ${ours.model.learnSeconds.toFixed(1)} s`,
    formatFigures(ours.figures),
    `  speed: ${speed.messages} messages in ${speed.seconds.toFixed(2)} s = ` +
      `${speed.messagesPerSecond.toFixed(0)} messages/s on one event loop ` +
      `(${speed.messagesPerCpuSecond.toFixed(0)} per CPU-second, all threads)`,
  ].join('\n');
}

function formatSpamAssassin(result: EvalResult): string {
  const sa = result.spamassassin;
  if ('skipped' in sa) return `SpamAssassin: skipped (${sa.skipped})`;
  return [
    `SpamAssassin ${sa.version}: local tests only, Bayes learned with sa-learn on the ` +
      `training part in ${sa.learnSeconds.toFixed(1)} s, default threshold 5`,
    formatFigures(sa.figures),
    `  speed: ${sa.speed.messages} messages in ${sa.speed.seconds.toFixed(1)} s = ` +
      `${sa.speed.messagesPerSecond.toFixed(1)} messages/s with ${sa.children} spamd children`,
  ].join('\n');
}

/** Formats the whole report as printed. */
export function formatReport(result: EvalResult): string {
  const { training, test } = result.split;
  return [
    formatMachine(result.machine),
    `split: ${result.split.description}`,
    `  training: ${training.ham} ham, ${training.spam} spam; test: ${test.ham} ham, ${test.spam} spam`,
    '',
    formatOurs(result),
    '',
    formatSpamAssassin(result),
  ].join('\n');
}
