/**
 * Measures the antivirus scan against clamd on corpus messages with attachments: the
 * throughput of scanMessage, with the scan store (SCAN by path) and without it (INSTREAM), and
 * of the same bytes sent straight to clamd. Prints a table and the project's overhead over
 * raw clamd, and writes JSON with --json.
 *
 * Usage: source deploy/local/env.sh && node services/antivirus/dist/bench/main.js --help
 */
import { writeFile } from 'node:fs/promises';
import { runBench, type BenchResult } from './bench-run.js';
import { readAvBenchOptions, USAGE, type AvBenchOptions } from './config.js';
import { formatHeader, formatMix, formatPasses } from './report.js';

function log(line: string): void {
  process.stderr.write(`[bench-antivirus ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

/** Keeps three decimals: seconds to the millisecond, rates to a thousandth. */
function roundNumbers(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isInteger(value) ? Number(value.toFixed(3)) : value;
}

async function run(options: AvBenchOptions): Promise<void> {
  const result: BenchResult = await runBench(options, log);
  console.log(formatHeader(result.machine, result.clamd));
  console.log(`\n${formatMix(result.mix, options.seed, result.repeatedObjects)}`);
  console.log(`\n${formatPasses(result.passes)}`);
  if (options.jsonFile !== undefined) {
    await writeFile(options.jsonFile, `${JSON.stringify(result, roundNumbers, 2)}\n`);
    log(`wrote ${options.jsonFile}`);
  }
}

function main(): void {
  let options: AvBenchOptions | 'help';
  try {
    options = readAvBenchOptions(process.argv.slice(2), process.env);
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
