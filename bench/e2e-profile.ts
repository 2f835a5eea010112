/**
 * Summarises a V8 `.cpuprofile` (node --cpu-prof) of a pushmesh node for
 * the `e2e` bench: busy time, the leaf functions, the time per nearest
 * pushmesh function (the project frame closest to the leaf: "who asked
 * for this work"), and the SQLite share (native better-sqlite3 work or
 * its JS wrapper) by the pushmesh function that issued it.
 *
 * Usage: node dist/bench/e2e-profile.js FILE_OR_DIR [messages]
 * (with `messages`, time per message is shown too).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const file = (() => {
  const arg = process.argv[2]!;
  if (!statSync(arg).isDirectory()) return arg;
  const f = readdirSync(arg).filter((n) => n.endsWith('.cpuprofile')).sort().pop();
  if (!f) throw new Error(`no .cpuprofile in ${arg}`);
  return join(arg, f);
})();
const messages = Number(process.argv[3] ?? 0);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;

const byId = new Map<number, ProfileNode>();
const parent = new Map<number, number>();
for (const n of profile.nodes) {
  byId.set(n.id, n);
  for (const c of n.children ?? []) parent.set(c, n.id);
}
const project = (url: string): boolean => url.includes('/dist/src/') || url.includes('/dist/adapters/');
const sqliteFrame = (url: string): boolean => url.includes('better-sqlite3');
/** pushmesh files that run SQL statements (grep db.prepare). */
const SQL_FILES = /(outbox-store|status-store|held-store|replay-guard|config-store|sqlite-attachment-store|store\/database)\.js$/;
const short = (n: ProfileNode): string => {
  const { functionName, url, lineNumber } = n.callFrame;
  const where = url ? `${url.includes('/dist/') ? url.slice(url.indexOf('/dist/') + 6) : basename(url)}:${lineNumber + 1}` : '(native)';
  return `${functionName || '(anonymous)'} ${where}`;
};

const self = new Map<number, number>();
for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i]!, (self.get(profile.samples[i]!) ?? 0) + (profile.timeDeltas[i] ?? 0));

let total = 0;
let idle = 0;
const leaf = new Map<string, number>();
const nearest = new Map<string, number>();
const sqliteBy = new Map<string, number>();
let sqlite = 0;
for (const [id, us] of self) {
  total += us;
  const n = byId.get(id)!;
  if (n.callFrame.functionName === '(idle)') {
    idle += us;
    continue;
  }
  leaf.set(short(n), (leaf.get(short(n)) ?? 0) + us);
  // Walk to the root: the nearest project frame, and whether better-sqlite3 (or a native called from a store) is at the bottom.
  let near: string | null = null;
  let inSqlite = sqliteFrame(n.callFrame.url);
  let cur: number | undefined = id;
  while (cur !== undefined) {
    const f = byId.get(cur)!;
    if (!near && project(f.callFrame.url)) {
      near = short(f);
      // better-sqlite3's statement calls are native and show as the self time of the store method
      // that calls them: time whose nearest pushmesh frame is in a file that runs SQL is SQLite.
      if (SQL_FILES.test(f.callFrame.url)) inSqlite = true;
    }
    if (!near && sqliteFrame(f.callFrame.url)) inSqlite = true;
    cur = parent.get(cur);
  }
  const key = near ?? `(no pushmesh frame) ${n.callFrame.functionName || '(anonymous)'}`;
  nearest.set(key, (nearest.get(key) ?? 0) + us);
  if (inSqlite) {
    sqlite += us;
    sqliteBy.set(key, (sqliteBy.get(key) ?? 0) + us);
  }
}

const busy = total - idle;
const line = (name: string, us: number): string =>
  `| ${name} | ${(us / 1000).toFixed(0)} ms | ${((100 * us) / busy).toFixed(1)} % |${messages ? ` ${(us / messages).toFixed(1)} µs |` : ''}`;
const table = (title: string, m: Map<string, number>, top: number): void => {
  console.log(`\n#### ${title}\n\n| function | time | of busy |${messages ? ' per message |' : ''}\n|---|---:|---:|${messages ? '---:|' : ''}`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(line(k, v));
};
console.log(`${basename(file)}: ${(total / 1e6).toFixed(2)} s profiled, busy ${(busy / 1e6).toFixed(2)} s${messages ? `, ${messages} messages, ${(busy / messages).toFixed(0)} µs busy per message` : ''}`);
console.log(`SQLite (better-sqlite3, and the pushmesh store methods that call its statements): ${((100 * sqlite) / busy).toFixed(1)} % of busy`);
table('Leaf functions (self time)', leaf, 25);
table('Nearest pushmesh function (self time of everything below it)', nearest, 25);
table('SQLite time by the pushmesh function that issued it', sqliteBy, 15);
