/**
 * A full disk is an answer, not a crash (issue 13; docs/node.md "A full
 * disk"): real `pushmesh run` processes whose home is on a 2 MB tmpfs.
 *
 * - origin: A's outbox fills its disk while its destination is away: POST
 *   answers 507 (counted, no stack per refusal), A stays up, restarts on the
 *   still-full disk without exiting, and once B is back and the filler is
 *   gone, every message answered 202 reaches B's app exactly once, in
 *   order, with no restart for the space to be used again;
 * - relay: R holds messages for an absent B until its disk is full, then
 *   NACKs `storage_full`; A keeps them and retries; everything reaches B
 *   once when R has room again;
 * - destination: B's disk is full while messages (with receipts) arrive:
 *   B stays up, and every message reaches its app once.
 *
 * Needs root to mount the tmpfs: skipped with the reason otherwise, never
 * skipped under CI=true (it fails there instead).
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { cardFor, openIdentity, PeerStore } from '../../src/identity/index.js';
import { metricValue } from '../helpers/local-api.js';
import { saveLogs } from '../helpers/save-logs.js';
import { tempHome } from '../helpers/temp-dir.js';
import { grpcUrl, localRequest, NodeGroup, startNode, subscribe, type NodeProcess } from '../helpers/node-process.js';

const NOWHERE = 'https://127.0.0.1:9';
const listen = ['--local', '127.0.0.1:0', '--https', 'off', '--grpc', '127.0.0.1:0'];
const hidden = ['--local', '127.0.0.1:0', '--https', 'off', '--grpc', 'off', '--advertise', NOWHERE];

/**
 * A 2 MB tmpfs in a fresh temp dir. One after-hook kills `group`'s
 * processes (by PID), unmounts, then removes the dir, in that order (a
 * failing hook would stop the hooks after it, so nothing else removes it).
 */
async function smallDisk(t: TestContext, group: NodeGroup): Promise<string | null> {
  const parent = await mkdtemp(join(tmpdir(), 'pushmesh-disk-'));
  const dir = join(parent, 'disk');
  await mkdir(dir);
  const why = process.getuid?.() !== 0 ? 'mounting a tmpfs needs root' : null;
  let reason = why;
  if (!reason) {
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir], { stdio: 'pipe' });
    } catch (err) {
      reason = `mount -t tmpfs failed: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`;
    }
  }
  if (reason) {
    await rm(parent, { recursive: true, force: true });
    if (process.env['CI'] === 'true') throw new Error(`disk-full tests must run in CI: ${reason}`);
    t.skip(reason);
    return null;
  }
  t.after(async () => {
    await group.stopAll();
    try {
      execFileSync('umount', [dir], { stdio: 'pipe' });
    } catch {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
    }
    await rm(parent, { recursive: true, force: true });
  });
  return dir;
}

/** Writes a filler file that leaves about `leave` bytes free on the disk of `dir`; returns its path. */
async function fill(dir: string, leave: number): Promise<string> {
  const s = await statfs(dir);
  const free = Number(s.bavail) * Number(s.bsize);
  const path = join(dir, 'filler');
  await writeFile(path, Buffer.alloc(Math.max(0, free - leave)));
  return path;
}

/** The next line matching `match` logged after this call (past lines do not count). */
function nextLog(n: NodeProcess, match: (l: Record<string, unknown>) => boolean, timeoutMs = 60_000): Promise<Record<string, unknown>> {
  const before = new Set(n.logs);
  return n.waitForLog((l) => !before.has(l) && match(l), timeoutMs);
}

const alive = (n: NodeProcess): boolean => n.child.exitCode === null && n.child.signalCode === null;

async function post(n: NodeProcess, to: string, i: number, extra = ''): Promise<{ status: number; id?: string; code?: string }> {
  const r = await localRequest(n, 'POST', `/msg/chat?to=${to}&ttl=600${extra}`, { i, pad: 'x'.repeat(1500) });
  const j = r.json as { id?: string; error?: { code: string } };
  return { status: r.status, ...(j.id ? { id: j.id } : {}), ...(j.error ? { code: j.error.code } : {}) };
}

/** POSTs until one is refused with 507 (at most `max`); the IDs answered 202, and the refusal. */
async function sendUntilFull(n: NodeProcess, to: string, from: number, max: number, extra = ''): Promise<{ ids: string[]; refused: { status: number; code?: string } }> {
  const ids: string[] = [];
  for (let i = from; i < from + max; i++) {
    const r = await post(n, to, i, extra);
    if (r.status === 202) ids.push(r.id!);
    else return { ids, refused: r };
  }
  throw new Error(`no refusal after ${max} messages: the disk never filled`);
}

function assertOnceInOrder(events: Array<Record<string, unknown>>, ids: readonly string[]): void {
  const got = events.map((e) => String(e['id'])).filter((id) => ids.includes(id));
  assert.deepEqual(got, ids, 'each message exactly once, in the order accepted');
}

async function identities(...homes: string[]): Promise<Array<Awaited<ReturnType<typeof openIdentity>>['identity']>> {
  const out = [];
  for (const h of homes) out.push((await openIdentity(h)).identity);
  return out;
}

describe('a full disk: answers, not crashes; delivery resumes when space returns', { timeout: 600_000 }, () => {
  it('origin: the outbox fills the disk: 507, no exit, a restart on the full disk stays up, all 202s delivered once after space returns', { timeout: 300_000 }, async (t) => {
    const group = new NodeGroup();
    t.after(() => group.stopAll());
    const disk = await smallDisk(t, group);
    if (!disk) return;
    const homeA = join(disk, 'home');
    const homeB = await tempHome(t);
    const [idA, idB] = await identities(homeA, homeB);
    await new PeerStore(homeA).add(cardFor(idB!, NOWHERE));
    await new PeerStore(homeB).add(cardFor(idA!, NOWHERE));
    let b = group.track(await startNode(homeB, listen));
    const bGrpc = b.grpc!;
    const aArgs = [...hidden, '--peer', grpcUrl(b)];
    let a = group.track(await startNode(homeA, aArgs));
    const nodes = (): Record<string, NodeProcess> => ({ a, b });
    try {
      await a.waitForLog((l) => l['msg'] === 'peer link ready' && l['peer'] === b.id);
      // B goes away: what A accepts now waits in A's outbox, on the small disk.
      const closed = nextLog(a, (l) => /^peer link (closed|down)/.test(String(l['msg'])) && l['peer'] === b.id);
      await b.stop('SIGTERM');
      await closed;
      const filler = await fill(disk, 160 * 1024);
      const first = await sendUntilFull(a, b.id, 0, 2000);
      const ids = [...first.ids];
      assert.ok(ids.length > 0, 'some messages fit');
      assert.equal(first.refused.status, 507, JSON.stringify(first.refused));
      assert.equal(first.refused.code, 'ERR_STORAGE_FULL');
      // More refusals: each one counted, one log line per interval, no stack.
      for (let i = 0; i < 20; i++) assert.equal((await post(a, b.id, 10_000 + i)).status, 507);
      const metricsText = await (await fetch(`${a.local}/metrics`)).text();
      assert.ok(metricValue(metricsText, 'pushmesh_rejected_requests_total', { server: 'local', status: '507' }) >= 21);
      const refusalLines = a.logs.filter((l) => l['msg'] === 'refusing requests: no room for new work');
      assert.ok(refusalLines.length >= 1 && refusalLines.length <= 2, `${refusalLines.length} refusal lines for 21 refusals`);
      assert.ok(a.logs.every((l) => !(typeof l['err'] === 'object' && l['err'] !== null && 'stack' in (l['err'] as object) && l['level'] === 50)), 'no error with a stack');
      const health = (await localRequest(a, 'GET', '/healthz')).json as { store?: { writable: boolean } };
      assert.equal(health.store?.writable, false);
      assert.ok(alive(a), 'A is up');

      // B comes back (same gRPC address, which A dials), its app listening; A's disk is still full and A was not restarted:
      // the retries whose time could not be written are still due (they used to stay "in delivery" until a restart).
      b = group.track(await startNode(homeB, [...listen.slice(0, 4), '--grpc', bGrpc]));
      const app = await subscribe(b, '/msg/chat');
      t.after(() => app.close());
      await app.waitForIds(ids, 120_000);
      assertOnceInOrder(app.messages(), ids);
      assert.ok(alive(a), 'A is up after delivering with its deletes pending');

      // Restart A on the still-full disk: it starts, and refuses new work with 507 again. Deletes that could not be
      // written went with the old process: those messages go again, and B drops the copies.
      assert.equal((await a.stop('SIGTERM')).code, 0);
      a = group.track(await startNode(homeA, aArgs));
      assert.equal((await post(a, b.id, 20_000)).status, 507);
      await a.waitForLog((l) => l['msg'] === 'peer link ready' && l['peer'] === b.id);
      assert.ok(alive(a), 'no exit after a restart on a full disk');

      // Space returns: no restart; new work is taken again and delivered once.
      const writable = nextLog(a, (l) => l['msg'] === 'store takes writes again: new work accepted', 30_000);
      await rm(filler);
      await writable;
      for (let i = 30_000; i < 30_010; i++) {
        const r = await post(a, b.id, i);
        assert.equal(r.status, 202, JSON.stringify(r));
        ids.push(r.id!);
      }
      await app.waitForIds(ids, 60_000);
      assertOnceInOrder(app.messages(), ids);
      assert.equal(((await localRequest(a, 'GET', '/healthz')).json as { store?: { writable: boolean } }).store?.writable, true);
      assert.ok(alive(a) && alive(b));
    } catch (err) {
      await saveLogs('disk-full-origin', nodes());
      throw err;
    }
  });

  it('relay: R holds until its disk is full, then NACKs storage_full; A keeps the rest; all reach B once when R has room again', { timeout: 300_000 }, async (t) => {
    const group = new NodeGroup();
    t.after(() => group.stopAll());
    const disk = await smallDisk(t, group);
    if (!disk) return;
    const homeR = join(disk, 'home');
    const [homeA, homeB] = [await tempHome(t), await tempHome(t)];
    const [idA, idB] = await identities(homeA, homeB);
    await new PeerStore(homeA).add(cardFor(idB!, NOWHERE));
    await new PeerStore(homeB).add(cardFor(idA!, NOWHERE));
    const r = group.track(await startNode(homeR, listen));
    const a = group.track(await startNode(homeA, [...hidden, '--peer', grpcUrl(r)]));
    const bArgs = [...hidden, '--peer', grpcUrl(r)];
    let b = group.track(await startNode(homeB, bArgs));
    const nodes = (): Record<string, NodeProcess> => ({ a, r, b });
    try {
      await Promise.all([
        r.waitForLog((l) => l['msg'] === 'peer link ready' && l['peer'] === a.id),
        r.waitForLog((l) => l['msg'] === 'peer link ready' && l['peer'] === b.id),
        // B's attachment: R holds for B while B is away (A, B's upstream being R, sends everything there).
        r.waitForLog((l) => l['msg'] === 'learned routes' && l['peer'] === b.id && l['attached'] === true),
      ]);
      const closed = nextLog(r, (l) => l['msg'] === 'peer link closed' && l['peer'] === b.id);
      await b.stop('SIGTERM');
      await closed;
      const filler = await fill(disk, 120 * 1024);
      // A accepts them all (its own disk has room); R takes what fits, then refuses with storage_full.
      const ids: string[] = [];
      const nacked = nextLog(a, (l) => l['msg'] === 'delivery failed; will retry' && l['reason'] === 'storage_full', 120_000);
      for (let i = 0; i < 400; i++) {
        const p = await post(a, b.id, i);
        assert.equal(p.status, 202, JSON.stringify(p));
        ids.push(p.id!);
      }
      await nacked;
      await nextLog(r, (l) => l['msg'] === 'store cannot be written (disk full?): refusing new work until it can; retrying', 60_000).catch(() => undefined);
      assert.ok(alive(r), 'R is up');
      assert.ok((((await localRequest(a, 'GET', '/healthz')).json as { queueDepth: number }).queueDepth) > 0, 'A keeps what R refused');
      // R has room again and B comes back: everything arrives once, in order.
      await rm(filler);
      b = group.track(await startNode(homeB, bArgs));
      const app = await subscribe(b, '/msg/chat');
      t.after(() => app.close());
      await app.waitForIds(ids, 240_000);
      assertOnceInOrder(app.messages(), ids);
      assert.ok(alive(r));
    } catch (err) {
      await saveLogs('disk-full-relay', nodes());
      throw err;
    }
  });

  it('destination: B\'s disk is full while messages with receipts arrive: B stays up, its app gets each once; more after space returns', { timeout: 300_000 }, async (t) => {
    const group = new NodeGroup();
    t.after(() => group.stopAll());
    const disk = await smallDisk(t, group);
    if (!disk) return;
    const homeB = join(disk, 'home');
    const homeA = await tempHome(t);
    const [idA, idB] = await identities(homeA, homeB);
    await new PeerStore(homeA).add(cardFor(idB!, NOWHERE));
    await new PeerStore(homeB).add(cardFor(idA!, NOWHERE));
    const a = group.track(await startNode(homeA, listen));
    const b = group.track(await startNode(homeB, [...hidden, '--peer', grpcUrl(a)]));
    const nodes = (): Record<string, NodeProcess> => ({ a, b });
    try {
      await a.waitForLog((l) => l['msg'] === 'peer link ready' && l['peer'] === b.id);
      const app = await subscribe(b, '/msg/chat');
      t.after(() => app.close());
      const filler = await fill(disk, 120 * 1024);
      const ids: string[] = [];
      // Receipts make B write (its outbox, the statuses) as well as what it keeps for its apps: the disk fills under it.
      const full = nextLog(b, (l) => l['component'] === 'store' && l['level'] === 40, 120_000);
      for (let i = 0; i < 120; i++) {
        const p = await post(a, b.id, i, '&receipt=1');
        assert.equal(p.status, 202, JSON.stringify(p));
        ids.push(p.id!);
      }
      await full;
      assert.ok(alive(b), 'B is up with a full disk');
      // What B could not keep it refused (storage_full), so A still has it; space returns, no restart: all arrive once.
      await rm(filler);
      for (let i = 120; i < 140; i++) {
        const p = await post(a, b.id, i, '&receipt=1');
        assert.equal(p.status, 202, JSON.stringify(p));
        ids.push(p.id!);
      }
      await app.waitForIds(ids, 240_000);
      assertOnceInOrder(app.messages(), ids);
      assert.ok(alive(b));
    } catch (err) {
      await saveLogs('disk-full-destination', nodes());
      throw err;
    }
  });
});
