import { readBenchFlags, type EnvFlag, type EnvReader } from '@mailshield/common';
import type { PipelineMode } from '../test/harness/pipeline.js';

/** Settings of one benchmark run, from the command line or else the environment. */
export interface BenchOptions {
  modes: PipelineMode[];
  /** Concurrent SMTP sessions in the peak phase. */
  sessions: number;
  /** Messages sent in the peak phase of each mode, not counting the warm-up. */
  messages: number;
  /** Stops the peak phase after this many seconds even if messages remain (0: no limit). */
  durationSeconds: number;
  /** Messages sent and drained before the peak phase, left out of every figure. */
  warmupMessages: number;
  /** Length of the phase paced at half the peak rate. */
  pacedSeconds: number;
  /** How long to wait for every accepted message to be delivered or backed up. */
  drainTimeoutSeconds: number;
  /** Also measures Postfix smtp-source against smtp-sink on loopback. */
  reference: boolean;
}

export const USAGE = `Usage: node services/gateway/dist/bench/main.js [options]

Each option may also be given as the environment variable in brackets.
  --mode kafka|embedded|both  pipelines to measure [MAILSHIELD_BENCH_MODE] (default both)
  --sessions N       concurrent SMTP sessions in the peak phase [MAILSHIELD_BENCH_SESSIONS] (20)
  --messages N       messages per mode in the peak phase [MAILSHIELD_BENCH_MESSAGES] (2000)
  --duration S       end the peak phase after S seconds, 0 for no limit
                     [MAILSHIELD_BENCH_DURATION_SECONDS] (0)
  --warmup N         messages sent and drained first, not counted [MAILSHIELD_BENCH_WARMUP] (100)
  --paced-seconds S  length of the phase at half the peak rate [MAILSHIELD_BENCH_PACED_SECONDS] (15)
  --drain-timeout S  seconds to wait for every accepted message to be delivered or backed up
                     [MAILSHIELD_BENCH_DRAIN_TIMEOUT_SECONDS] (120)
  --reference        also run Postfix smtp-source against smtp-sink on loopback
                     [MAILSHIELD_BENCH_REFERENCE] (false)
  --help             print this text`;

/** Command-line flags and the environment variable each one overrides. */
const FLAGS: Record<string, EnvFlag> = {
  mode: { env: 'MAILSHIELD_BENCH_MODE', type: 'string' },
  sessions: { env: 'MAILSHIELD_BENCH_SESSIONS', type: 'string' },
  messages: { env: 'MAILSHIELD_BENCH_MESSAGES', type: 'string' },
  duration: { env: 'MAILSHIELD_BENCH_DURATION_SECONDS', type: 'string' },
  warmup: { env: 'MAILSHIELD_BENCH_WARMUP', type: 'string' },
  'paced-seconds': { env: 'MAILSHIELD_BENCH_PACED_SECONDS', type: 'string' },
  'drain-timeout': { env: 'MAILSHIELD_BENCH_DRAIN_TIMEOUT_SECONDS', type: 'string' },
  reference: { env: 'MAILSHIELD_BENCH_REFERENCE', type: 'boolean' },
};

/**
 * Reads the options, or returns 'help' for --help. Throws ConfigError listing every invalid
 * value, and TypeError from parseArgs for an unknown flag.
 */
export function readBenchOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions | 'help' {
  const reader = readBenchFlags(argv, env, FLAGS);
  return reader === 'help' ? 'help' : readFromEnv(reader);
}

function readFromEnv(reader: EnvReader): BenchOptions {
  const mode = reader.string('MAILSHIELD_BENCH_MODE', 'both');
  const modes: PipelineMode[] = mode === 'both' ? ['kafka', 'embedded'] : [mode as PipelineMode];
  if (!['kafka', 'embedded', 'both'].includes(mode))
    reader.problem(`MAILSHIELD_BENCH_MODE is '${mode}'; expected kafka, embedded or both`);
  const options: BenchOptions = {
    modes,
    sessions: reader.integer('MAILSHIELD_BENCH_SESSIONS', 20, 1, 1000),
    messages: reader.integer('MAILSHIELD_BENCH_MESSAGES', 2000, 1),
    durationSeconds: reader.number('MAILSHIELD_BENCH_DURATION_SECONDS', 0),
    warmupMessages: reader.integer('MAILSHIELD_BENCH_WARMUP', 100, 0),
    pacedSeconds: reader.number('MAILSHIELD_BENCH_PACED_SECONDS', 15),
    drainTimeoutSeconds: reader.number('MAILSHIELD_BENCH_DRAIN_TIMEOUT_SECONDS', 120, 1),
    reference: reader.boolean('MAILSHIELD_BENCH_REFERENCE', false),
  };
  reader.done();
  return options;
}
