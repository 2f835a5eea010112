/**
 * Replay protection (issue 11): ReplayGuard.check per message, at its
 * bounds (every new message also evicts one), against the DedupeCache it
 * replaces (one global LRU of "sender/id" keys) measured in the same group.
 * Message IDs are 22-character base64url (as newMessageId), senders
 * 52-character node IDs; both made before measuring, as a node has them
 * from the decoded message.
 *
 * Run on its own: `node dist/bench/replay-guard.js` (after `npm run build`),
 * or through bench/main.ts once `replayGuardBench` is registered there.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ReplayGuard } from '../src/inbox/replay-guard.js';
import { DedupeCache } from './dedupe-baseline.js';
import { openDatabase } from '../src/store/database.js';
import { measureGroup } from './harness.js';
import { compared, row } from './ratio.js';
import { markdownTable } from './table.js';
import type { BenchContext, BenchModule, BenchSection } from './types.js';

/** Distinct message IDs cycled through: more than any bound, so a recurring ID was evicted long before (and has a newer time). */
const IDS = 400_000;
const SENDERS = 1000;
/** Checks per operation of the cases that let the batching timer write (one event-loop turn each). */
const TURN = 256;

const ids = Array.from({ length: IDS }, () => randomBytes(16).toString('base64url'));
const nodeId = (): string => randomBytes(32).toString('hex').slice(0, 52);
const senders = Array.from({ length: SENDERS }, nodeId);

/** A guard on a clock that moves 1 ms per check, already full (maxTotal entries). */
function fullGuard(sender: (i: number) => string, opts: { db?: ReturnType<typeof openDatabase> } = {}): { check: () => unknown; guard: ReplayGuard } {
  let clock = 1_700_000_000_000;
  const guard = new ReplayGuard({ ...opts, now: () => clock });
  let i = 0;
  const check = (): unknown => {
    clock++;
    const v = guard.check(sender(i), ids[i % IDS]!, clock);
    i++;
    return v;
  };
  for (let n = 0; n < 200_000; n++) check();
  guard.flush();
  return { check, guard };
}

function fullDedupe(sender: (i: number) => string, opts: { db?: ReturnType<typeof openDatabase> } = {}): () => unknown {
  const cache = new DedupeCache(opts);
  let i = 0;
  const check = (): unknown => {
    const v = cache.check(`${sender(i)}/${ids[i % IDS]!}`);
    i++;
    return v;
  };
  for (let n = 0; n < 100_000; n++) check();
  return check;
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

async function run(ctx: BenchContext): Promise<BenchSection[]> {
  const one = senders[0]!;
  const roundRobin = (i: number): string => senders[i % SENDERS]!;
  const throwaway = Array.from({ length: IDS }, nodeId);
  const fresh = (i: number): string => throwaway[i % throwaway.length]!;

  const oneSender = fullGuard(() => one);
  const many = fullGuard(roundRobin);
  const flood = fullGuard(fresh);
  // The last SENDERS messages of a full guard, sent again (its clock stands still: they stay held).
  const held = fullGuard(roundRobin).guard;
  let r = 0;
  const replay = (): unknown => held.check(senders[r % SENDERS]!, ids[200_000 - SENDERS + (r++ % SENDERS)]!, 1_700_000_000_000 + 200_000);
  const [g1, gMany, gFlood, gDup, d1, dMany] = await measureGroup(
    [
      { name: 'ReplayGuard: new message, one sender at maxPerSender (evicts its oldest)', fn: oneSender.check },
      { name: `ReplayGuard: new message, ${SENDERS} senders round robin, at maxTotal (the largest pays)`, fn: many.check },
      { name: 'ReplayGuard: new message from a new key each time, at maxTotal (forgets a sender)', fn: flood.check },
      { name: 'ReplayGuard: replay of a held message (duplicate)', fn: replay },
      { name: 'DedupeCache: new key, one sender, full LRU', fn: fullDedupe(() => one) },
      { name: `DedupeCache: new key, ${SENDERS} senders, full LRU`, fn: fullDedupe(roundRobin) },
    ],
    { seconds: ctx.seconds },
  );

  const dir = await mkdtemp(join(tmpdir(), 'pushmesh-bench-replay-'));
  const db = openDatabase(dir);
  const dedupeDb = openDatabase(dir, 'dedupe.db');
  try {
    const disk = fullGuard(roundRobin, { db });
    const dedupeDisk = fullDedupe(roundRobin, { db: dedupeDb });
    const [gDisk, dDisk, gMem] = await measureGroup(
      [
        {
          name: `ReplayGuard with SQLite file: ${TURN} new messages per event-loop turn, ${SENDERS} senders, full`,
          async: true,
          fn: async () => {
            for (let n = 0; n < TURN; n++) disk.check();
            await turn();
          },
        },
        {
          name: `DedupeCache with SQLite file: the same ${TURN} per turn`,
          async: true,
          fn: async () => {
            for (let n = 0; n < TURN; n++) dedupeDisk();
            await turn();
          },
        },
        {
          name: `ReplayGuard in memory: the same ${TURN} per turn`,
          async: true,
          fn: async () => {
            for (let n = 0; n < TURN; n++) many.check();
            await turn();
          },
        },
      ],
      { seconds: ctx.seconds / 2 },
    );
    disk.guard.close();
    const perCheck = (x: { opsPerSec: number }): string => ((1e9 / x.opsPerSec) / TURN).toFixed(0);
    return [
      {
        title: 'Replay protection: ReplayGuard.check (in memory) vs the DedupeCache it replaces',
        rows: [compared(g1!, d1!), compared(gMany!, dMany!), row(gFlood!), row(gDup!), row(d1!), row(dMany!)],
        notes: ['Every ReplayGuard case runs at its bounds (200 000 entries, 50 000 per sender): each new message also evicts one entry and raises a floor.'],
      },
      {
        title: 'Replay protection on disk (one transaction per event-loop turn)',
        rows: [compared(gDisk!, dDisk!), row(dDisk!), row(gMem!)],
        notes: [
          `Per check: ${perCheck(gDisk!)} ns with the SQLite file (ReplayGuard at its bounds writes an insert, a delete and a floor row per message), ${perCheck(dDisk!)} ns for DedupeCache (an insert), ${perCheck(gMem!)} ns in memory.`,
        ],
      },
    ];
  } finally {
    db.close();
    dedupeDb.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export const replayGuardBench: BenchModule = { name: 'replay-guard', run };

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const seconds = Number(process.env['BENCH_SECONDS'] ?? 4);
  const ctx: BenchContext = { seconds, log: (line) => process.stderr.write(`${line}\n`) };
  for (const section of await run(ctx)) {
    console.log(`### ${section.title}\n\n${markdownTable(section.rows)}\n`);
    for (const note of section.notes ?? []) console.log(`${note}\n`);
  }
}
