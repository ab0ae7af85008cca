/** Renders rows as a left-aligned table with a header line, two spaces between columns. */
export function formatTable(headers: string[], rows: string[][]): string {
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

/** Renders a JSON value as `path  value` lines, such as `antispam.spamThreshold  5`. */
export function formatKeyValues(value: unknown): string {
  const pairs: [string, string][] = [];
  flatten(value, '', pairs);
  const width = Math.max(0, ...pairs.map(([key]) => key.length));
  return pairs.map(([key, text]) => `${key.padEnd(width)}  ${text}`.trimEnd()).join('\n');
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
