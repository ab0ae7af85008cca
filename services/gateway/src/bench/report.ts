import { MACHINE_GROUP } from './cpu.js';
import type { LatencyFigures, PhaseFigures } from './figures.js';
import type { CpuFigures, DrainFigures, ModeReport } from './mode-run.js';
import type { ReferenceResult } from './reference.js';

/** The product target for the end-of-data p99 at half of the peak rate. */
export const P99_TARGET_MS = 100;

const MODE_TITLES = {
  kafka: 'four service processes on Kafka and PostgreSQL',
  embedded: 'one-process gateway on the on-disk journal',
};

/** Formats one mode's figures as a readable table. */
export function formatMode(report: ModeReport): string {
  const rows = [...peakRows(report), ...cpuRows(report.cpu), ...pacedRows(report)];
  rows.push(['duplicates at next hop', String(report.duplicates)]);
  if (report.partsNotFound.length > 0)
    rows.push(['CPU not measured for', report.partsNotFound.join(', ')]);
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`);
  return [`${report.mode} mode: ${MODE_TITLES[report.mode]}`, ...lines].join('\n');
}

function peakRows({ mix, warmup, peak, peakDrain }: ModeReport): [string, string][] {
  const kb = (bytes: number) => `${(bytes / 1000).toFixed(1)} KB`;
  return [
    [
      'mix',
      `${mix.text.count} text of ${kb(mix.text.meanBytes)}, ` +
        `${mix.attachment.count} with attachment of ${kb(mix.attachment.meanBytes)}, ` +
        `${mix.eicar.count} EICAR`,
    ],
    [
      'warm-up (not counted)',
      `${warmup.sent} sent, ${warmup.accepted} accepted, ` +
        (warmup.drained ? 'drained' : 'NOT drained'),
    ],
    ['PEAK: closed loop', `${peak.maxInFlight} sessions, one connection per message`],
    ...smtpRows(peak),
    ...drainRows(peakDrain),
    ['end-to-end throughput', `${peakDrain.endToEndPerSecond.toFixed(1)} msg/s`],
  ];
}

function cpuRows(cpu: CpuFigures): [string, string][] {
  const byProcess = Object.entries(cpu.seconds)
    .filter(([name]) => name !== MACHINE_GROUP)
    .map(([name, value]) => `${name} ${value.toFixed(1)}`);
  const busy = [cpu.coresBusyGateway, cpu.coresBusyStack, cpu.coresBusyMachine];
  return [
    ['CPU seconds by process', byProcess.join(', ')],
    [
      'CPU seconds: gateway / stack',
      `${cpu.gatewaySeconds.toFixed(1)} / ${cpu.stackSeconds.toFixed(1)} ` +
        `over ${cpu.windowSeconds.toFixed(1)} s`,
    ],
    ['cores busy: gateway / stack / machine', busy.map((cores) => cores.toFixed(2)).join(' / ')],
    [
      'msg/s per core: gateway / stack',
      `${cpu.perCoreGateway.toFixed(1)} / ${cpu.perCoreStack.toFixed(1)}`,
    ],
  ];
}

function pacedRows({ paced, pacedDrain, pacedTargetPerSecond }: ModeReport): [string, string][] {
  const meetsTarget = paced.endOfDataMs.p99 < P99_TARGET_MS ? 'met' : 'MISSED';
  return [
    [
      'PACED: open loop',
      `${pacedTargetPerSecond.toFixed(1)} msg/s, half the lower of SMTP and end-to-end peak`,
    ],
    ...smtpRows(paced),
    ['p99 end of data target', `< ${P99_TARGET_MS} ms: ${meetsTarget}`],
    ['late starts / most open', `${paced.lateStarts} / ${paced.maxInFlight}`],
    ...drainRows(pacedDrain),
  ];
}

function smtpRows(phase: PhaseFigures): [string, string][] {
  const rows: [string, string][] = [
    [
      'sent / accepted / rejected / failed',
      `${phase.sent} / ${phase.accepted} / ${phase.rejected} / ${phase.failed}`,
    ],
    [
      'accepted at SMTP',
      `${phase.acceptedPerSecond.toFixed(1)} msg/s over ${phase.seconds.toFixed(1)} s`,
    ],
    ['end of data p50/p95/p99/max', latency(phase.endOfDataMs)],
    ['connect to EHLO reply p50/p95/p99/max', latency(phase.setupMs)],
    ['whole connection p50/p95/p99/max', latency(phase.sessionMs)],
  ];
  for (const [reply, count] of Object.entries(phase.rejections))
    rows.push([`  rejected ${count}x`, reply]);
  return rows;
}

function drainRows(drain: DrainFigures): [string, string][] {
  const state = drain.drained ? 'drained' : `NOT drained, ${drain.missing} missing`;
  return [
    [
      'delivered + backed up',
      `${drain.delivered} + ${drain.backedUp}, ${state} after ${drain.seconds.toFixed(1)} s`,
    ],
    ['drain lag after last reply', `${drain.lagSeconds.toFixed(1)} s`],
    [
      'EICAR delivered',
      `${drain.eicarDelivered}${drain.eicarDelivered > 0 ? ' (scanning FAILED)' : ''}`,
    ],
  ];
}

function latency(figures: LatencyFigures): string {
  const values = [figures.p50, figures.p95, figures.p99, figures.max].map((value) =>
    value.toFixed(1),
  );
  return `${values.join(' / ')} ms`;
}

export function formatReference(reference: ReferenceResult): string {
  const rates = Object.entries(reference.ratePerBytes)
    .map(([bytes, rate]) => `${Number(bytes) / 1000} KB ${rate.toFixed(0)} msg/s`)
    .join(', ');
  return (
    `loopback reference, Postfix smtp-source to smtp-sink, ${reference.sessions} sessions, ` +
    `one connection per message, ${reference.messagesPerSize} messages per size: ${rates}`
  );
}
