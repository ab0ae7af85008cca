import type { LoadResult } from './load.js';

/** Percentiles of a latency in milliseconds. */
export interface LatencyFigures {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Measurements of the SMTP side of one load phase. */
export interface PhaseFigures {
  sent: number;
  /** Messages accepted with a 250 reply at the end of data. */
  accepted: number;
  /** Messages rejected with another reply code, with a count per reply. */
  rejected: number;
  rejections: Record<string, number>;
  /** Connections that failed without a reply. */
  failed: number;
  /** From the first connect to the last reply. */
  seconds: number;
  acceptedPerSecond: number;
  endOfDataMs: LatencyFigures;
  /** Connect, greeting and EHLO, which include smtp-server's fixed greeting delay. */
  setupMs: LatencyFigures;
  /** Whole connection, from connect to the reply to QUIT. */
  sessionMs: LatencyFigures;
  maxInFlight: number;
  lateStarts: number;
}

/** Nearest-rank percentile of sorted values; 0 for none. */
export function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil(fraction * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function latencyFigures(values: number[]): LatencyFigures {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    max: sorted.at(-1) ?? 0,
  };
}

export function phaseFigures(load: LoadResult): PhaseFigures {
  const { results } = load;
  const accepted = results.filter((result) => result.code === 250);
  const rejectedResults = results.filter((result) => result.code !== 250 && result.code !== 0);
  const rejections: Record<string, number> = {};
  for (const result of rejectedResults) {
    const key = `${result.code} ${result.text.split('\n')[0]}`;
    rejections[key] = (rejections[key] ?? 0) + 1;
  }
  const seconds = Math.max(0.001, (load.endedAt - load.startedAt) / 1000);
  return {
    sent: results.length,
    accepted: accepted.length,
    rejected: rejectedResults.length,
    rejections,
    failed: results.filter((result) => result.code === 0).length,
    seconds,
    acceptedPerSecond: accepted.length / seconds,
    endOfDataMs: latencyFigures(accepted.map((result) => result.endOfDataMs ?? 0)),
    setupMs: latencyFigures(results.filter((r) => r.code !== 0).map((r) => r.setupMs)),
    sessionMs: latencyFigures(accepted.map((result) => result.sessionMs)),
    maxInFlight: load.maxInFlight,
    lateStarts: load.lateStarts,
  };
}
