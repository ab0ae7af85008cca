/**
 * Measures the antivirus scan against clamd on corpus messages with attachments: the
 * throughput of scanMessage, with the scan store (SCAN by path) and without it (INSTREAM), and
 * of the same bytes sent straight to clamd. Prints a table and the project's overhead over
 * raw clamd, and writes JSON with --json.
 *
 * Usage: source deploy/local/env.sh && node services/antivirus/dist/bench/main.js --help
 */
import { writeFile } from 'node:fs/promises';
import { benchLog, roundNumbers, runBenchMain } from '@mailshield/common';
import { runBench, type BenchResult } from './bench-run.js';
import { readAvBenchOptions, USAGE, type AvBenchOptions } from './config.js';
import { formatHeader, formatMix, formatPasses } from './report.js';

const log = benchLog('bench-antivirus');

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

runBenchMain(
  { usage: USAGE, readOptions: readAvBenchOptions, run, log },
  process.argv.slice(2),
  process.env,
);
