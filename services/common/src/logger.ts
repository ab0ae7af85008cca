import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Creates the JSON logger of a service: one line per event on stdout, level from options. */
export function createLogger(service: string, level = 'info'): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
