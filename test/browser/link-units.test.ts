import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { nodeIdFromPublicKey } from '../../src/identity/node-id.js';
import { randomBytes } from 'node:crypto';
import { toBase64Url } from '../../src/util/base64url.js';
import { decodeDiscoveryRequest, encodeDiscoveryResponse } from '../../src/proto/index.js';
import { encodeNodeCard, NODE_CARD_TYPE_URL } from '../../src/proto/node-card.js';
import { decodeStatus } from '../../src/proto/status.js';
import { verifyAttachment } from '../../src/routing/attachment.js';
import { decodeRouteAnnouncement } from '../../src/routing/wire.js';
import { encodeChallenge, newChallenge, parseProof, verifyProof } from '../../src/transport/auth/ws-challenge.js';
import { generatePrivateKey, uncompressedPublicKey } from '../helpers/keys.js';
import { compiledModules } from './tabs.js';
import { cleanupScope } from './support/link-fixture.js';

/*
 * The browser modules (src/browser, compiled by tsc as they are bundled) run here on Node's WebCrypto:
 * they use no DOM API but WebSocket (given) and IndexedDB (not used here). They are loaded at run time
 * and typed here by what the tests use: src/browser is type-checked with the DOM library
 * (tsconfig.browser.json), not by the main tsconfig.
 */
type Identity = { id: string; publicKey: Uint8Array; ecdhKey: unknown; signingKey: unknown; auth: Uint8Array };
type LinkOutcome = { ok: true } | { ok: false; reason: string };
interface RelayLinkLike {
  start(): Promise<void>;
  close(): void;
  send(wire: Uint8Array): Promise<LinkOutcome>;
  readonly ended: Promise<{ reason: string; detail: string; wasUp: boolean }>;
  readonly isUp: boolean;
  readonly relayCard: { id: string } | undefined;
}
interface LinkModule {
  RelayLink: new (o: Record<string, unknown>) => RelayLinkLike;
  RelayConnection: new (o: Record<string, unknown>) => { start(): void; close(): void };
  parseRelayUrl(text: string): { url: string; relay?: string };
  NACK_REASONS: readonly string[];
}
interface SupportModule {
  openForSelf(bytes: Uint8Array, self: Identity, mac: unknown, replay: unknown): Promise<{ ok: true } | { ok: false; reason: string }>;
  attachmentAnnouncement(identity: Identity, relay: string, expires: number): Promise<string>;
}
interface IdentityModule {
  generateIdentity(): Promise<Identity>;
}
interface SenderMacModule {
  SenderMacKeys: new (ecdhKey: unknown, publicKey: Uint8Array) => unknown;
}

/** A WebSocket stand-in: the test plays the relay. */
class FakeSocket {
  binaryType = 'blob';
  readyState = 1;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: (() => void) | null = null;
  readonly sent: unknown[] = [];
  closedWith: { code?: number; reason?: string } | undefined;
  send(data: unknown): void {
    this.sent.push(data);
  }
  close(code?: number, reason?: string): void {
    if (this.closedWith) return;
    this.closedWith = { ...(code !== undefined ? { code } : {}), ...(reason !== undefined ? { reason } : {}) };
    this.readyState = 3;
    queueMicrotask(() => this.onclose?.({ code: code ?? 1005, reason: reason ?? '' }));
  }
  frame(data: unknown): void {
    this.onmessage?.({ data });
  }
}

describe('pushmesh/browser link: units and properties (Node WebCrypto)', { timeout: 300_000 }, () => {
  const { scope, runCleanups } = cleanupScope();
  let link: LinkModule;
  let support: SupportModule;
  let identityMod: IdentityModule;
  let macMod: SenderMacModule;
  let moduleDir: string;
  const relayKey = generatePrivateKey();
  const relayId = nodeIdFromPublicKey(uncompressedPublicKey(relayKey));

  before(async () => {
    const dir = await compiledModules(scope);
    moduleDir = dir;
    const load = (p: string): Promise<unknown> => import(pathToFileURL(join(dir, 'browser', p)).href);
    link = (await load('link.js')) as LinkModule;
    support = (await load('link-support.js')) as SupportModule;
    identityMod = (await load('core/identity.js')) as IdentityModule;
    macMod = (await load('core/sender-mac.js')) as SenderMacModule;
  });
  after(async () => {
    await runCleanups();
  });

  /** A RelayLink on a fake socket, with a fresh identity. */
  async function newLink(): Promise<{ l: InstanceType<LinkModule['RelayLink']>; ws: FakeSocket; id: string }> {
    const identity = await identityMod.generateIdentity();
    const ws = new FakeSocket();
    const l = new link.RelayLink({
      url: 'wss://relay.invalid/ws',
      identity,
      card: { id: identity.id, endpoint: '', keys: { p256dh: 'x', auth: 'y' } },
      handler: { receive: async (m: Uint8Array[]) => m.map(() => ({ ok: true }) as const) },
      webSocket: () => ws as unknown as WebSocket,
      handshakeTimeoutMs: 60_000,
    });
    return { l, ws, id: identity.id };
  }

  it("answers the relay's challenge with a proof the node's own verifier accepts (binding none), then subscribes", async () => {
    const { l, ws, id } = await newLink();
    const started = l.start();
    const challenge = newChallenge(relayId);
    ws.frame(encodeChallenge(challenge));
    await until(() => ws.sent.length >= 3);
    const proof = parseProof(ws.sent[0], false);
    assert.equal(proof.binding, 'none');
    assert.equal(verifyProof(proof, challenge, null), id);
    assert.ok(ws.sent[1] instanceof Uint8Array && ws.sent[2] instanceof Uint8Array, 'the card and message subscriptions follow the proof');
    l.close();
    await assert.rejects(started);
  });

  it("the handshake, then ACK and NACK frames as the node's decoders read them (NACK: one status per message, in order)", async () => {
    const identity = await identityMod.generateIdentity();
    const ws = new FakeSocket();
    let n = 0;
    const l = new link.RelayLink({
      url: 'wss://relay.invalid/ws',
      identity,
      card: { id: identity.id, endpoint: '', keys: { p256dh: 'x', auth: 'y' } },
      // Every other message refused (bad_message), the rest accepted.
      handler: { receive: async (m: Uint8Array[]) => m.map(() => (n++ % 2 === 1 ? ({ ok: false, reason: 'bad_message' } as const) : ({ ok: true } as const))) },
      webSocket: () => ws as unknown as WebSocket,
    });
    const started = l.start();
    ws.frame(encodeChallenge(newChallenge(relayId)));
    await until(() => ws.sent.length >= 3);
    const first = decodeDiscoveryRequest(ws.sent[1] as Uint8Array);
    assert.equal(first.typeUrl, NODE_CARD_TYPE_URL);
    assert.equal(first.node?.id, identity.id);
    assert.deepEqual((first.node?.metadata as Record<string, { id: string }>)['pushmesh_card']!.id, identity.id);
    const relayCard = encodeNodeCard({ id: relayId, endpoint: '', p256dh: toBase64Url(uncompressedPublicKey(relayKey)), auth: toBase64Url(randomBytes(16)) });
    const buf = (b: Uint8Array): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    ws.frame(buf(encodeDiscoveryResponse({ typeUrl: NODE_CARD_TYPE_URL, versionInfo: '1', nonce: '1', resources: [{ typeUrl: NODE_CARD_TYPE_URL, value: relayCard }], controlPlane: { identifier: relayId } })));
    await started;
    assert.equal(l.relayCard?.id, relayId);
    const cardAck = decodeDiscoveryRequest(ws.sent[3] as Uint8Array);
    assert.deepEqual([cardAck.typeUrl, cardAck.responseNonce, cardAck.versionInfo], [NODE_CARD_TYPE_URL, '1', '1']);
    const M = 'type.googleapis.com/pushmesh.v1.WebpushMessage';
    const msgs = (k: number): Array<{ typeUrl: string; value: Uint8Array }> => Array.from({ length: k }, () => ({ typeUrl: M, value: new Uint8Array([1, 2, 3]) }));
    ws.frame(buf(encodeDiscoveryResponse({ typeUrl: M, versionInfo: '2', nonce: '2', resources: msgs(1), controlPlane: { identifier: relayId } })));
    ws.frame(buf(encodeDiscoveryResponse({ typeUrl: M, versionInfo: '3', nonce: '3', resources: msgs(3), controlPlane: { identifier: relayId } })));
    await until(() => ws.sent.length >= 6);
    const ack = decodeDiscoveryRequest(ws.sent[4] as Uint8Array);
    assert.deepEqual([ack.typeUrl, ack.responseNonce, ack.versionInfo, ack.errorDetail], [M, '2', '2', undefined]);
    const nack = decodeDiscoveryRequest(ws.sent[5] as Uint8Array);
    assert.deepEqual([nack.responseNonce, nack.versionInfo, nack.errorDetail?.code, nack.errorDetail?.message], ['3', '2', 3, 'bad_message']);
    assert.deepEqual(
      nack.errorDetail!.details.map((d) => (d.value.length === 0 ? 0 : decodeStatus(d.value).message)),
      ['bad_message', 0, 'bad_message'],
    );
    // A message sent: one request of one message; the status response answers it.
    const outcome = l.send(new Uint8Array([9, 9]));
    await until(() => ws.sent.length >= 7);
    const req = decodeDiscoveryRequest(ws.sent[6] as Uint8Array);
    assert.equal(req.pushmeshResources.length, 1);
    ws.frame(buf(encodeDiscoveryResponse({ typeUrl: 'type.googleapis.com/google.rpc.Status', nonce: '9', controlPlane: { identifier: relayId } })));
    assert.deepEqual(await outcome, { ok: true });
    // A response naming another control plane ends the link.
    ws.frame(buf(encodeDiscoveryResponse({ typeUrl: M, nonce: '4', versionInfo: '4', resources: msgs(1), controlPlane: { identifier: identity.id } })));
    assert.equal((await l.ended).reason, 'protocol_error');
  });

  it('refuses a challenge naming another relay than the URL said', async () => {
    const identity = await identityMod.generateIdentity();
    const ws = new FakeSocket();
    const other = nodeIdFromPublicKey(uncompressedPublicKey(generatePrivateKey()));
    const l = new link.RelayLink({
      url: 'wss://relay.invalid/ws',
      identity,
      card: { id: identity.id, endpoint: '', keys: { p256dh: 'x', auth: 'y' } },
      handler: { receive: async () => [] },
      expectRelay: relayId,
      webSocket: () => ws as unknown as WebSocket,
    });
    const started = l.start();
    ws.frame(encodeChallenge(newChallenge(other)));
    const end = await l.ended;
    assert.equal(end.reason, 'protocol_error');
    assert.equal(ws.closedWith?.code, 1002);
    assert.equal(ws.sent.length, 0, 'no proof for another relay');
    await assert.rejects(started);
  });

  it('property: any frames from the relay end the link as protocol_error or leave it waiting, never throw', async () => {
    const frame = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.uint8Array({ maxLength: 300 }).map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)),
      fc.constantFrom(
        // A well-formed response of each kind at a wrong moment.
        encodeDiscoveryResponse({ typeUrl: 'type.googleapis.com/google.rpc.Status', nonce: '1' }),
        encodeDiscoveryResponse({ typeUrl: 'type.googleapis.com/pushmesh.v1.WebpushMessage', nonce: '1', resources: [{ typeUrl: 'x', value: new Uint8Array(3) }] }),
        encodeDiscoveryResponse({ typeUrl: 'type.googleapis.com/pushmesh.v1.NodeCard', nonce: '1', resources: [] }),
      ).map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)),
    );
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(frame, { maxLength: 6 }), async (challengeFirst, frames) => {
        const { l, ws } = await newLink();
        const started = l.start();
        started.catch(() => undefined);
        if (challengeFirst) {
          ws.frame(encodeChallenge(newChallenge(relayId)));
          await until(() => ws.sent.length >= 3);
        }
        for (const f of frames) ws.frame(f);
        // Let the link's async steps (card checks, answers) run.
        for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
        if (!l.isUp) {
          l.close();
          const end = await l.ended;
          assert.ok(['protocol_error', 'normal'].includes(end.reason), end.reason);
        } else l.close();
      }),
      { numRuns: 150 },
    );
  });

  it('RelayConnection: backoff doubles from 250 ms with full jitter up to 30 s; a refusal (4401) waits the full 30 s', async () => {
    const identity = await identityMod.generateIdentity();
    const closeCodes = [1006, 1006, 1006, 1006, 4401, 1006];
    const events: Array<{ state: string; reason?: string; retryInMs?: number }> = [];
    let dials = 0;
    const timers: Array<() => void> = [];
    // The connection's waits are recorded, not slept: each dial's socket closes at once with the next code.
    const conn = new link.RelayConnection({
      url: 'wss://relay.invalid/ws',
      identity,
      card: { id: identity.id, endpoint: '', keys: { p256dh: 'x', auth: 'y' } },
      handler: { receive: async () => [] },
      random: () => 0.999999,
      schedule: (dial: () => void) => {
        timers.push(dial);
        return () => undefined;
      },
      onState: (e: { state: string; reason?: string; retryInMs?: number }) => events.push({ state: e.state, ...(e.reason ? { reason: e.reason } : {}), ...(e.retryInMs !== undefined ? { retryInMs: e.retryInMs } : {}) }),
      webSocket: () => {
        const ws = new FakeSocket();
        const code = closeCodes[dials++] ?? 1006;
        queueMicrotask(() => ws.onclose?.({ code, reason: code === 4401 ? 'unauthenticated: proof refused' : '' }));
        return ws as unknown as WebSocket;
      },
    });
    try {
      conn.start();
      for (let i = 0; i < closeCodes.length; i++) {
        await until(() => timers.length > 0);
        timers.shift()!();
      }
    } finally {
      conn.close();
    }
    const waits = events.filter((e) => e.state === 'down' || e.state === 'refused');
    assert.deepEqual(
      waits.slice(0, 6).map((e) => [e.state, e.reason, e.retryInMs]),
      [
        ['down', 'network', 249],
        ['down', 'network', 499],
        ['down', 'network', 999],
        ['down', 'network', 1999],
        ['refused', 'unauthenticated', 30_000],
        ['down', 'network', 7999],
      ],
    );
  });

  it('property: parseRelayUrl answers any text with a URL or ERR_BAD_ARGUMENT', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.webUrl({ validSchemes: ['wss', 'ws', 'https'], withQueryParameters: true, withFragments: true }), fc.constant(`wss://${relayId}@h:1/ws`)), (text) => {
        try {
          const r = link.parseRelayUrl(text);
          assert.match(r.url, /^wss?:\/\//);
          if (r.relay) assert.match(r.relay, /^[a-z2-7]{52}$/);
        } catch (err) {
          assert.equal((err as { code?: string }).code, 'ERR_BAD_ARGUMENT', String(err));
        }
      }),
      { numRuns: 500 },
    );
    assert.deepEqual(link.parseRelayUrl(`wss://${relayId}@relay.example:15443/ws`), { url: 'wss://relay.example:15443/ws', relay: relayId });
  });

  it('property: openForSelf answers any bytes with a NACK reason, never throws', async () => {
    const identity = await identityMod.generateIdentity();
    const mac = new macMod.SenderMacKeys(identity.ecdhKey, identity.publicKey);
    const replay = new (await import(pathToFileURL(join(moduleDir, "browser", "core", "seal.js")).href)).ReplayWindow();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), async (bytes) => {
        const r = await support.openForSelf(bytes, identity, mac, replay);
        assert.equal(r.ok, false);
        if (!r.ok) assert.ok(link.NACK_REASONS.includes(r.reason), r.reason);
      }),
      { numRuns: 300 },
    );
  });

  it("the tab's attachment announcement is read and verified by the node's own code", async () => {
    const identity = await identityMod.generateIdentity();
    const expires = Date.now() + 3600_000;
    const b64 = await support.attachmentAnnouncement(identity, relayId, expires);
    const ann = decodeRouteAnnouncement(Buffer.from(b64, 'base64'));
    assert.equal(ann.full, true);
    assert.equal(ann.routes.length, 1);
    const att = ann.routes[0]!.chain[0]!;
    assert.equal(att.node, identity.id);
    assert.equal(att.relay, relayId);
    assert.equal(att.expires, expires);
    verifyAttachment(att, Date.now());
    assert.throws(() => verifyAttachment({ ...att, relay: nodeIdFromPublicKey(uncompressedPublicKey(generatePrivateKey())) }, Date.now()));
    // The key in it is the tab's (as the node reads keys).
    assert.equal(nodeIdFromPublicKey(att.publicKey), identity.id);
  });
});

async function until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
