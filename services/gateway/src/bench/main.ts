/**
 * Measures the whole gateway over SMTP. The peak phase measures the rate it accepts mail at,
 * the end-of-data latency, the time until every accepted message is delivered or backed up, and
 * the CPU all of it costs. A second phase measures the latency again at half of that peak.
 * Prints a table per mode and a JSON line.
 *
 * Usage: source deploy/local/env.sh && node services/gateway/dist/bench/main.js --help
 */
import { readBenchOptions, USAGE, type BenchOptions } from './config.js';
import { runMode, type ModeReport } from './mode-run.js';
import { runReference, type ReferenceResult } from './reference.js';
import { formatMachine, formatMode, formatReference, machineFacts } from './report.js';

function log(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

/** Keeps three decimals: milliseconds to the microsecond, rates to a thousandth. */
function roundNumbers(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isInteger(value) ? Number(value.toFixed(3)) : value;
}

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

function main(): void {
  let options: BenchOptions | 'help';
  try {
    options = readBenchOptions(process.argv.slice(2), process.env);
  } catch (err) {
    // ConfigError lists every invalid value, and parseArgs names the unknown flag.
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (options === 'help') {
    console.log(USAGE);
    return;
  }
  run(options).catch((err: unknown) => {
    log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 1;
  });
}

main();
