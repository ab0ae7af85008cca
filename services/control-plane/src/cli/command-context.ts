import { userInfo, hostname } from 'node:os';
import { UsageError, type CommandSpec } from './args.js';
import type { ControlPlaneClients } from './client.js';

/** Context of one command run: its clients, its parsed options and its output streams. */
export interface CommandContext {
  clients: ControlPlaneClients;
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  isJson: boolean;
  /** The -o format: table, json, or yaml for commands with `yamlOutput`. */
  output: 'table' | 'json' | 'yaml';
  print(text: string): void;
  write(data: Uint8Array): void;
}

export interface Command extends CommandSpec {
  /** True when the command also prints YAML (-o yaml). */
  yamlOutput?: boolean;
  run(context: CommandContext): Promise<void>;
}

export const actorOption = {
  type: 'string' as const,
  valueName: 'NAME',
  description: 'who makes the change, for the audit trail (default user@host)',
};

export function actorOf(values: CommandContext['values']): string {
  return typeof values['actor'] === 'string' ? values['actor'] : `${localUser()}@${hostname()}`;
}

/**
 * Names the user running the CLI. A user id without a passwd entry, as in containers that
 * run under an arbitrary id, has no name, so the id is used instead.
 */
export function localUser(readUser: () => { username: string } = userInfo): string {
  try {
    return readUser().username;
  } catch {
    return `uid-${process.getuid?.() ?? 'unknown'}`;
  }
}

/** Returns the value of a string option, or '' when the option is not given. */
export function stringOption(values: CommandContext['values'], name: string): string {
  const value = values[name];
  return typeof value === 'string' ? value : '';
}

/**
 * Parses a whole-number option of at least `min`, or returns undefined when it is not given.
 * Throws UsageError naming the option for anything else, negative numbers included.
 */
export function parseCount(
  value: string | boolean | undefined,
  option: string,
  command: string,
  min = 1,
): number | undefined {
  if (typeof value !== 'string') return undefined;
  if (!/^\d{1,15}$/.test(value) || Number(value) < min) {
    throw new UsageError(
      `${option} must be a whole number of ${min} or more, not "${value}"`,
      command,
    );
  }
  return Number(value);
}
