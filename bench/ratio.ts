import { median, type CaseResult } from './harness.js';

/** A line of a bench table. */
export interface BenchRow {
  case: string;
  opsPerSec: number;
  /** Name of the case this one is compared with. */
  versus?: string;
  /** this ÷ versus, the median of per-round ratios. */
  ratio?: number;
  /** Minimum ratio wanted, if any. */
  target?: number;
}

/**
 * Ratio of two cases measured in the same group: the median of the
 * per-round ratios (neighbouring slices see the same machine load), which
 * is steadier than the ratio of the two medians.
 */
export function ratioOf(ours: CaseResult, base: CaseResult): number {
  const n = Math.min(ours.slices.length, base.slices.length);
  const ratios: number[] = [];
  for (let i = 0; i < n; i++) ratios.push(ours.slices[i]! / base.slices[i]!);
  return median(ratios);
}

export function row(result: CaseResult): BenchRow {
  return { case: result.name, opsPerSec: result.opsPerSec };
}

export function compared(ours: CaseResult, base: CaseResult, target?: number): BenchRow {
  const r: BenchRow = { case: ours.name, opsPerSec: ours.opsPerSec, versus: base.name, ratio: ratioOf(ours, base) };
  if (target !== undefined) r.target = target;
  return r;
}

/** Whether every row with a target met it. */
export function targetsMet(rows: readonly BenchRow[]): boolean {
  return rows.every((r) => r.target === undefined || (r.ratio ?? 0) >= r.target);
}
