import { hostname } from 'node:os';
import { ConfigError } from './errors.js';

/**
 * Reads typed settings from the environment, collecting every problem so a start-up failure
 * lists them all at once. Call `done()` after the last read: it throws `ConfigError` if any
 * value was invalid.
 */
export class EnvReader {
  private readonly problems: string[] = [];

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  string(name: string, fallback: string): string {
    const value = this.env[name];
    return value === undefined || value === '' ? fallback : value;
  }

  optionalString(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value === '' ? undefined : value;
  }

  list(name: string, fallback: string[]): string[] {
    const value = this.env[name];
    if (value === undefined) return fallback;
    return value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  }

  integer(name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      this.problems.push(`${name}=${raw} is invalid: expected an integer from ${min} to ${max}`);
      return fallback;
    }
    return value;
  }

  number(name: string, fallback: number, min = 0): number {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min) {
      this.problems.push(`${name}=${raw} is invalid: expected a number of at least ${min}`);
      return fallback;
    }
    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    if (['1', 'true', 'yes'].includes(raw.toLowerCase())) return true;
    if (['0', 'false', 'no'].includes(raw.toLowerCase())) return false;
    this.problems.push(`${name}=${raw} is invalid: expected true or false`);
    return fallback;
  }

  /** Reads `host:port`; a bare port means 127.0.0.1. */
  address(name: string, fallback: string): HostPort {
    const raw = this.string(name, fallback);
    const parsed = parseHostPort(raw);
    if (parsed === undefined) {
      this.problems.push(`${name}=${raw} is invalid: expected host:port`);
      return parseHostPort(fallback) ?? { host: '127.0.0.1', port: 0 };
    }
    return parsed;
  }

  optionalAddress(name: string): HostPort | undefined {
    const raw = this.optionalString(name);
    if (raw === undefined) return undefined;
    const parsed = parseHostPort(raw);
    if (parsed === undefined) this.problems.push(`${name}=${raw} is invalid: expected host:port`);
    return parsed;
  }

  /** Records a problem found by the caller's own checks. */
  problem(message: string): void {
    this.problems.push(message);
  }

  done(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}

export interface HostPort {
  host: string;
  port: number;
}

/** Parses `host:port`, `[v6]:port` or a bare port (meaning 127.0.0.1). */
export function parseHostPort(text: string): HostPort | undefined {
  const match =
    /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text.trim()) ?? /^()()(\d{1,5})$/.exec(text.trim());
  if (match === null) return undefined;
  const port = Number(match[3]);
  if (port > 65535) return undefined;
  const host = match[1] ?? match[2] ?? '';
  return { host: host === '' ? '127.0.0.1' : host, port };
}

export function formatHostPort(address: HostPort): string {
  return address.host.includes(':')
    ? `[${address.host}]:${address.port}`
    : `${address.host}:${address.port}`;
}

/** Name of this process instance in logs, outcomes and consumer groups. */
export function defaultInstanceName(service: string): string {
  return `${service}-${hostname()}`;
}
