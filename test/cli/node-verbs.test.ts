/**
 * The CLI verbs that read the running node's local API (status, routes,
 * peers, tail) and send through it, each run as a real `pushmesh`
 * process against real nodes in this process: A → R ← C (A and C dial
 * the relay R over gRPC). Bad input exits 2 with one line; a node that is
 * not there exits 1 with one line.
 */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CliContext } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/program.js';
import type { Message } from '../../src/message/types.js';
import type { PushmeshNode } from '../../src/node/pushmesh-node.js';
import { CLI_PATH, pushmeshOk, runPushmesh, STACK_FRAME, type CliResult } from '../helpers/cli.js';
import { introduce, localUrl, startInProcessNode } from '../helpers/in-process-node.js';
import { tempDir } from '../helpers/temp-dir.js';

const NOWHERE = 'https://127.0.0.1:9';
const ONE_LINE = /^pushmesh: [^\n]+\n$/;

/** The next message on `topic` that `node`'s apps get, once `act` has run. */
async function nextAt(node: PushmeshNode, topic: string, act: () => Promise<unknown>, ms = 20_000): Promise<Message> {
  const sub = node.bus.subscribe(topic);
  const timer = setTimeout(() => sub.end(), ms);
  try {
    await act();
    const next = await sub.next();
    assert.ok(!next.done, `no message on ${topic} within ${ms} ms`);
    return next.value.message;
  } finally {
    clearTimeout(timer);
    sub.end();
  }
}

/** The CLI in this process (runCli, what main.ts runs), its output captured; `fetch` defaults to one that fails the test. */
async function runInProcess(args: readonly string[], useFetch?: typeof fetch): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const noRequest = (async (url: unknown) => assert.fail(`no request expected (${String(url)})`)) as typeof fetch;
  const ctx: CliContext = { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) }, env: {}, fetch: useFetch ?? noRequest };
  const code = await runCli(args, ctx);
  return { code, stdout, stderr };
}

/** A port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/** `pushmesh tail …` as a running child: its stdout lines as they come, its exit. */
function startTail(args: readonly string[], cleanups: (() => unknown)[]): { child: ChildProcess; line(n: number): Promise<string>; exit: Promise<CliResult> } {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PUSHMESH_') && !k.startsWith('NODE_TEST')) env[k] = v;
  const child = spawn(process.execPath, [CLI_PATH, 'tail', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  const waiters: { n: number; resolve: (l: string) => void }[] = [];
  const lines = (): string[] => stdout.split('\n').slice(0, -1);
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
    for (const w of waiters.splice(0)) {
      if (lines().length > w.n) w.resolve(lines()[w.n]!);
      else waiters.push(w);
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exit = new Promise<CliResult>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return {
    child,
    exit,
    line: (n) =>
      new Promise((resolve, reject) => {
        if (lines().length > n) return resolve(lines()[n]!);
        waiters.push({ n, resolve });
        void exit.then((r) => reject(new Error(`tail exited (${r.code ?? r.signal}) before line ${n}: ${r.stderr}`)));
      }),
  };
}

describe('CLI verbs over the local API (real nodes)', { timeout: 240_000 }, () => {
  let a: PushmeshNode;
  let r: PushmeshNode;
  let c: PushmeshNode;
  const cleanups: (() => unknown)[] = [];
  const scope = { after: (fn: () => unknown) => cleanups.push(fn) };
  const at = (n: PushmeshNode): string[] => ['--local', localUrl(n)];
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  before(async () => {
    r = await startInProcessNode(scope, { https: null, grpc: { host: '127.0.0.1', port: 0 }, advertise: NOWHERE });
    const rUrl = `grpcs://${r.identity.id}@127.0.0.1:${r.addresses.grpc!.port}`;
    a = await startInProcessNode(scope, { https: null, advertise: NOWHERE, peers: [rUrl] });
    c = await startInProcessNode(scope, { https: null, advertise: NOWHERE, peers: [rUrl] });
    await introduce(a, c);
    // A → R → C works (C's link to R may come up after A's: the message is retried until it does).
    await nextAt(c, 'probe', () => a.send({ to: c.identity.id, topic: 'probe', data: { kind: 'json', value: 0 }, ttl: 60, urgency: 'normal' }));
  });

  it('peers: live links first, marked up; --linked keeps only those; --json is GET /peers', async () => {
    const text = await pushmeshOk(['peers', ...at(a)]);
    const [header, ...rows] = text.split('\n');
    assert.match(header!, /^ID +LINK +TRANSPORT +DIRECTION +ADDRESS +SINCE +QUEUED +SENT +RECEIVED$/);
    assert.match(rows[0]!, new RegExp(`^${r.identity.id} +up +grpc +outbound +127\\.0\\.0\\.1:\\d+ +\\d{4}-`));
    assert.ok(rows.some((row) => row.startsWith(`${c.identity.id} `) && / - /.test(row)), 'C: a stored card, no link');
    const linked = (await pushmeshOk(['peers', '--linked', ...at(a)])).split('\n');
    assert.equal(linked.length, 2);
    const json = JSON.parse(await pushmeshOk(['peers', '--json', ...at(a)])) as { peers: { id: string; connected: boolean }[] };
    const api = (await (await fetch(`${localUrl(a)}/peers`)).json()) as { peers: { id: string; connected: boolean }[] };
    assert.deepEqual(json.peers.map((p) => [p.id, p.connected]), api.peers.map((p) => [p.id, p.connected]));
  });

  it('routes: the route table (R has A and C over links); --json is GET /routes; --config finds the node by its local: setting', async (t) => {
    const text = await pushmeshOk(['routes', ...at(r)]);
    const [header, ...rows] = text.split('\n');
    assert.match(header!, /^DEST +NEXT +HOPS +KIND +LINK +EXPIRES$/);
    for (const n of [a, c]) assert.ok(rows.some((row) => new RegExp(`^${n.identity.id} +${n.identity.id} +1 +link +up +with link$`).test(row)), text);
    const json = JSON.parse(await pushmeshOk(['routes', '--json', ...at(r)])) as { routes: { dest: string }[] };
    assert.deepEqual(new Set(json.routes.map((x) => x.dest)), new Set([a.identity.id, c.identity.id]));
    const config = join(await tempDir(t), 'node.yaml');
    await writeFile(config, `local: 127.0.0.1:${r.addresses.local.port}\n`);
    assert.equal(await pushmeshOk(['routes', '--config', config]), text);
  });

  it('send with every option (VIP6 --to and --via, --receipt, --ttl, --urgency, --replace, --meta): C gets it from A; status says where it is', async () => {
    let sent: { id: string; status: string } | undefined;
    const got = await nextAt(c, 'cli', async () => {
      const out = await pushmeshOk(['send', ...at(a), '--topic', 'cli', '--to', c.identity.vip6, '--via', `[${r.identity.vip6}]`, '--receipt', '--ttl', '120', '--urgency', 'high', '--replace', 'k1', '--meta', 'lang=en', '--meta', 'eq=a=b', '--data', '{"x":1}']);
      sent = JSON.parse(out) as { id: string; status: string };
    });
    assert.equal(sent!.status, 'queued');
    assert.equal(got.id, sent!.id);
    assert.equal(got.from, a.identity.id);
    assert.equal(got.urgency, 'high');
    assert.ok(got.ttl <= 120 && got.ttl > 0);
    assert.deepEqual(got.meta, { lang: 'en', eq: 'a=b' });
    assert.deepEqual(got.data, { kind: 'json', value: { x: 1 } });

    const text = await pushmeshOk(['status', sent!.id, ...at(a)]);
    assert.match(text, new RegExp(`^id +${sent!.id}\nto +${c.identity.id}\nstate +(sent|delivered)\nreceipt +asked\nupdated +\\d{4}-`));
    const json = JSON.parse(await pushmeshOk(['status', sent!.id, '--json', ...at(a)])) as Record<string, unknown>;
    assert.equal(json['to'], c.identity.id);
    assert.equal(json['receipt'], true);
    // Without an ID: the latest statuses (GET /statuses), this one among them.
    const [header, ...rows] = (await pushmeshOk(['status', '--recent', '50', ...at(a)])).split('\n');
    assert.match(header!, /^ID +STATE +TO +UPDATED +RECEIPT +REASON$/);
    assert.ok(rows.some((row) => new RegExp(`^${sent!.id} +(sent|delivered) +${c.identity.id} +\\d{4}-\\S+ +asked$`).test(row)), rows.join('\n'));
    const recent = JSON.parse(await pushmeshOk(['status', '--json', ...at(a)])) as { statuses: { id: string }[] };
    assert.ok(recent.statuses.some((st) => st.id === sent!.id));

    // Text, bytes, and a message to this node's own apps.
    const plain = await nextAt(c, 'cli', () => pushmeshOk(['send', ...at(a), '--topic', 'cli', '--to', c.identity.id, '--data', 'just words']));
    assert.deepEqual(plain.data, { kind: 'json', value: 'just words' });
    const bytes = await nextAt(c, 'cli', () => pushmeshOk(['send', ...at(a), '--topic', 'cli', '--to', c.identity.id, '--data', 'AAEC/w==', '--base64']));
    assert.equal(bytes.data.kind, 'bytes');
    assert.deepEqual([...(bytes.data.value as Uint8Array)], [0, 1, 2, 255]);
    assert.equal(JSON.parse(await pushmeshOk(['send', ...at(a), '--topic', 'self'])).status, 'local');
  });

  it('a refusal by the node (unknown VIP6, unknown message) exits 1 with the reason in one line', async () => {
    const unknown = await runPushmesh(['send', ...at(a), '--topic', 't', '--to', 'fd00::1']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^pushmesh: node refused the message: no known node has the VIP6 address fd00::1: .* \(ERR_NOT_FOUND\)\n$/);
    const status = await runPushmesh(['status', 'AAAAAAAAAAAAAAAAAAAAAA', ...at(a)]);
    assert.equal(status.code, 1);
    assert.match(status.stderr, /^pushmesh: no message AAAAAAAAAAAAAAAAAAAAAA sent from this node is known \(HTTP 404 ERR_NOT_FOUND\)\n$/);
  });

  it('tail: one JSON line per message (held ones --since, then live), resumes after --last-event-id, ends with exit 0 on SIGINT and SIGTERM', async () => {
    const first = await nextAt(c, 'tl', () => pushmeshOk(['send', ...at(a), '--topic', 'tl', '--to', c.identity.id, '--data', '{"n":1}']));
    const tail = startTail(['tl', '--since', '10m', ...at(c)], cleanups);
    const line1 = JSON.parse(await tail.line(0)) as Record<string, unknown>;
    assert.equal(line1['id'], first.id);
    assert.deepEqual(line1['data'], { n: 1 });
    assert.equal(line1['from'], a.identity.id);
    // The stream is open: a message sent now arrives live.
    await pushmeshOk(['send', ...at(a), '--topic', 'tl', '--to', c.identity.id, '--data', '{"n":2}']);
    const line2 = JSON.parse(await tail.line(1)) as Record<string, unknown>;
    assert.deepEqual(line2['data'], { n: 2 });
    tail.child.kill('SIGINT');
    const ended = await tail.exit;
    assert.equal(ended.code, 0, ended.stderr);
    assert.equal(ended.stderr, '');

    const resumed = startTail(['tl', '--last-event-id', String(line1['seq']), ...at(c)], cleanups);
    assert.deepEqual((JSON.parse(await resumed.line(0)) as Record<string, unknown>)['data'], { n: 2 });
    resumed.child.kill('SIGTERM');
    assert.equal((await resumed.exit).code, 0);
  });

  it("tail ends with exit 0 when the node shuts down (its end event), saying so on stderr", async (t) => {
    const d = await startInProcessNode(t, { https: null, advertise: NOWHERE });
    await d.send({ to: '', topic: 'bye', data: { kind: 'json', value: 'held' }, ttl: 60, urgency: 'normal' });
    const tail = startTail(['--since', '1m', ...at(d)], cleanups);
    assert.equal((JSON.parse(await tail.line(0)) as { data: unknown }).data, 'held');
    await d.drain(); // as `pushmesh run` does on SIGTERM: streams get their end event
    const ended = await tail.exit;
    assert.equal(ended.code, 0, ended.stderr);
    assert.equal(ended.stderr, 'pushmesh: the node ended the stream: node shutting down\n');
  });

  it('health: GET /healthz (exit 0 while running); config list and config get: the signed configs the node keeps', async (t) => {
    const dir = await tempDir(t);
    const owner = await pushmeshOk(['id', '--home', join(dir, 'owner')]);
    const e = await startInProcessNode(t, { https: null, advertise: NOWHERE, trust: { app: [owner] } });
    const health = await pushmeshOk(['health', ...at(e)]);
    assert.match(health, /^ok +true\nstate +running\nid +\w{52}\n/);
    assert.equal(JSON.parse(await pushmeshOk(['health', '--json', ...at(e)])).id, e.identity.id);

    await writeFile(join(dir, 'data.yaml'), 'feature: on\nlimit: 3\n');
    const signed = await pushmeshOk(['config', 'sign', '--home', join(dir, 'owner'), '--namespace', 'app', '--name', 'flags', '--version', '7', join(dir, 'data.yaml')]);
    await writeFile(join(dir, 'signed.jws'), signed);
    await pushmeshOk(['config', 'publish', join(dir, 'signed.jws'), ...at(e)]);
    const list = (await pushmeshOk(['config', 'list', ...at(e)])).split('\n');
    assert.match(list[0]!, /^NAMESPACE +NAME +VERSION +OWNER +DATA$/);
    assert.match(list[1]!, new RegExp(`^app +flags +7 +${owner} +clear$`));
    assert.equal(JSON.parse(await pushmeshOk(['config', 'list', '--json', ...at(e)])).configs[0].version, 7);
    const got = await pushmeshOk(['config', 'get', 'app', 'flags', ...at(e)]);
    assert.match(got, new RegExp(`^namespace +app\nname +flags\nversion +7\nowner +${owner}\nsigned +\\d{4}-.*\ndata +\\{"feature":"on","limit":3\\}$`));
    assert.deepEqual(JSON.parse(await pushmeshOk(['config', 'get', 'app', 'flags', '--json', ...at(e)])).data, { feature: 'on', limit: 3 });
    const missing = await runPushmesh(['config', 'get', 'app', 'nope', ...at(e)]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'pushmesh: no verified config app/nope (HTTP 404 ERR_NOT_FOUND)\n');
    // metrics: the Prometheus text, filtered by a prefix, or parsed with --json.
    const metrics = (await pushmeshOk(['metrics', 'pushmesh_config', ...at(e)])).split('\n');
    assert.ok(metrics.length > 0 && metrics.every((l) => /^(# (HELP|TYPE) )?pushmesh_config/.test(l)), metrics.join('\n'));
    const parsed = JSON.parse(await pushmeshOk(['metrics', 'pushmesh_messages_in_total', '--json', ...at(e)])) as { metrics: { name: string; labels: Record<string, string>; value: number }[] };
    assert.ok(parsed.metrics.length > 0 && parsed.metrics.every((m) => m.name === 'pushmesh_messages_in_total' && typeof m.value === 'number'));
    // card --running: the running node's GET /id (card + vip6).
    const served = JSON.parse(await pushmeshOk(['card', '--running', ...at(e)])) as Record<string, unknown>;
    assert.equal(served['id'], e.identity.id);
    assert.equal(served['vip6'], e.identity.vip6);
    // Every verb takes --home (these do not use it).
    assert.match(await pushmeshOk(['routes', '--home', join(dir, 'owner'), ...at(e)]), /^DEST/);

    await e.drain();
    const down = await runPushmesh(['health', ...at(e)]);
    assert.equal(down.code, 1);
    assert.match(down.stderr, ONE_LINE);
  });

  it("peer add from a running node's HTTPS port says what it added and that the TLS certificate holds the card's key", async (t) => {
    const f = await startInProcessNode(t);
    const home = join(await tempDir(t), 'home');
    const url = `https://127.0.0.1:${f.addresses.https!.port}`;
    const added = await runPushmesh(['peer', 'add', url, '--home', home]);
    assert.equal(added.code, 0, added.stderr);
    assert.equal(added.stdout, `${f.identity.id}\n`);
    assert.equal(
      added.stderr,
      `pushmesh: added peer ${f.identity.id}: endpoint ${f.card().endpoint}, VIP6 ${f.identity.vip6}; fetched from ${url}/id: the server's TLS certificate holds the card's key; its ID matches its key\n`,
    );
  });

  it('bad input: exit 2 and one line, before any request', async () => {
    const cases: string[][] = [
      ['status', 'not an id!'],
      ['status', '--recent', '0'],
      ['status', 'AAAAAAAAAAAAAAAAAAAAAA', '--recent', '5'],
      ['routes', '--local', 'a:b:c'],
      ['peers', '--linkd'],
      ['send', '--topic', 't', '--urgency', 'soon'],
      ['send', '--topic', 't', '--to', 'fd00::zz'],
      ['send', '--topic', 't', '--via', 'nobody'],
      ['send', '--topic', 't', '--meta', 'novalue'],
      ['send', '--topic', 't', '--ttl', '1.5'],
      ['send', '--topic', 'pushmesh.status'],
      ['tail', 'bad/topic'],
      ['tail', '--since', 'yesterday'],
      ['tail', '--last-event-id', 'x'],
      ['config', 'get', 'bad ns', 'x'],
      ['health', '--local', 'off'],
      ['card', '--local', '127.0.0.1:9'],
      ['card', '--running', '--advertise', 'https://x.example'],
    ];
    // Each as the CLI runs it (runCli, as main.ts calls it), with a fetch that fails the test if a request is made.
    for (const args of cases) {
      const res = await runInProcess([...args, ...(args.includes('--local') ? [] : ['--local', '127.0.0.1:9'])]);
      assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`);
      assert.match(res.stderr, ONE_LINE, args.join(' '));
      assert.equal(res.stdout, '');
    }
    // And one as a process: the same line, no stack.
    const real = await runPushmesh(['send', '--topic', 't', '--urgency', 'soon']);
    assert.equal(real.code, 2);
    assert.equal(real.stderr, 'pushmesh: --urgency must be one of very-low, low, normal, high\n');
    assert.doesNotMatch(real.stderr, STACK_FRAME);
  });

  it('no node at the address: exit 1 and one line', async () => {
    const port = await closedPort();
    const cases: string[][] = [['status', 'AAAAAAAAAAAAAAAAAAAAAA'], ['status'], ['metrics'], ['card', '--running'], ['routes'], ['peers'], ['send', '--topic', 't'], ['tail'], ['health'], ['config', 'list'], ['config', 'get', 'a', 'b']];
    for (const args of cases) {
      const res = await runInProcess([...args, '--local', `127.0.0.1:${port}`], fetch);
      assert.equal(res.code, 1, `${args.join(' ')}: ${res.stderr}`);
      assert.equal(res.stderr, `pushmesh: no node answering at http://127.0.0.1:${port} (connection failed; is "pushmesh run" running?)\n`, args.join(' '));
    }
    const real = await runPushmesh(['tail', '--local', `127.0.0.1:${port}`]);
    assert.equal(real.code, 1);
    assert.equal(real.stderr, `pushmesh: no node answering at http://127.0.0.1:${port} (connection failed; is "pushmesh run" running?)\n`);
  });
});
