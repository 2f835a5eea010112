/**
 * Property tests (fast-check) for every parser of outside input the
 * transports added: NodeCard resources, cards in Node metadata, peer URLs,
 * HTTPS answers, close reasons — and the ADS link itself, fed arbitrary
 * frames as either end: it never throws, and either stays up or ends with
 * a protocol reason.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import { isPushmeshError } from '../../src/errors/index.js';
import { parsePeerUrl } from '../../src/links/peer-url.js';
import { MemoryNetwork } from '../../src/transport/memory/memory-network.js';
import { memoryTransport } from '../../src/transport/memory/memory-transport.js';
import { builtinTransports } from '../../src/transport/registry.js';
import {
  decodeNodeCard,
  encodeDiscoveryRequest,
  encodeDiscoveryResponse,
  NODE_CARD_TYPE_URL,
  STATUS_TYPE_URL,
  WEBPUSH_MESSAGE_TYPE_URL,
} from '../../src/proto/index.js';
import type { Any } from '../../src/proto/types.js';
import { cardFromAny, cardFromNode } from '../../src/transport/ads/ads-frames.js';
import { AdsClientLink } from '../../src/transport/ads/ads-client-link.js';
import type { AdsLink } from '../../src/transport/ads/ads-link.js';
import { AdsServerLink } from '../../src/transport/ads/ads-server-link.js';
import { closeReasonFrom, closeText } from '../../src/transport/close-codes.js';
import { outcomeOfHttp } from '../../src/transport/https/nack-error.js';
import { linkLimits } from '../../src/transport/link-limits.js';
import type { LinkCloseReason } from '../../src/transport/types.js';
import { protobufNoise as noise } from '../helpers/protobuf-noise.js';
import { makeNode } from '../message/nodes.js';
import { sealedBytes } from './messages.js';
import { ScriptedChannel } from './scripted-channel.js';

const logger = pino({ level: 'silent' });
const onlyCodes = (codes: string[]) => (err: unknown) => isPushmeshError(err) && codes.includes(err.code);

/** Tags of plausible field numbers with any wire type and payload: bytes that look like protobuf. */
const protobufNoise = noise({ fields: fc.integer({ min: 1, max: 8 }), wireTypes: [0, 1, 2, 5, 3, 7], maxPayload: 48, maxParts: 10 });
const bytes = fc.oneof(fc.uint8Array({ maxLength: 200 }), protobufNoise);

describe('parsers of peer input (fast-check)', () => {
  it('decodeNodeCard: any bytes give a NodeCard or ERR_BAD_MESSAGE', () => {
    fc.assert(
      fc.property(bytes, (b) => {
        try {
          const c = decodeNodeCard(b);
          assert.equal(typeof c.id, 'string');
        } catch (err) {
          assert.ok(onlyCodes(['ERR_BAD_MESSAGE'])(err), String(err));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('cardFromAny / cardFromNode: anything gives a valid card or ERR_BAD_MESSAGE / ERR_BAD_CARD', () => {
    const node = makeNode();
    fc.assert(
      fc.property(fc.oneof(bytes, fc.constant(Buffer.from([]))), fc.constantFrom(NODE_CARD_TYPE_URL, 'x'), fc.jsonValue(), (value, typeUrl, json) => {
        for (const f of [() => cardFromAny({ typeUrl, value }), () => cardFromNode({ id: '', cluster: '', userAgentName: '', clientFeatures: [], metadata: { pushmesh_card: json as never } })]) {
          try {
            const card = f();
            if (card) assert.match(card.id, /^[a-z2-7]{52}$/);
          } catch (err) {
            assert.ok(onlyCodes(['ERR_BAD_MESSAGE', 'ERR_BAD_CARD'])(err), String(err));
          }
        }
      }),
      { numRuns: 1000 },
    );
    assert.deepEqual(cardFromNode({ id: '', cluster: '', userAgentName: '', clientFeatures: [], metadata: { pushmesh_card: node.card as never } }), node.card);
  });

  it('parsePeerUrl: any string gives a target or ERR_CONFIG; good URLs round-trip', () => {
    const transports = builtinTransports();
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.webUrl(), fc.string().map((s) => `grpcs://${s}`), fc.string().map((s) => `wss://${s}/ws`)), (text) => {
        try {
          const t = parsePeerUrl(text, transports);
          assert.ok(t.transport === 'grpc' || t.transport === 'wss');
          assert.ok(t.port >= 0 && t.port <= 65535);
        } catch (err) {
          assert.ok(onlyCodes(['ERR_CONFIG'])(err), String(err));
        }
      }),
      { numRuns: 2000 },
    );
    const id = makeNode().id;
    assert.deepEqual(parsePeerUrl(`grpcs://${id}@relay.example:15007`, transports), { transport: 'grpc', host: 'relay.example', port: 15007, expectedId: id, url: `grpcs://${id}@relay.example:15007` });
    assert.deepEqual(parsePeerUrl('wss://[::1]:15443/ws', transports), { transport: 'wss', host: '::1', port: 15443, url: 'wss://[::1]:15443/ws' });
    assert.throws(() => parsePeerUrl('grpcs://relay.example', transports), /port is required/);
    assert.throws(() => parsePeerUrl('wss://h:1/', transports), /path must be \/ws/);
    assert.throws(() => parsePeerUrl('https://h:1', transports), /grpcs:\/\/ or wss:\/\//);
    assert.throws(() => parsePeerUrl('grpcs://notanid@h:1', transports), /not a full node ID/);
    // The schemes are the node's transports': memory:// only where the memory transport is given.
    assert.throws(() => parsePeerUrl(`memory://${id}@b`, transports), /must be grpcs:\/\/ or wss:\/\//);
    const withMemory = [...transports, memoryTransport(new MemoryNetwork())];
    assert.deepEqual(parsePeerUrl(`memory://${id}@b`, withMemory), { transport: 'memory', host: 'b', port: 0, expectedId: id, url: `memory://${id}@b` });
    assert.throws(() => parsePeerUrl('https://h:1', withMemory), /must be grpcs:\/\/, wss:\/\/ or memory:\/\//);
    assert.throws(() => parsePeerUrl('memory://b:1', withMemory), /has no port/);
    assert.throws(() => parsePeerUrl('memory://b/x', withMemory), /has no path/);
  });

  it('outcomeOfHttp and closeReasonFrom never throw; closeText fits a close frame', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999 }), fc.option(fc.string()), fc.string({ maxLength: 400 }), (status, reason, text) => {
        const o = outcomeOfHttp(status, reason ?? undefined);
        if (status >= 200 && status < 300) assert.deepEqual(o, { ok: true });
        assert.equal(typeof closeReasonFrom('ws', status, text), 'string');
        assert.equal(typeof closeReasonFrom('grpc', status % 17, text), 'string');
        assert.ok(Buffer.byteLength(closeText('protocol_error', text)) <= 123);
      }),
      { numRuns: 2000 },
    );
  });
});

const PEER_REASONS: LinkCloseReason[] = ['protocol_error', 'too_large', 'flood'];

describe('the ADS link fed arbitrary frames (fast-check)', () => {
  const a = makeNode();
  const b = makeNode();

  function link(role: 'client' | 'server'): { link: AdsLink; channel: ScriptedChannel } {
    const channel = new ScriptedChannel();
    const init = {
      transport: 'memory' as const,
      channel,
      self: { id: a.id, card: a.card, version: 't' },
      peer: { id: b.id, proof: 'memory' as const },
      limits: linkLimits({ window: 8, floodPerSecond: 50, handshakeTimeoutMs: 60_000 }),
      logger,
    };
    const l = role === 'client' ? new AdsClientLink(init) : new AdsServerLink(init);
    l.start();
    void (async () => {
      for await (const m of l.incoming) m.ack();
    })();
    return { link: l, channel };
  }

  it('never throws; ends only with a reason that blames the peer, and tells the peer', async () => {
    const valid = await sealedBytes(b, a);
    const any = fc.oneof(
      fc.record({ typeUrl: fc.constantFrom(WEBPUSH_MESSAGE_TYPE_URL, STATUS_TYPE_URL, NODE_CARD_TYPE_URL, 'type.googleapis.com/x'), value: fc.oneof(bytes, fc.constant(valid)) }),
    ) as fc.Arbitrary<Any>;
    const structured = fc.oneof(
      fc.record({ typeUrl: fc.constantFrom(WEBPUSH_MESSAGE_TYPE_URL, NODE_CARD_TYPE_URL, ''), responseNonce: fc.constantFrom('', '1', '2', 'x'), resources: fc.array(any, { maxLength: 12 }) }).map((r) => [
        encodeDiscoveryRequest({ typeUrl: r.typeUrl, responseNonce: r.responseNonce, pushmeshResources: r.resources }),
        encodeDiscoveryResponse({ typeUrl: r.typeUrl, nonce: r.responseNonce, resources: r.resources }),
      ]),
      fc.record({ resources: fc.array(any, { maxLength: 12 }) }).map((r) => [encodeDiscoveryResponse({ typeUrl: STATUS_TYPE_URL, resources: r.resources }), encodeDiscoveryRequest({ typeUrl: WEBPUSH_MESSAGE_TYPE_URL })]),
    );
    const frames = fc.array(fc.oneof(bytes.map((x) => [x, x]), structured), { minLength: 1, maxLength: 8 });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('client' as const, 'server' as const), frames, async (role, list) => {
        const { link: l, channel } = link(role);
        for (const pair of list) {
          const frame = role === 'server' ? pair[0]! : pair[1]!;
          channel.events.frame(frame); // must not throw, whatever it is
        }
        await new Promise((r) => setImmediate(r));
        if (l.isClosed) {
          const ended = await l.closed;
          assert.ok(PEER_REASONS.includes(ended.reason), `ended with ${ended.reason}: ${ended.message}`);
          assert.equal(channel.ended, ended.reason, 'the peer is told why');
        } else {
          l.close();
        }
      }),
      { numRuns: 400 },
    );
  });
});
