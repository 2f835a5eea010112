import { strict as assert } from 'node:assert';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { WebSocket } from 'ws';
import { encryptWebPush, VapidSigner } from '../../src/webpush/index.js';
import { makeCard } from '../helpers/cards.js';
import { introduce, startTestNode, type TestNode } from '../helpers/node.js';
import { openSse } from '../helpers/sse.js';
import { HEADER_CHARS } from '../helpers/typed-errors.js';
import { newP256Key } from '../webpush/keys.js';

/**
 * Random requests against a real running node over real sockets: the HTTPS
 * Web Push endpoint (POST /push/<id>) and the local API (/msg, the app
 * WebSocket). Bad input must only ever get a 4xx (valid input its 2xx),
 * never a 5xx, a dropped connection or a dead node; afterwards the node
 * must still carry a good message end to end.
 */

const RUNS = Number(process.env['PUSHMESH_FUZZ_RUNS'] ?? 500);
const TIMEOUT = 5 * 60_000;

interface Answer {
  status: number;
  body: string;
}

function send(url: string, agent: HttpAgent | HttpsAgent, method: string, headers: Record<string, string | string[]>, body: Buffer | undefined): Promise<Answer> {
  const request = url.startsWith('https:') ? httpsRequest : httpRequest;
  // Node frames bodies of GET/DELETE/OPTIONS only when told the length; unframed bytes would be a client bug, not a test.
  if (body !== undefined) headers = { ...headers, 'content-length': String(body.length) };
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent, timeout: 30_000, rejectUnauthorized: false } as never, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

const headerText = fc.string({ unit: fc.constantFrom(...HEADER_CHARS), maxLength: 60 });
const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((b) => Buffer.from(b));

describe('fuzzing a running node over real sockets', { timeout: TIMEOUT }, () => {
  let a: TestNode;
  let b: TestNode;
  let pushAgent: HttpsAgent;
  let localAgent: HttpAgent;
  const sender = newP256Key();
  const signer = new VapidSigner({ privateKey: sender.privateKey, publicKey: sender.publicKey });

  before(async () => {
    a = await startTestNode();
    b = await startTestNode();
    await introduce(a, b);
    pushAgent = new HttpsAgent({ keepAlive: true, maxSockets: 2 });
    localAgent = new HttpAgent({ keepAlive: true, maxSockets: 2 });
  });

  after(async () => {
    pushAgent?.destroy();
    localAgent?.destroy();
    await a?.close();
    await b?.close();
  });

  it('POST /push/<id>: random headers and bodies get 201 only when all valid, else 4xx', { timeout: TIMEOUT }, async () => {
    const id = a.node.identity.id;
    const origin = `https://127.0.0.1:${a.node.addresses.https!.port}`;
    const recipient = { p256dh: a.node.identity.publicKey, auth: a.node.identity.auth };
    const goodAuth = await signer.authorization(origin);
    const otherAuth = await signer.authorization('https://elsewhere.example');

    const path = fc.oneof(
      { weight: 8, arbitrary: fc.constant({ ok: true, value: `/push/${id}` }) },
      fc.constantFrom(`/push/${makeCard().card.id}`, '/push/', `/push/${id}/x`, `/push/${id.toUpperCase()}`, '/push/%00', '/push/..%2f..%2fid', `/push/${id}?x=1#y`).map((value) => ({ ok: value.startsWith(`/push/${id}?`), value })),
      headerText.map((s) => ({ ok: false, value: `/push/${encodeURIComponent(s)}` })),
    );
    const optional = (valid: fc.Arbitrary<string>, invalid: fc.Arbitrary<string | string[]>, absentOk: boolean) =>
      fc.oneof(
        { weight: 6, arbitrary: valid.map((value) => ({ ok: true, value: value as string | string[] | undefined })) },
        { weight: 1, arbitrary: fc.constant({ ok: absentOk, value: undefined as string | string[] | undefined }) },
        { weight: 2, arbitrary: invalid.map((value) => ({ ok: false, value: value as string | string[] | undefined })) },
      );
    const ttl = optional(fc.tuple(fc.nat({ max: 9_999_999_999 }), fc.constantFrom('', ' ')).map(([n, s]) => `${s}${n}${s}`), fc.oneof(headerText.filter((s) => !/^\s*\d{1,10}\s*$/.test(s)), fc.constant(['1', '2'] as string[])), false);
    const urgency = optional(fc.constantFrom('very-low', 'low', 'normal', 'high', 'HIGH', ' Low '), headerText.filter((s) => !['very-low', 'low', 'normal', 'high'].includes(s.trim().toLowerCase())), true);
    const topic = optional(fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/), headerText.filter((s) => !/^[A-Za-z0-9_-]{1,32}$/.test(s.trim())), true);
    const encoding = optional(fc.constantFrom('aes128gcm', 'AES128GCM', ' aes128gcm '), fc.oneof(headerText.filter((s) => s.trim().toLowerCase() !== 'aes128gcm'), fc.constantFrom('aesgcm', 'gzip')), false);
    const authorization = optional(
      fc.constant(goodAuth),
      fc.oneof(
        headerText,
        fc.constant(otherAuth),
        fc.tuple(fc.nat(), fc.constantFrom(...'Aa0_-.= ,')).map(([at, ch]) => {
          const i = 8 + (at % (goodAuth.length - 8));
          return goodAuth.slice(0, i) + (goodAuth[i] === ch ? (ch === 'A' ? 'B' : 'A') : ch) + goodAuth.slice(i + 1);
        }),
        fc.constant(`vapid t=${goodAuth.split('t=')[1]!.split(',')[0]}, k=${makeCard().card.keys.p256dh}`),
      ),
      false,
    );
    const plaintext = fc.oneof(bytes(200), fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify({ id: 'fuzzAAAAAAAAAAAAAAAAAA', topic: 'fuzz', time: 1, data: v }))));
    const body = fc.oneof(
      { weight: 4, arbitrary: plaintext.map((p) => ({ ok: true, value: encryptWebPush(p, recipient) as Buffer | undefined })) },
      fc.constant({ ok: false, value: undefined as Buffer | undefined }),
      bytes(5000).map((value) => ({ ok: false, value: value as Buffer | undefined })),
      fc.tuple(plaintext, fc.nat(), fc.integer({ min: 1, max: 255 })).map(([p, at, x]) => {
        const v = encryptWebPush(p, recipient);
        const i = at % v.length;
        // rs (bytes 16..19) is not authenticated: a change there may still decrypt.
        if (i >= 16 && i < 20) return { ok: false, maybe: true, value: v as Buffer | undefined };
        v[i]! ^= x;
        return { ok: false, value: v as Buffer | undefined };
      }),
      fc.tuple(plaintext, fc.nat()).map(([p, cut]) => {
        const v = encryptWebPush(p, recipient);
        return { ok: false, value: v.subarray(0, cut % v.length) as Buffer | undefined };
      }),
      fc.nat({ max: 3 }).map((n) => ({ ok: false, value: Buffer.alloc(4097 + n * 10_000) as Buffer | undefined })),
    );
    const contentType = fc.oneof(fc.constant('application/octet-stream'), fc.constant(undefined), headerText);
    const method = fc.oneof({ weight: 9, arbitrary: fc.constant('POST') }, fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH'));

    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(fc.record({ method, path, ttl, urgency, topic, encoding, authorization, body, contentType }), async (r) => {
        const headers: Record<string, string | string[]> = {};
        if (r.ttl.value !== undefined) headers['ttl'] = r.ttl.value;
        if (r.urgency.value !== undefined) headers['urgency'] = r.urgency.value;
        if (r.topic.value !== undefined) headers['topic'] = r.topic.value;
        if (r.encoding.value !== undefined) headers['content-encoding'] = r.encoding.value;
        if (r.authorization.value !== undefined) headers['authorization'] = r.authorization.value;
        if (r.contentType !== undefined) headers['content-type'] = r.contentType;
        const res = await send(origin + r.path.value, pushAgent, r.method, headers, r.body.value);
        const allValid = r.method === 'POST' && r.path.ok && r.ttl.ok && r.urgency.ok && r.topic.ok && r.encoding.ok && r.authorization.ok && r.body.ok;
        assert.ok(res.status < 500, `HTTP ${res.status} ${res.body}`);
        if (allValid) {
          assert.equal(res.status, 201, `valid push refused: ${res.body}`);
          accepted++;
        } else if (!('maybe' in r.body && r.body.maybe && r.path.ok && r.ttl.ok && r.urgency.ok && r.topic.ok && r.encoding.ok && r.authorization.ok)) {
          assert.ok(res.status >= 400 && res.status < 500, `bad push got HTTP ${res.status}`);
          if (r.method === 'POST' && res.status !== 404) assert.match(res.body, /"error":\{"code":"[A-Z_]+","message":/);
        }
      }),
      { numRuns: RUNS, includeErrorInReport: true },
    );
    assert.ok(accepted > 0, 'no valid push was generated');
  });

  it('local API /msg: random methods, topics, queries, types and bodies get 2xx or 4xx, never 5xx', { timeout: TIMEOUT }, async () => {
    const ids = [a.node.identity.id, b.node.identity.id, makeCard().card.id];
    const topicPath = fc.oneof(
      { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z0-9._~-]{1,20}$/).map((t) => `/msg/${t}`) },
      { weight: 1, arbitrary: headerText.map((t) => `/msg/${encodeURIComponent(t)}`) },
      { weight: 1, arbitrary: fc.constantFrom('/msg', '/msg/', '/msg/a/b', `/msg/${'x'.repeat(200)}`, '/msg/%ff', '/msg/%', '/msg/..', '/msg/a%2Fb') },
    );
    const validQuery = fc.record(
      { to: fc.constantFrom('', a.node.identity.id, b.node.identity.id), ttl: fc.nat({ max: 2_419_200 }).map(String), urgency: fc.constantFrom('very-low', 'low', 'normal', 'high'), replace: fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/) },
      { requiredKeys: [] },
    ).map((q) => Object.entries(q));
    const qValue = fc.oneof(headerText, fc.constantFrom(...ids, '', '0', '60', '99999999999', 'high', 'urgent', '1', 'abc_123', ids.join(',')));
    const randomQuery = fc.array(fc.tuple(fc.constantFrom('to', 'ttl', 'urgency', 'replace', 'via', 'receipt', 'since', 'x'), qValue), { maxLength: 5 });
    const query = fc.oneof({ weight: 3, arbitrary: validQuery }, { weight: 2, arbitrary: randomQuery });
    const contentType = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('application/json', 'text/plain; charset=utf-8', 'application/octet-stream', 'application/cloudevents+json') },
      { weight: 1, arbitrary: fc.oneof(headerText, fc.constant('multipart/form-data; boundary=x')) },
      { weight: 1, arbitrary: fc.constant(undefined) },
    );
    const body = fc.oneof(
      fc.constant(undefined),
      fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v))),
      bytes(3000),
      fc.string({ maxLength: 300 }).map((s) => Buffer.from(s)),
      { weight: 2, arbitrary: fc.nat({ max: 30_000 }).map((d) => Buffer.from('['.repeat(d) + ']'.repeat(d))) },
      fc.constantFrom(70_000, 200_000).map((n) => Buffer.alloc(n, 0x61)),
    );
    const method = fc.oneof({ weight: 6, arbitrary: fc.constant('POST') }, fc.constantFrom('GET', 'PUT', 'DELETE', 'HEAD', 'OPTIONS'));
    const extra = fc.dictionary(fc.constantFrom('last-event-id', 'accept', 'origin', 'sec-fetch-site', 'x-fuzz'), headerText, { maxKeys: 2 });
    // Apps listening all along (SSE and WebSocket) must keep getting what is sent, whatever it is.
    const ws = new WebSocket(`${a.localUrl.replace('http', 'ws')}/ws`);
    const wsFrames: string[] = [];
    ws.on('message', (raw) => wsFrames.push(String(raw)));
    const [sse] = await Promise.all([openSse(`${a.localUrl}/msg`), new Promise<void>((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)))]);
    let sent = 0;
    try {
      await fc.assert(
        fc.asyncProperty(method, topicPath, query, contentType, body, extra, async (m, path, q, type, bytes, more) => {
          const qs = q.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
          const headers: Record<string, string> = { ...more };
          if (headers['accept']?.includes('text/event-stream')) delete headers['accept']; // a stream would not end
          if (type !== undefined) headers['content-type'] = type;
          const res = await send(`${a.localUrl}${path}${qs ? `?${qs}` : ''}`, localAgent, m, headers, m === 'GET' || m === 'HEAD' ? undefined : bytes);
          assert.ok([200, 202, 204].includes(res.status) || (res.status >= 400 && res.status < 500), `HTTP ${res.status} for ${m} ${path}?${qs}: ${res.body.slice(0, 200)}`);
          if (res.status >= 400 && m !== 'HEAD') assert.match(res.body, /"error":\{"code":"[A-Z_]+","message":/);
          if (res.status === 202 && (JSON.parse(res.body) as { status: string }).status === 'local') sent++;
        }),
        { numRuns: RUNS, includeErrorInReport: true },
      );
      const marker = await fetch(`${a.localUrl}/msg/marker`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"last":true}' });
      const { id } = (await marker.json()) as { id: string };
      await sse.waitFor((e) => e.data.includes(id), 30_000);
      assert.ok(!sse.events.some((e) => e.event === 'end'), 'the SSE stream was ended');
      assert.ok(sse.events.length >= sent + 1, `SSE got ${sse.events.length} of ${sent + 1}`);
      if (!wsFrames.some((f) => f.includes(id))) {
        await new Promise<void>((resolve) => ws.on('message', (raw) => String(raw).includes(id) && resolve()));
      }
      assert.equal(ws.readyState, ws.OPEN);
      const poll = await fetch(`${a.localUrl}/msg`);
      assert.equal(poll.status, 200);
    } finally {
      sse.close();
      ws.close();
    }
  });

  it('app WebSocket: random frames each get an answer, and the socket stays usable', { timeout: TIMEOUT }, async () => {
    const ws = new WebSocket(`${a.localUrl.replace('http', 'ws')}/ws?topic=none-of-these`);
    await new Promise<void>((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
    const answers: Array<Record<string, unknown>> = [];
    let wake: (() => void) | null = null;
    ws.on('message', (raw) => {
      answers.push(JSON.parse(String(raw)) as Record<string, unknown>);
      wake?.();
    });
    const next = async (): Promise<Record<string, unknown>> => {
      while (answers.length === 0) await new Promise<void>((r) => (wake = r));
      return answers.shift()!;
    };
    const frame = fc.oneof(
      fc.record(
        { type: fc.constantFrom('send', 'other', 1), topic: fc.oneof(fc.stringMatching(/^[a-z]{1,8}$/), fc.string(), fc.constant(null)), to: fc.oneof(fc.constant(''), fc.constantFrom(a.node.identity.id, makeCard().card.id), fc.string()), data: fc.jsonValue({ maxDepth: 3 }), encoding: fc.constantFrom('base64', 'text', undefined), ttl: fc.oneof(fc.nat(), fc.string()), urgency: fc.string(), meta: fc.oneof(fc.dictionary(fc.string(), fc.string()), fc.jsonValue()), ref: fc.nat() },
        { requiredKeys: ['type'] },
      ).map((f) => ({ text: JSON.stringify(f), binary: false })),
      fc.string({ maxLength: 200 }).map((text) => ({ text, binary: false })),
      bytes(200).map((b) => ({ text: b.toString('latin1'), binary: true })),
      fc.nat({ max: 20_000 }).map((d) => ({ text: `{"type":"send","topic":"t","data":${'['.repeat(d)}${']'.repeat(d)}}`, binary: false })),
    );
    await fc.assert(
      fc.asyncProperty(frame, async (f) => {
        ws.send(f.binary ? Buffer.from(f.text, 'latin1') : f.text, { binary: f.binary });
        const answer = await next();
        assert.ok(answer['type'] === 'sent' || answer['type'] === 'error', JSON.stringify(answer));
        if (answer['type'] === 'error') assert.match(String((answer['error'] as { code?: string })?.code), /^ERR_[A-Z_]+$/);
      }),
      { numRuns: RUNS, includeErrorInReport: true },
    );
    ws.send(JSON.stringify({ type: 'send', ref: 'last', topic: 'ws-ok', data: { fine: true } }));
    assert.deepEqual({ ...(await next()), id: 'x' }, { type: 'sent', ref: 'last', id: 'x', status: 'local' });
    ws.close();
  });

  it('afterwards the node is healthy and carries a good message from the other node', { timeout: TIMEOUT }, async () => {
    const health = await fetch(`${a.localUrl}/healthz`);
    assert.equal(health.status, 200);
    const stream = await openSse(`${a.localUrl}/msg/after-fuzz`);
    try {
      const res = await fetch(`${b.localUrl}/msg/after-fuzz?to=${a.node.identity.id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"still":"alive"}' });
      assert.equal(res.status, 202);
      const { id } = (await res.json()) as { id: string };
      const ev = await stream.waitFor((e) => (JSON.parse(e.data) as { id: string }).id === id, 60_000);
      const m = JSON.parse(ev.data) as Record<string, unknown>;
      assert.equal(m['from'], b.node.identity.id);
      assert.deepEqual(m['data'], { still: 'alive' });
    } finally {
      stream.close();
    }
  });
});
