import type { BenchRow } from './ratio.js';

/** What every bench module gets. */
export interface BenchContext {
  /** Scale factor for measured time: seconds per comparison group (env BENCH_SECONDS, default 4). */
  seconds: number;
  /** Progress lines go here (stderr), the tables to stdout. */
  log: (line: string) => void;
}

export interface BenchSection {
  title: string;
  rows: BenchRow[];
  notes?: string[];
}

/** One area's benchmarks (crypto, transports, …), registered in bench/main.ts. */
export interface BenchModule {
  name: string;
  run(ctx: BenchContext): Promise<BenchSection[]>;
}
