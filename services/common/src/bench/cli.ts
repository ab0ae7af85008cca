// The command line of a benchmark: flags that override environment variables, progress lines
// on stderr, and the main function that reads the options and runs it.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EnvReader } from '../env.js';

/** A command-line flag and the environment variable it overrides. */
export interface EnvFlag {
  env: string;
  type: 'string' | 'boolean';
}

/**
 * Parses a benchmark's command line, in which every flag but --help overrides an environment
 * variable. Returns 'help' for --help, else an EnvReader over `env` with the given flags put
 * in. Throws TypeError from parseArgs for an unknown flag or a missing value.
 */
export function readBenchFlags(
  argv: string[],
  env: NodeJS.ProcessEnv,
  flags: Record<string, EnvFlag>,
): EnvReader | 'help' {
  const options: NonNullable<ParseArgsConfig['options']> = { help: { type: 'boolean' } };
  for (const [flag, { type }] of Object.entries(flags)) options[flag] = { type };
  const { values } = parseArgs({ args: argv, strict: true, options });
  if (values.help === true) return 'help';
  const merged: NodeJS.ProcessEnv = { ...env };
  for (const [flag, { env: name }] of Object.entries(flags)) {
    const value = values[flag];
    if (value !== undefined) merged[name] = String(value);
  }
  return new EnvReader(merged);
}

/** Returns a function that writes a progress line, with the time and `name`, to stderr. */
export function benchLog(name: string): (line: string) => void {
  return (line) => {
    process.stderr.write(`[${name} ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  };
}

/** The parts of a benchmark that runBenchMain calls: usage text, option reader, run and log. */
export interface BenchMain<Options> {
  usage: string;
  /**
   * Reads the options, or returns 'help' for --help. Throws when an option is invalid, with a
   * message that names it.
   */
  readOptions(argv: string[], env: NodeJS.ProcessEnv): Options | 'help';
  run(options: Options): Promise<void>;
  log(line: string): void;
}

/**
 * Reads the options from `argv` and `env` and runs the benchmark. Prints the usage for --help.
 * Exits with status 2 after the error and the usage when an option is invalid, and sets exit
 * status 1 when the run fails.
 */
export function runBenchMain<Options>(
  bench: BenchMain<Options>,
  argv: string[],
  env: NodeJS.ProcessEnv,
): void {
  let options: Options | 'help';
  try {
    options = bench.readOptions(argv, env);
  } catch (err) {
    // ConfigError lists every invalid value, and parseArgs names the unknown flag.
    process.stderr.write(`${(err as Error).message}\n\n${bench.usage}\n`);
    process.exit(2);
  }
  if (options === 'help') {
    console.log(bench.usage);
    return;
  }
  bench.run(options).catch((err: unknown) => {
    bench.log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 1;
  });
}
