import type { BenchRow } from './ratio.js';

const fmtOps = (n: number): string => Math.round(n).toLocaleString('en-US');
const fmtUs = (opsPerSec: number): string => (1e6 / opsPerSec).toFixed(1);

/** A markdown table of bench rows. */
export function markdownTable(rows: readonly BenchRow[]): string {
  const lines = ['| case | ops/s | µs/op | compared with | ratio | target |', '|---|---:|---:|---|---:|---|'];
  for (const r of rows) {
    const ratio = r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}×`;
    const target = r.target === undefined ? '' : `≥ ${r.target}× ${(r.ratio ?? 0) >= r.target ? '✅' : '❌ missed'}`;
    lines.push(`| ${r.case} | ${fmtOps(r.opsPerSec)} | ${fmtUs(r.opsPerSec)} | ${r.versus ?? ''} | ${ratio} | ${target} |`);
  }
  return lines.join('\n');
}
