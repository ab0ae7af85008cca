/**
 * Measures the whole gateway over SMTP. The peak phase measures the rate it accepts mail at,
 * the end-of-data latency, the time until every accepted message is delivered or backed up, and
 * the CPU all of it costs. A second phase measures the latency again at half of that peak.
 * Prints a table per mode and a JSON line.
 *
 * Usage: source deploy/local/env.sh && node services/gateway/dist/bench/main.js --help
 */
import {
  benchLog,
  formatMachine,
  machineFacts,
  roundNumbers,
  runBenchMain,
} from '@mailshield/common';
import { readBenchOptions, USAGE, type BenchOptions } from './config.js';
import { runMode, type ModeReport } from './mode-run.js';
import { runReference, type ReferenceResult } from './reference.js';
import { formatMode, formatReference } from './report.js';

const log = benchLog('bench');

async function run(options: BenchOptions): Promise<void> {
  const machine = machineFacts();
  console.log(formatMachine(machine));
  const modes: ModeReport[] = [];
  for (const mode of options.modes) {
    const report = await runMode(mode, options, log);
    modes.push(report);
    console.log(`\n${formatMode(report)}`);
  }
  let reference: ReferenceResult | undefined;
  if (options.reference) {
    log(`reference: smtp-source against smtp-sink, ${options.sessions} sessions`);
    reference = await runReference(options.sessions, options.messages);
    console.log(`\n${formatReference(reference)}`);
  }
  const result = { bench: 'mailshield-gateway', machine, options, modes, reference };
  console.log(`\n${JSON.stringify(result, roundNumbers)}`);
}

runBenchMain(
  { usage: USAGE, readOptions: readBenchOptions, run, log },
  process.argv.slice(2),
  process.env,
);
