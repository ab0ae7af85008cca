import { parseArgs } from 'node:util';

/** A mistake in the command line; the program prints it with a hint and exits with code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';

  constructor(
    message: string,
    /** Command path whose help the hint names, such as "backup list". */
    readonly commandPath = '',
  ) {
    super(message);
  }
}

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Placeholder in help, such as ADDRESS. */
  valueName?: string;
  description: string;
}

export interface CommandSpec {
  /** Words that select the command, such as ["backup", "list"]. */
  path: string[];
  summary: string;
  /**
   * Positional arguments, in order; every one is required, except that a last one marked
   * `repeated` takes zero or more values.
   */
  positionals: { name: string; description: string; repeated?: boolean }[];
  options: Record<string, OptionSpec>;
}

/** Options every command accepts. */
export const globalOptions: Record<string, OptionSpec> = {
  address: {
    type: 'string',
    valueName: 'HOST:PORT',
    description:
      'control plane gRPC address (default $MAILSHIELD_CONTROL_PLANE_ADDRESS or 127.0.0.1:50050)',
  },
  output: {
    type: 'string',
    short: 'o',
    valueName: 'FORMAT',
    description: 'output format: table (default) or json; policy get also takes yaml',
  },
  timeout: {
    type: 'string',
    valueName: 'SECONDS',
    description: 'deadline of each call, in seconds (default 10)',
  },
  help: { type: 'boolean', short: 'h', description: 'show help for the command' },
};

export interface ParsedCommand {
  /** Undefined when no command was given or help was asked for a command group. */
  spec: CommandSpec | undefined;
  /** Command words found, for help of a group such as "backup". */
  words: string[];
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/**
 * Parses `args` against the command table. Throws UsageError naming an unknown command,
 * an unknown option, a missing value or a missing or extra argument.
 */
export function parseCommandLine(rawArgs: string[], commands: CommandSpec[]): ParsedCommand {
  const { args, restore } = protectNegativeNumbers(rawArgs);
  const allOptions = Object.assign(
    {},
    globalOptions,
    ...commands.map((command) => command.options),
  ) as Record<string, OptionSpec>;
  const loose = parseArgs({
    args,
    options: toParseArgs(allOptions),
    strict: false,
    allowPositionals: true,
  });
  const words = selectWords(loose.positionals, commands);
  const spec = commands.find((command) => command.path.join(' ') === words.join(' '));
  if (spec === undefined) {
    if (loose.values['help'] === true || loose.positionals.length === words.length) {
      return {
        spec: undefined,
        words,
        values: { help: loose.values['help'] === true },
        positionals: [],
      };
    }
    const unknown = restore(loose.positionals[words.length]!);
    const prefix = words.length === 0 ? '' : `${words.join(' ')} `;
    throw new UsageError(`unknown command "${prefix}${unknown}"`, words.join(' '));
  }
  const strict = parseStrict(args, spec);
  const positionals = strict.positionals.slice(spec.path.length).map(restore);
  const values: ParsedCommand['values'] = {};
  for (const [name, value] of Object.entries(strict.values))
    values[name] = typeof value === 'string' ? restore(value) : (value as boolean | undefined);
  if (values['help'] !== true) checkPositionals(spec, positionals);
  return { spec, words, values, positionals };
}

/**
 * Swaps each negative number (`-3`, `-1.5`) for a placeholder, because parseArgs reads it as
 * an option: `--limit -3` would then fail with "needs a value" and `rollback -1` with
 * "unknown option -1", where the useful message is the range check of the value.
 */
function protectNegativeNumbers(args: string[]): {
  args: string[];
  restore: (value: string) => string;
} {
  const originals = new Map<string, string>();
  const protectedArgs = args.map((arg, index) => {
    if (!/^-\d+(\.\d+)?$/.test(arg)) return arg;
    const placeholder = `\u0000negative-number-${index}`;
    originals.set(placeholder, arg);
    return placeholder;
  });
  return { args: protectedArgs, restore: (value) => originals.get(value) ?? value };
}

/** Takes the leading positionals that form a command or a command group. */
function selectWords(positionals: string[], commands: CommandSpec[]): string[] {
  const words: string[] = [];
  for (const word of positionals) {
    const candidate = [...words, word].join(' ');
    if (!commands.some((command) => `${command.path.join(' ')} `.startsWith(`${candidate} `)))
      break;
    words.push(word);
    if (commands.some((command) => command.path.join(' ') === candidate)) break;
  }
  return words;
}

function parseStrict(args: string[], spec: CommandSpec): ReturnType<typeof parseArgs> {
  const options = { ...globalOptions, ...spec.options };
  try {
    return parseArgs({ args, options: toParseArgs(options), strict: true, allowPositionals: true });
  } catch (err) {
    const code = (err as { code?: string }).code;
    const message = (err as Error).message;
    const name = /'([^']+)'/.exec(message)?.[1] ?? '';
    const command = spec.path.join(' ');
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
      throw new UsageError(`unknown option ${name} for "${command}"`, command);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      throw new UsageError(`option ${name.split(',')[0]?.trim() || name} needs a value`, command);
    }
    throw new UsageError(message, command);
  }
}

function checkPositionals(spec: CommandSpec, positionals: string[]): void {
  const command = spec.path.join(' ');
  const missing = spec.positionals[positionals.length];
  if (missing !== undefined && missing.repeated !== true)
    throw new UsageError(`"${command}" needs the argument ${missing.name}`, command);
  if (spec.positionals.at(-1)?.repeated === true) return;
  if (positionals.length > spec.positionals.length) {
    throw new UsageError(
      `unexpected argument "${positionals[spec.positionals.length]}" for "${command}"`,
      command,
    );
  }
}

function toParseArgs(
  options: Record<string, OptionSpec>,
): Record<string, { type: 'string' | 'boolean'; short?: string }> {
  const converted: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, option] of Object.entries(options)) {
    converted[name] =
      option.short === undefined
        ? { type: option.type }
        : { type: option.type, short: option.short };
  }
  return converted;
}

/** Help text of one command. */
export function commandHelp(spec: CommandSpec): string {
  const args = spec.positionals.map((positional) => ` ${positional.name}`).join('');
  const lines = [
    `Usage: mailshieldctl ${spec.path.join(' ')}${args} [options]`,
    '',
    spec.summary,
    '',
  ];
  if (spec.positionals.length > 0) {
    lines.push('Arguments:');
    for (const positional of spec.positionals)
      lines.push(`  ${positional.name.padEnd(24)}${positional.description}`);
    lines.push('');
  }
  lines.push('Options:', ...optionLines(spec.options), ...optionLines(globalOptions));
  return lines.join('\n');
}

/** Help text listing every command, or the commands of one group such as "backup". */
export function overviewHelp(commands: CommandSpec[], group: string[] = []): string {
  const groupCommands = commands.filter((command) =>
    group.every((word, index) => command.path[index] === word),
  );
  const lines = [
    'Usage: mailshieldctl <command> [options]',
    '',
    'Manages the mailshield control plane.',
    '',
    'Commands:',
  ];
  for (const command of groupCommands) {
    const args = command.positionals.map((positional) => ` ${positional.name}`).join('');
    lines.push(`  ${`${command.path.join(' ')}${args}`.padEnd(28)}${command.summary}`);
  }
  lines.push(
    '',
    'Global options:',
    ...optionLines(globalOptions),
    '',
    "Run 'mailshieldctl <command> --help' for a command's options.",
    '',
    'Exit codes: 0 success, 1 the call or its input failed, 2 the command line is wrong.',
    'Errors go to stderr as text, also with -o json.',
  );
  return lines.join('\n');
}

function optionLines(options: Record<string, OptionSpec>): string[] {
  return Object.entries(options).map(([name, option]) => {
    const flags = `${option.short === undefined ? '    ' : `-${option.short}, `}--${name}${option.valueName === undefined ? '' : ` ${option.valueName}`}`;
    return `  ${flags.padEnd(28)}${option.description}`;
  });
}
