/**
 * Rounds fractional numbers to three decimals, as a JSON.stringify replacer for benchmark
 * results: milliseconds to the microsecond, seconds to the millisecond, rates to a thousandth.
 * Integers stay as they are.
 */
export function roundNumbers(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isInteger(value) ? Number(value.toFixed(3)) : value;
}
