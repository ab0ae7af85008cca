import type { Measurement } from './measure.js';

/** The product goal: the antivirus' own CPU beyond the raw client's, as a share of clamd's CPU. */
export const OVERHEAD_GOAL_PERCENT = 20;

/** Throughput of one pass, per second of wall time and per CPU second. */
export interface Throughput {
  messagesPerSecond: number;
  /** Megabytes (10^6 bytes) of raw messages per second. */
  messageMBPerSecond: number;
  /** Megabytes sent to clamd per second: the raw messages and every decoded object. */
  clamdMBPerSecond: number;
  /** Messages per CPU second of this process and clamd together. */
  messagesPerCoreSecond: number;
  messageMBPerCoreSecond: number;
  /** CPU seconds per message of this process and of clamd, in milliseconds. */
  ownCpuMsPerMessage: number;
  clamdCpuMsPerMessage: number;
  /** Cores the whole machine kept busy on average, other people's work included. */
  machineCoresBusy: number;
}

export function throughput(
  measurement: Measurement,
  messages: number,
  messageBytes: number,
  clamdBytes: number,
): Throughput {
  const wall = Math.max(measurement.wallSeconds, 1e-6);
  const cpu = Math.max(measurement.ownCpuSeconds + measurement.clamdCpuSeconds, 1e-6);
  return {
    messagesPerSecond: messages / wall,
    messageMBPerSecond: messageBytes / 1e6 / wall,
    clamdMBPerSecond: clamdBytes / 1e6 / wall,
    messagesPerCoreSecond: messages / cpu,
    messageMBPerCoreSecond: messageBytes / 1e6 / cpu,
    ownCpuMsPerMessage: (measurement.ownCpuSeconds * 1000) / messages,
    clamdCpuMsPerMessage: (measurement.clamdCpuSeconds * 1000) / messages,
    machineCoresBusy: measurement.machineBusySeconds / wall,
  };
}

/** How much an antivirus pass costs beyond the raw pass on the same mix. */
export interface Overhead {
  /** Wall time of the antivirus pass divided by that of the raw pass. */
  wallRatio: number;
  /** CPU seconds of this process in the antivirus pass minus those in the raw pass. */
  extraOwnCpuSeconds: number;
  /** extraOwnCpuSeconds as a percentage of clamd's CPU seconds in the antivirus pass (the goal). */
  extraOwnCpuPercentOfClamd: number;
  /** All CPU seconds of this process in the antivirus pass, as a percentage of clamd's. */
  ownCpuPercentOfClamd: number;
  /** clamd's CPU seconds in the antivirus pass divided by those in the raw pass. */
  clamdCpuRatio: number;
  /**
   * CPU seconds of this process and clamd together beyond those of the raw pass, as a
   * percentage of clamd's in the raw pass. With the scan store this process writes the files
   * that clamd would otherwise write itself for INSTREAM, so this figure shows what the whole
   * stack pays.
   */
  extraTotalCpuPercentOfRawClamd: number;
  isGoalMet: boolean;
}

export function overhead(antivirus: Measurement, raw: Measurement): Overhead {
  const clamd = Math.max(antivirus.clamdCpuSeconds, 1e-6);
  const extra = antivirus.ownCpuSeconds - raw.ownCpuSeconds;
  const percent = (extra / clamd) * 100;
  const rawTotal = raw.ownCpuSeconds + raw.clamdCpuSeconds;
  return {
    wallRatio: antivirus.wallSeconds / Math.max(raw.wallSeconds, 1e-6),
    extraOwnCpuSeconds: extra,
    extraOwnCpuPercentOfClamd: percent,
    ownCpuPercentOfClamd: (antivirus.ownCpuSeconds / clamd) * 100,
    clamdCpuRatio: antivirus.clamdCpuSeconds / Math.max(raw.clamdCpuSeconds, 1e-6),
    extraTotalCpuPercentOfRawClamd:
      ((antivirus.ownCpuSeconds + antivirus.clamdCpuSeconds - rawTotal) /
        Math.max(raw.clamdCpuSeconds, 1e-6)) *
      100,
    isGoalMet: percent < OVERHEAD_GOAL_PERCENT,
  };
}
