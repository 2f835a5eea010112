import type { CliContext } from './context.js';

/** `--json`: the value as the local API gave it, pretty-printed, one document. */
export function printJson(ctx: CliContext, value: unknown): void {
  ctx.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** Rows under a header, in columns two spaces apart (the last column not padded). */
export function printTable(ctx: CliContext, header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  for (const row of [header, ...rows]) {
    ctx.stdout.write(row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd() + '\n');
  }
}

/** `name  value` lines, names aligned: one object for people. */
export function printFields(ctx: CliContext, fields: readonly (readonly [string, string])[]): void {
  const width = Math.max(...fields.map(([k]) => k.length));
  for (const [k, v] of fields) ctx.stdout.write(`${k.padEnd(width)}  ${v}\n`);
}

/** Unix ms as an ISO 8601 UTC time; `-` for none. */
export function timeText(ms: number | null | undefined): string {
  return typeof ms === 'number' && Number.isFinite(ms) ? new Date(ms).toISOString() : '-';
}
