import { formatMachine, type MachineFacts } from '@mailshield/common';
import { OVERHEAD_GOAL_PERCENT, type Overhead, type Throughput } from './figures.js';
import type { Measurement } from './measure.js';
import { MIX_KINDS, type KindSummary, type MixKind } from './mix.js';

/** Figures of one timed pass. */
export interface PassReport {
  name: 'raw' | 'antivirus-store' | 'antivirus-instream';
  messages: number;
  messageBytes: number;
  /** Objects and bytes the antivirus sends clamd for this copy, rebuilt without clamd. */
  objects: number;
  objectBytes: number;
  measurement: Measurement;
  throughput: Throughput;
  /** One line on the results: statuses of the messages, or the clamd replies of the raw pass. */
  results: string;
  /** Set when something went wrong that makes the figures doubtful. */
  warning: string | undefined;
  /** Antivirus passes only: the cost beyond the raw pass. */
  overhead: Overhead | undefined;
}

const PASS_TITLES: Record<PassReport['name'], string> = {
  raw: 'raw clamd',
  'antivirus-store': 'antivirus, SCAN',
  'antivirus-instream': 'antivirus, INSTREAM',
};

const KIND_TITLES: Record<MixKind, string> = {
  corpus: 'corpus message as it is',
  zip: '+ zip of deflated text',
  pdf: '+ PDF (text and image)',
  binary: '+ random octet-stream',
};

export function formatHeader(
  machine: MachineFacts,
  clamd: { address: string; pid: number }[],
): string {
  const endpoints = clamd.map((item) => `${item.address} (pid ${item.pid})`);
  return [formatMachine(machine), `clamd: ${endpoints.join(', ')}`].join('\n');
}

export function formatMix(
  summary: Record<MixKind, KindSummary>,
  seed: string,
  repeatedObjects: number,
): string {
  const kb = (bytes: number) => `${(bytes / 1000).toFixed(1)} KB`;
  const lines = MIX_KINDS.map((kind) => {
    const item = summary[kind];
    const title = KIND_TITLES[kind].padEnd(26);
    const count = String(item.count).padStart(5);
    const attachment = kind === 'corpus' ? '' : `, attachment mean ${kb(item.meanAttachmentBytes)}`;
    return `  ${title} ${count}  message mean ${kb(item.meanMessageBytes)}${attachment}`;
  });
  const repeats =
    repeatedObjects === 0
      ? 'every object sent to clamd was new'
      : `${repeatedObjects} objects sent to clamd were NOT new (clamd may have cached them)`;
  return [`mix (seed '${seed}'), per pass:`, ...lines, `  ${repeats}`].join('\n');
}

type Row = [label: string, value: (pass: PassReport) => string];

const THROUGHPUT_ROWS: Row[] = [
  ['messages / MB', (p) => `${p.messages} / ${mb(p.messageBytes)}`],
  ['objects / MB to clamd', (p) => `${p.objects} / ${mb(p.objectBytes)}`],
  ['wall seconds', (p) => p.measurement.wallSeconds.toFixed(2)],
  ['messages/s', (p) => p.throughput.messagesPerSecond.toFixed(1)],
  ['MB/s of messages', (p) => p.throughput.messageMBPerSecond.toFixed(2)],
  ['MB/s to clamd', (p) => p.throughput.clamdMBPerSecond.toFixed(2)],
  ['CPU s: this process', (p) => p.measurement.ownCpuSeconds.toFixed(2)],
  ['CPU s: clamd', (p) => p.measurement.clamdCpuSeconds.toFixed(2)],
  ['CPU ms/message: process', (p) => p.throughput.ownCpuMsPerMessage.toFixed(2)],
  ['CPU ms/message: clamd', (p) => p.throughput.clamdCpuMsPerMessage.toFixed(2)],
  ['messages/s per core', (p) => p.throughput.messagesPerCoreSecond.toFixed(1)],
  ['MB/s per core', (p) => p.throughput.messageMBPerCoreSecond.toFixed(2)],
  ['machine cores busy', (p) => p.throughput.machineCoresBusy.toFixed(2)],
];

const OVERHEAD_ROWS: Row[] = [
  ['OVERHEAD OVER RAW', () => ''],
  ['wall time ratio', (p) => optional(p.overhead?.wallRatio.toFixed(2))],
  ['process CPU s beyond raw', (p) => optional(p.overhead?.extraOwnCpuSeconds.toFixed(2))],
  [
    `  % of clamd CPU (goal < ${OVERHEAD_GOAL_PERCENT}%)`,
    (p) => optional(p.overhead && percent(p.overhead.extraOwnCpuPercentOfClamd)),
  ],
  ['  goal', (p) => optional(p.overhead && (p.overhead.isGoalMet ? 'met' : 'NOT met'))],
  [
    'all process CPU, % of clamd',
    (p) => optional(p.overhead && percent(p.overhead.ownCpuPercentOfClamd)),
  ],
  ['clamd CPU ratio to raw', (p) => optional(p.overhead?.clamdCpuRatio.toFixed(2))],
  [
    'all CPU beyond raw, % of raw clamd',
    (p) => optional(p.overhead && percent(p.overhead.extraTotalCpuPercentOfRawClamd)),
  ],
];

/** Formats the passes side by side, then the overhead of each antivirus pass. */
export function formatPasses(passes: PassReport[]): string {
  const header = ['', ...passes.map((pass) => PASS_TITLES[pass.name])];
  const rows = [...THROUGHPUT_ROWS, ...OVERHEAD_ROWS];
  const table = [header, ...rows.map(([label, value]) => [label, ...passes.map(value)])];
  const widths = header.map((_, column) => Math.max(...table.map((row) => row[column]!.length)));
  const lines = table.map((row) =>
    row
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[column]!),
      )
      .join('  '),
  );
  const notes = passes.flatMap((pass) => [
    `${PASS_TITLES[pass.name]}: ${pass.results}`,
    ...(pass.warning === undefined ? [] : [`  WARNING: ${pass.warning}`]),
  ]);
  return [...lines, '', ...notes].join('\n');
}

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

function percent(value: number): string {
  return `${value.toFixed(1)}%`;
}

function optional(value: string | undefined): string {
  return value ?? '-';
}
