import { escapeUnsafe } from '../text.js';

/**
 * Renders rows as a left-aligned table with a header line, two spaces between columns. Control
 * and format characters in cells are shown as escapes, so server data cannot add rows or send
 * escape sequences to the terminal.
 */
export function formatTable(headers: string[], cells: string[][]): string {
  const rows = cells.map((row) => row.map((cell) => escapeUnsafe(cell)));
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/**
 * Renders a JSON value as `path  value` lines, such as `antispam.spamThreshold  5`, with
 * control and format characters shown as escapes.
 */
export function formatKeyValues(value: unknown): string {
  const pairs: [string, string][] = [];
  flatten(value, '', pairs);
  const width = Math.max(0, ...pairs.map(([key]) => key.length));
  return pairs
    .map(([key, text]) => escapeUnsafe(`${key.padEnd(width)}  ${text}`.trimEnd()))
    .join('\n');
}

function flatten(value: unknown, path: string, pairs: [string, string][]): void {
  if (Array.isArray(value)) {
    const items = value.map((item) =>
      item !== null && typeof item === 'object' ? JSON.stringify(item) : String(item),
    );
    pairs.push([path, items.join(', ')]);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value))
      flatten(child, path === '' ? key : `${path}.${key}`, pairs);
  } else {
    pairs.push([path, String(value)]);
  }
}

/** Shortens text to `max` characters, marking the cut with an ellipsis. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** ISO time without milliseconds, or '-' when unset. */
export function formatTime(date: Date | undefined): string {
  return date === undefined ? '-' : date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Adds to `json` the false booleans of `message` that ts-proto's toJSON leaves out, at every
 * depth, so that `-o json` output states `"passed": false` instead of omitting it. `json` must
 * be the toJSON output of `message`, and it is changed in place and returned.
 */
export function withFalseBooleans<T>(json: T, message: unknown): T {
  addFalseBooleans(json, message);
  return json;
}

function addFalseBooleans(json: unknown, message: unknown): void {
  if (Array.isArray(message) && Array.isArray(json)) {
    message.forEach((item, index) => addFalseBooleans(json[index], item));
  } else if (isPlainObject(message) && isPlainObject(json)) {
    for (const [key, value] of Object.entries(message)) {
      if (value === false && !(key in json)) json[key] = false;
      else if (key in json) addFalseBooleans(json[key], value);
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    value !== null &&
    typeof value === 'object' &&
    !(value instanceof Date) &&
    !(value instanceof Uint8Array)
  );
}
