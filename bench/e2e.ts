/**
 * End to end between processes (issue 14): what users run. Two
 * `pushmesh run` processes, A and B (own temporary homes, loopback ports),
 * a load generator process (bench/e2e-load.ts) sending 1 KiB JSON
 * messages to A's local API for B, and one SSE reader on B (this process)
 * that counts every arrival, checks order per sender and measures the
 * latency POST sent → SSE event read (the send time is in the payload).
 *
 * Paths: A linked to B over gRPC (`--peer grpcs://B@…`), and A knowing B's
 * card only (HTTPS Web Push). Each throughput is a ratio to the raw crypto
 * bound measured in the same run, with the nodes started and idle:
 * min(encrypt/s, decrypt/s) on one core (A only encrypts, B only decrypts).
 * CPU per message of A, B, the load generator and the reader comes from
 * /proc/<pid>/stat (utime + stime), so each figure says where the time went.
 *
 * The bench fails when a message answered 202 does not arrive, arrives
 * twice, or arrives out of order for its sender.
 *
 * Env: BENCH_E2E_CPU_PROF=DIR runs A and B with `--cpu-prof` (profiles in
 * DIR/a, DIR/b, written when they stop; summarise with
 * `node dist/bench/e2e-profile.js DIR/a`); BENCH_E2E_STRACE=1 counts the
 * system calls of A and B per message over each measured run (`strace -c
 * -f`, which slows them down: for counting, not for speed);
 * BENCH_E2E_CASES=link-post,… limits the cases (names in CASES below,
 * and `link-single`).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request, type IncomingMessage } from 'node:http';
import { rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PeerStore } from '../src/identity/index.js';
import { spawnNode, type NodeProcess } from '../test/helpers/node-process.js';
import { rawDecrypt, rawEncrypt } from './crypto.js';
import type { LoadReport, LoadSpec } from './e2e-load.js';
import { measureGroup } from './harness.js';
import type { BenchRow } from './ratio.js';
import type { BenchContext, BenchModule, BenchSection } from './types.js';

const LOAD_SCRIPT = fileURLToPath(new URL('./e2e-load.js', import.meta.url));
const TOPIC = 'perf';
const CLK_TCK = 100; // sysconf(_SC_CLK_TCK) on Linux (getconf CLK_TCK)
const nowNs = (): number => Number(process.hrtime.bigint());
const load = (): string => loadavg().map((v) => v.toFixed(2)).join(', ');

interface CaseSpec {
  name: string;
  label: string;
  mode: LoadSpec['mode'];
  connections: number;
  batch: number;
  window: number;
  target?: number;
}

/** The cases of one path (link or https). */
/** link: A dials B over gRPC; wss: A dials B over a WebSocket link; https: no link, A holds B's card. */
type PathKind = 'link' | 'wss' | 'https';

const CASES: Record<PathKind, CaseSpec[]> = {
  link: [
    { name: 'link-post', label: 'gRPC link: POST /msg per message, 16 connections', mode: 'post', connections: 16, batch: 1, window: 1, target: 0.5 },
    { name: 'link-batch', label: 'gRPC link: POST /msgs, 16 messages per request, 4 connections', mode: 'batch', connections: 4, batch: 16, window: 1 },
    { name: 'link-ws', label: 'gRPC link: app WebSocket, 16 sends in flight on each of 4 sockets', mode: 'ws', connections: 4, batch: 1, window: 16 },
  ],
  wss: [
    { name: 'wss-batch', label: 'WebSocket link: POST /msgs, 16 messages per request, 4 connections', mode: 'batch', connections: 4, batch: 16, window: 1 },
  ],
  https: [
    { name: 'https-post', label: 'HTTPS Web Push: POST /msg per message, 16 connections', mode: 'post', connections: 16, batch: 1, window: 1, target: 0.3 },
    { name: 'https-batch', label: 'HTTPS Web Push: POST /msgs, 16 messages per request, 4 connections', mode: 'batch', connections: 4, batch: 16, window: 1 },
  ],
};

/** utime + stime of a process, µs. */
function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLK_TCK;
}

const pct = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const ms = (ns: number): string => `${(ns / 1e6).toFixed(2)} ms`;

/** One run's arrivals on B's SSE stream, per sender. */
interface RunState {
  run: number;
  next: Map<number, number>;
  received: number;
  latenciesNs: number[];
  lastNs: number;
  problems: string[];
  onArrival?: (s: number, q: number) => void;
}

/** The SSE reader on B: every event of topic `perf`, routed to the run it belongs to. */
class Reader {
  #res: IncomingMessage | null = null;
  #current: RunState | null = null;
  #waiter: { count: number; resolve: () => void } | null = null;
  stray = 0;

  async open(bLocal: string): Promise<void> {
    this.#res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(`${bLocal}/msg/${TOPIC}`, { headers: { accept: 'text/event-stream' } }, resolve);
      req.on('error', reject);
      req.end();
    });
    if (this.#res.statusCode !== 200) throw new Error(`e2e: SSE on B answered ${this.#res.statusCode}`);
    this.#res.setEncoding('utf8');
    let buffer = '';
    this.#res.on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const at = block.indexOf('data: ');
        if (at >= 0) this.#event(block.slice(at + 6, block.indexOf('\n', at) < 0 ? undefined : block.indexOf('\n', at)));
      }
    });
  }

  #event(json: string): void {
    const t = nowNs();
    const d = (JSON.parse(json) as { data: { r: number; s: number; q: number; t: number } }).data;
    const run = this.#current;
    if (!run || d.r !== run.run) {
      this.stray++;
      return;
    }
    const want = run.next.get(d.s) ?? 0;
    if (d.q !== want && run.problems.length < 10) {
      run.problems.push(d.q < want ? `sender ${d.s}: seq ${d.q} again or late (expected ${want})` : `sender ${d.s}: seq ${want}…${d.q - 1} missing or reordered (got ${d.q})`);
    }
    run.next.set(d.s, Math.max(want, d.q + 1));
    run.received++;
    run.latenciesNs.push(t - d.t);
    run.lastNs = t;
    run.onArrival?.(d.s, d.q);
    if (this.#waiter && run.received >= this.#waiter.count) this.#waiter.resolve();
  }

  begin(run: number): RunState {
    this.#current = { run, next: new Map(), received: 0, latenciesNs: [], lastNs: 0, problems: [] };
    return this.#current;
  }

  /** Resolves when the current run has `count` arrivals, or after `timeoutMs` (then the caller sees fewer). */
  async waitCount(count: number, timeoutMs: number): Promise<void> {
    const run = this.#current!;
    if (run.received >= count) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.#waiter = {
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
    });
    this.#waiter = null;
  }

  close(): void {
    this.#res?.destroy();
  }
}

/** Runs the load generator process; stopped by its PID if it overruns. */
function runLoad(spec: LoadSpec): Promise<{ report: LoadReport; pid: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LOAD_SCRIPT, JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    const timer = setTimeout(() => process.kill(child.pid!, 'SIGKILL'), spec.ms + 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`e2e: load generator exited ${code}: ${err.trim().slice(0, 500)}`));
      resolve({ report: JSON.parse(out) as LoadReport, pid: child.pid! });
    });
  });
}

interface Figures {
  spec: CaseSpec;
  messages: number;
  msgPerSec: number;
  p50: number;
  p99: number;
  /** CPU µs per message. */
  cpu: { a: number; b: number; load: number; reader: number };
  load: string;
  /** With BENCH_E2E_STRACE: `strace -c -f` of A and B over the measured run. */
  syscalls?: { a: Map<string, number>; b: Map<string, number> };
}

interface Pair {
  a: NodeProcess;
  b: NodeProcess;
  reader: Reader;
  stop(): Promise<void>;
}

const profDir = process.env['BENCH_E2E_CPU_PROF'];
const traceSyscalls = !!process.env['BENCH_E2E_STRACE'];
/** Messages before each measured run: V8's optimising compiler still took 15–18 % of B's CPU in the measured window after 400. */
const WARMUP = 2000;

/** `strace -c -f -p pid` until stop(): the count of each system call (all threads). Slows the node down: figures taken with it are for counting only. */
async function strace(pid: number): Promise<{ stop(): Promise<Map<string, number>> }> {
  const out = join(tmpdir(), `pushmesh-e2e-strace-${pid}-${Date.now()}.txt`);
  const child = spawn('strace', ['-c', '-f', '-qq', '-o', out, '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise((r) => setTimeout(r, 300)); // attached to every thread
  return {
    async stop() {
      process.kill(child.pid!, 'SIGINT');
      await exited;
      const counts = new Map<string, number>();
      for (const line of readFileSync(out, 'utf8').split('\n')) {
        const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\S+)\s*$/.exec(line);
        if (m) counts.set(m[2]!, Number(m[1]));
      }
      await rm(out, { force: true });
      return counts;
    },
  };
}
const only = process.env['BENCH_E2E_CASES']?.split(',').map((s) => s.trim());
const nodeArgs = (who: 'a' | 'b'): string[] => (profDir ? ['--cpu-prof', '--cpu-prof-dir', join(profDir, who)] : []);

async function startPair(path: PathKind): Promise<Pair> {
  const cleanups: (() => unknown)[] = [];
  const scope = { after: (fn: () => unknown) => cleanups.push(fn) };
  const configYaml = 'logLevel: info\nlimits:\n  maxQueuedMessages: 100000\n';
  const started: NodeProcess[] = [];
  try {
    const b = await spawnNode({
      scope,
      configYaml,
      https: path === 'link' ? 'off' : '127.0.0.1:0',
      grpc: path === 'link' ? '127.0.0.1:0' : 'off',
      args: path === 'link' ? ['--advertise', 'https://127.0.0.1:9'] : [],
      nodeArgs: nodeArgs('b'),
    });
    started.push(b);
    const running = b.logs.find((r) => r.msg === 'pushmesh node running');
    const peer = path === 'link' ? [`grpcs://${b.id}@${String(running?.['grpc'])}`] : path === 'wss' ? [`wss://${b.id}@${String(running?.['https'])}/ws`] : [];
    const a = await spawnNode({
      scope,
      configYaml,
      https: 'off',
      grpc: 'off',
      args: ['--advertise', 'https://127.0.0.1:9', ...peer.flatMap((u) => ['--peer', u])],
      nodeArgs: nodeArgs('a'),
    });
    started.push(a);
    if (path === 'https') await new PeerStore(a.home).add(b.card);
    const reader = new Reader();
    await reader.open(b.local);
    return {
      a,
      b,
      reader,
      async stop() {
        reader.close();
        await Promise.all([a.stop(), b.stop()]);
        for (const fn of cleanups.reverse()) await fn();
      },
    };
  } catch (err) {
    for (const n of started) await n.stop('SIGKILL');
    for (const fn of cleanups.reverse()) await fn();
    throw err;
  }
}

function post(agent: Agent, url: string, body: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

let runs = 0;

/** Waits until a message from A's app reaches B's reader (link up, card known). */
async function waitReady(p: Pair): Promise<void> {
  const run = p.reader.begin(++runs);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const deadline = Date.now() + 60_000;
  try {
    for (let q = 0; run.received === 0; q++) {
      if (Date.now() > deadline) throw new Error('e2e: no message reached B in 60 s');
      await post(agent, `${p.a.local}/msg/${TOPIC}?to=${p.b.id}&ttl=60`, { r: run.run, s: 0, q, t: nowNs() });
      await p.reader.waitCount(1, 1000);
    }
  } finally {
    agent.destroy();
  }
}

/** One load generator run of a case; `problems` gets whatever was lost or reordered. */
async function measureCase(p: Pair, c: CaseSpec, total: number, durationMs: number, problems: string[]): Promise<Figures> {
  const run = p.reader.begin(++runs);
  const url = new URL(p.a.local);
  const spec: LoadSpec = { host: url.hostname, port: Number(url.port), to: p.b.id, topic: TOPIC, run: run.run, mode: c.mode, connections: c.connections, batch: c.batch, window: c.window, total, ms: durationMs };
  const traces = traceSyscalls && total > WARMUP ? await Promise.all([strace(p.a.pid), strace(p.b.pid)]) : null;
  const cpuA0 = cpuOf(p.a.pid);
  const cpuB0 = cpuOf(p.b.pid);
  const me0 = process.cpuUsage();
  const { report } = await runLoad(spec);
  const expected = report.accepted.reduce((x, y) => x + y, 0);
  await p.reader.waitCount(expected, 60_000);
  const me = process.cpuUsage(me0);
  const cpuA = cpuOf(p.a.pid) - cpuA0;
  const cpuB = cpuOf(p.b.pid) - cpuB0;
  const syscalls = traces ? { a: await traces[0].stop(), b: await traces[1].stop() } : undefined;
  const where = `${c.name} (run ${run.run})`;
  if (report.refused > 0) problems.push(`${where}: ${report.refused} refused: ${report.errors.join('; ')}`);
  if (run.received !== expected) problems.push(`${where}: ${expected} answered 202, ${run.received} arrived`);
  report.accepted.forEach((n, s) => {
    if ((run.next.get(s) ?? 0) !== n) problems.push(`${where}: sender ${s}: ${n} accepted, arrivals up to seq ${(run.next.get(s) ?? 0) - 1}`);
  });
  for (const why of run.problems) problems.push(`${where}: ${why}`);
  const lat = [...run.latenciesNs].sort((x, y) => x - y);
  const n = Math.max(1, run.received);
  return {
    spec: c,
    messages: run.received,
    msgPerSec: (run.received * 1e9) / Math.max(1, run.lastNs - report.startNs),
    p50: pct(lat, 50),
    p99: pct(lat, 99),
    cpu: { a: cpuA / n, b: cpuB / n, load: report.cpuUs / n, reader: (me.user + me.system) / n },
    load: load(),
    ...(syscalls ? { syscalls } : {}),
  };
}

/** One message at a time from this process: POST, wait for it on B, next. Latencies in ns, sorted: POST sent → SSE read, and POST sent → 202 read. */
async function oneAtATime(p: Pair, durationMs: number, max: number, problems: string[]): Promise<{ total: number[]; accept: number[] }> {
  const run = p.reader.begin(++runs);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const until = Date.now() + durationMs;
  const accept: number[] = [];
  let sent = 0;
  try {
    for (let q = 0; q < max && Date.now() < until; q++) {
      const arrived = new Promise<void>((resolve) => (run.onArrival = (_s, got) => got === q && resolve()));
      const t = nowNs();
      const status = await post(agent, `${p.a.local}/msg/${TOPIC}?to=${p.b.id}&ttl=60`, { r: run.run, s: 0, q, t });
      accept.push(nowNs() - t);
      if (status !== 202) throw new Error(`e2e: one-at-a-time POST answered ${status}`);
      sent++;
      await Promise.race([arrived, new Promise((r) => setTimeout(r, 10_000))]);
    }
  } finally {
    agent.destroy();
  }
  if (run.received !== sent) problems.push(`link-single (run ${run.run}): ${sent} answered 202, ${run.received} arrived`);
  for (const why of run.problems) problems.push(`link-single (run ${run.run}): ${why}`);
  return { total: [...run.latenciesNs].sort((x, y) => x - y), accept: accept.sort((x, y) => x - y) };
}

/** Raw crypto bound measured now: min(encrypt/s, decrypt/s) on one core. */
async function cryptoBound(seconds: number): Promise<{ enc: number; dec: number; bound: number; load: string }> {
  const [enc, dec] = await measureGroup(
    [
      { name: 'raw encrypt', fn: rawEncrypt },
      { name: 'raw decrypt', fn: rawDecrypt },
    ],
    { seconds, warmupMs: 200 },
  );
  return { enc: enc!.opsPerSec, dec: dec!.opsPerSec, bound: Math.min(enc!.opsPerSec, dec!.opsPerSec), load: load() };
}

const us = (v: number): string => `${Math.round(v)} µs`;
/** "12.3 (writev 1.0, pwrite64 3.1, …)": all system calls per message, then the ten most frequent. */
function perMessage(counts: Map<string, number>, messages: number): string {
  const n = Math.max(1, messages);
  const total = counts.get('total') ?? [...counts.values()].reduce((x, y) => x + y, 0);
  const top = [...counts].filter(([k]) => k !== 'total').sort((x, y) => y[1] - x[1]).slice(0, 10);
  return `${(total / n).toFixed(1)} (${top.map(([k, v]) => `${k} ${(v / n).toFixed(2)}`).join(', ')})`;
}

async function runPath(ctx: BenchContext, path: PathKind, problems: string[]): Promise<{ rows: BenchRow[]; notes: string[] }> {
  const cases = CASES[path].filter((c) => !only || only.includes(c.name));
  const wantSingle = path === 'link' && (!only || only.includes('link-single'));
  if (cases.length === 0 && !wantSingle) return { rows: [], notes: [] };
  ctx.log(`  e2e ${path}: starting A and B`);
  const p = await startPair(path);
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  try {
    await waitReady(p);
    const crypto = await cryptoBound(Math.max(1, ctx.seconds / 2));
    const boundName = `raw crypto bound, ${path} run: min(encrypt ${Math.round(crypto.enc).toLocaleString('en-US')}/s, decrypt ${Math.round(crypto.dec).toLocaleString('en-US')}/s)`;
    rows.push({ case: boundName, opsPerSec: crypto.bound });
    notes.push(`${path}: crypto bound measured with A and B idle, load average ${crypto.load}.`);
    const total = Math.round(1500 * ctx.seconds);
    for (const c of cases) {
      ctx.log(`  e2e ${c.name}: warm-up, then ${ctx.seconds} s or ${total} messages`);
      await measureCase(p, c, WARMUP, 5000, problems);
      const f = await measureCase(p, c, total, ctx.seconds * 1000, problems);
      const row: BenchRow = { case: c.label, opsPerSec: f.msgPerSec, versus: 'raw crypto bound', ratio: f.msgPerSec / crypto.bound };
      if (c.target !== undefined) row.target = c.target;
      rows.push(row);
      const busy = f.cpu.a + f.cpu.b + f.cpu.load + f.cpu.reader;
      notes.push(
        `${c.label}: ${f.messages} messages, latency POST sent → SSE read p50 ${ms(f.p50)}, p99 ${ms(f.p99)}; ` +
          `CPU per message: A ${us(f.cpu.a)} (encrypt bound ${us(1e6 / crypto.enc)}), B ${us(f.cpu.b)} (decrypt bound ${us(1e6 / crypto.dec)}), ` +
          `load generator ${us(f.cpu.load)}, SSE reader ${us(f.cpu.reader)}; all four ${us(busy)} = at most ${Math.round(2e6 / busy).toLocaleString('en-US')} msg/s on 2 cores; load average ${f.load}.`,
      );
      if (f.syscalls) notes.push(`${c.label}: system calls per message (strace -c -f, under strace): A ${perMessage(f.syscalls.a, f.messages)}; B ${perMessage(f.syscalls.b, f.messages)}.`);
    }
    if (wantSingle) {
      ctx.log('  e2e link-single: one message at a time');
      const { total: lat, accept } = await oneAtATime(p, Math.max(1000, ctx.seconds * 500), 2000, problems);
      const p50 = pct(lat, 50);
      rows.push({ case: `gRPC link: one message at a time, 1 / p50 latency (${lat.length} messages)`, opsPerSec: 1e9 / p50, versus: 'p50 ≤ 1 ms', ratio: 1e6 / p50, target: 1 });
      notes.push(
        `gRPC link, one message at a time (POST, wait for the SSE event, next): p50 ${ms(p50)}, p99 ${ms(pct(lat, 99))} (${lat.length} messages; the µs/op column is the p50); ` +
          `of which POST sent → 202 read (A's local API and outbox): p50 ${ms(pct(accept, 50))}, p99 ${ms(pct(accept, 99))}; load average ${load()}.`,
      );
    }
  } finally {
    await p.stop();
  }
  if (p.reader.stray > 0) notes.push(`${path}: ${p.reader.stray} late probe or warm-up arrivals ignored.`);
  return { rows, notes };
}

export const e2eBench: BenchModule = {
  name: 'e2e',
  async run(ctx) {
    const problems: string[] = [];
    const link = await runPath(ctx, 'link', problems);
    const wss = await runPath(ctx, 'wss', problems);
    const https = await runPath(ctx, 'https', problems);
    const section: BenchSection = {
      title: 'End to end between processes (issue 14): app → A → B → app, 1 KiB JSON',
      rows: [...link.rows, ...wss.rows, ...https.rows],
      notes: [
        ...link.notes,
        ...wss.notes,
        ...https.notes,
        'Three processes share the machine: A, B and the load generator; the SSE reader on B is the bench process. Latency is POST sent → SSE event read (send time in the payload, CLOCK_MONOTONIC).',
      ],
    };
    if (problems.length > 0) {
      for (const line of [...section.notes!, ...problems]) ctx.log(line);
      throw new Error(`e2e: messages lost, duplicated or reordered:\n${problems.join('\n')}`);
    }
    return [section];
  },
};
