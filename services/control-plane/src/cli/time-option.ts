import { UsageError } from './args.js';

const unitMs: Record<string, number> = {
  s: 1000,
  m: 60 * 1000,
  h: 60 * 60 * 1000,
  d: 24 * 60 * 60 * 1000,
  w: 7 * 24 * 60 * 60 * 1000,
};

/**
 * Parses a time option: an ISO 8601 time such as 2024-05-01 or 2024-05-01T10:00:00Z, or a
 * span back from `now` such as 90m, 24h or 7d. Throws UsageError naming `option`.
 */
export function parseTimeOption(
  value: string | boolean | undefined,
  option: string,
  command: string,
  now = new Date(),
): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const relative = /^(\d{1,9})([smhdw])$/.exec(value);
  if (relative !== null)
    return new Date(now.getTime() - Number(relative[1]) * unitMs[relative[2]!]!);
  const isIsoLike =
    /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(value);
  const time = isIsoLike ? new Date(value) : undefined;
  if (time === undefined || Number.isNaN(time.getTime())) {
    throw new UsageError(
      `${option} must be an ISO time such as 2024-05-01T10:00:00Z or a span back from now ` +
        `such as 30m, 24h or 7d, not "${value}"`,
      command,
    );
  }
  return time;
}
