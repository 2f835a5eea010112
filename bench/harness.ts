/**
 * Timing core for the benchmarks: cases of one group run in interleaved
 * time slices (A, B, A, B, …) so that drift in machine load hits every
 * case alike; each case reports the median of its slices.
 */

export interface BenchCase {
  name: string;
  /** One operation. Return a promise only for async cases: it is awaited. */
  fn: () => unknown;
  /** Awaits each call. Default false (a tight synchronous loop). */
  async?: boolean;
}

export interface CaseResult {
  name: string;
  /** Median over slices, operations per second. */
  opsPerSec: number;
  /** Operations per second of each slice, in order (slices line up across the cases of a group). */
  slices: number[];
}

export interface GroupOptions {
  /** Measured time for the whole group, seconds (split across cases and slices). */
  seconds: number;
  /** Warm-up per case before measuring, milliseconds. Default 300. */
  warmupMs?: number;
  /** One slice, milliseconds. Default 100. */
  sliceMs?: number;
}

const now = (): number => Number(process.hrtime.bigint()) / 1e6;

async function runSlice(c: BenchCase, ms: number): Promise<number> {
  let ops = 0;
  const start = now();
  let elapsed = 0;
  if (c.async) {
    do {
      for (let i = 0; i < 16; i++) await c.fn();
      ops += 16;
      elapsed = now() - start;
    } while (elapsed < ms);
  } else {
    do {
      for (let i = 0; i < 16; i++) c.fn();
      ops += 16;
      elapsed = now() - start;
    } while (elapsed < ms);
  }
  return (ops * 1000) / elapsed;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Measures the cases of one group, interleaved. */
export async function measureGroup(cases: readonly BenchCase[], opts: GroupOptions): Promise<CaseResult[]> {
  const sliceMs = opts.sliceMs ?? 100;
  for (const c of cases) await runSlice(c, opts.warmupMs ?? 300);
  const rounds = Math.max(3, Math.round((opts.seconds * 1000) / (sliceMs * cases.length)));
  const slices: number[][] = cases.map(() => []);
  for (let r = 0; r < rounds; r++) {
    // Alternate the order each round so no case always runs right after another.
    const order = r % 2 === 0 ? cases.map((_, i) => i) : cases.map((_, i) => cases.length - 1 - i);
    for (const i of order) slices[i]!.push(await runSlice(cases[i]!, sliceMs));
  }
  return cases.map((c, i) => ({ name: c.name, opsPerSec: median(slices[i]!), slices: slices[i]! }));
}
