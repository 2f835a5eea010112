/**
 * The ADS protocol engine driven frame by frame (no sockets): details of
 * the handshake and of answers that the compliance suite cannot reach.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import {
  decodeDiscoveryRequest,
  decodeDiscoveryResponse,
  encodeDiscoveryRequest,
  encodeDiscoveryResponse,
  encodeStatus,
  nackStatus,
  NODE_CARD_TYPE_URL,
  STATUS_TYPE_URL,
  WEBPUSH_MESSAGE_TYPE_URL,
} from '../../src/proto/index.js';
import { AdsClientLink } from '../../src/transport/ads/ads-client-link.js';
import { AdsServerLink } from '../../src/transport/ads/ads-server-link.js';
import { linkLimits } from '../../src/transport/link-limits.js';
import { makeNode } from '../message/nodes.js';
import { sealedBytes } from './messages.js';
import { ScriptedChannel } from './scripted-channel.js';

const logger = pino({ level: 'silent' });
const me = makeNode();
const peer = makeNode();
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function server(): { link: AdsServerLink; ch: ScriptedChannel } {
  const ch = new ScriptedChannel();
  const link = new AdsServerLink({ transport: 'memory', channel: ch, self: { id: me.id, card: me.card, version: 't' }, peer: { id: peer.id, proof: 'memory' }, limits: linkLimits(), logger });
  link.start();
  return { link, ch };
}

function client(): { link: AdsClientLink; ch: ScriptedChannel } {
  const ch = new ScriptedChannel();
  const link = new AdsClientLink({ transport: 'memory', channel: ch, self: { id: me.id, card: me.card, version: 't' }, peer: { id: peer.id, proof: 'memory' }, limits: linkLimits(), logger });
  link.start();
  return { link, ch };
}

describe('ADS link, frame by frame', () => {
  it('server: messages sent after the card request wait for the message subscription, then go at once', async () => {
    const { link, ch } = server();
    ch.events.frame(encodeDiscoveryRequest({ typeUrl: NODE_CARD_TYPE_URL, node: { id: peer.id, metadata: { pushmesh_card: peer.card as never } } }));
    await link.ready;
    assert.deepEqual(link.peerCard, peer.card);
    const card = decodeDiscoveryResponse(ch.written[0]!);
    assert.equal(card.typeUrl, NODE_CARD_TYPE_URL);
    const sent = link.send(await sealedBytes(me, peer));
    await tick();
    assert.equal(ch.written.length, 1, 'nothing written before the subscription');
    ch.events.frame(encodeDiscoveryRequest({ typeUrl: WEBPUSH_MESSAGE_TYPE_URL }));
    await tick();
    const res = decodeDiscoveryResponse(ch.written[1]!);
    assert.equal(res.typeUrl, WEBPUSH_MESSAGE_TYPE_URL);
    assert.equal(res.resources.length, 1);
    ch.events.frame(encodeDiscoveryRequest({ typeUrl: WEBPUSH_MESSAGE_TYPE_URL, responseNonce: res.nonce, versionInfo: res.versionInfo }));
    assert.deepEqual(await sent, { ok: true });
    link.close();
  });

  it('server: a NACK with one status per message refuses exactly those; without details, all of them', async () => {
    const { link, ch } = server();
    ch.events.frame(encodeDiscoveryRequest({ typeUrl: WEBPUSH_MESSAGE_TYPE_URL }));
    await link.ready;
    const [m1, m2, m3, m4] = await Promise.all([1, 2, 3, 4].map(() => sealedBytes(me, peer)));
    const first = [link.send(m1!), link.send(m2!)]; // one synchronous run: one frame
    await tick();
    const r1 = decodeDiscoveryResponse(ch.written.at(-1)!);
    assert.equal(r1.resources.length, 2);
    const ok = { typeUrl: STATUS_TYPE_URL, value: encodeStatus({ code: 0, message: '', details: [] }) };
    const noRoute = { typeUrl: STATUS_TYPE_URL, value: encodeStatus(nackStatus('no_route')) };
    ch.events.frame(encodeDiscoveryRequest({ typeUrl: WEBPUSH_MESSAGE_TYPE_URL, responseNonce: r1.nonce, errorDetail: { ...nackStatus('no_route'), details: [ok, noRoute] } }));
    assert.deepEqual(await Promise.all(first), [{ ok: true }, { ok: false, reason: 'no_route' }]);

    const second = [link.send(m3!), link.send(m4!)];
    await tick();
    const r2 = decodeDiscoveryResponse(ch.written.at(-1)!);
    ch.events.frame(encodeDiscoveryRequest({ typeUrl: WEBPUSH_MESSAGE_TYPE_URL, responseNonce: r2.nonce, errorDetail: nackStatus('queue_full') }));
    assert.deepEqual(await Promise.all(second), [{ ok: false, reason: 'queue_full' }, { ok: false, reason: 'queue_full' }]);
    link.close();
  });

  it('server: answering a later response also accepts the earlier unanswered ones', async () => {
    const { link, ch } = server();
    ch.events.frame(encodeDiscoveryRequest({ typeUrl: WEBPUSH_MESSAGE_TYPE_URL }));
    await link.ready;
    const a = link.send(await sealedBytes(me, peer));
    await tick();
    const b = link.send(await sealedBytes(me, peer));
    await tick();
    const last = decodeDiscoveryResponse(ch.written.at(-1)!);
    ch.events.frame(encodeDiscoveryRequest({ typeUrl: WEBPUSH_MESSAGE_TYPE_URL, responseNonce: last.nonce, versionInfo: last.versionInfo }));
    assert.deepEqual(await Promise.all([a, b]), [{ ok: true }, { ok: true }]);
    link.close();
  });

  it('client: opens with its card and both subscriptions, refuses a card of another node, answers a NACK per message', async () => {
    const { link, ch } = client();
    const first = decodeDiscoveryRequest(ch.written[0]!);
    assert.equal(first.typeUrl, NODE_CARD_TYPE_URL);
    assert.deepEqual(first.node?.metadata?.['pushmesh_card'], me.card);
    assert.equal(decodeDiscoveryRequest(ch.written[1]!).typeUrl, WEBPUSH_MESSAGE_TYPE_URL);

    const stranger = makeNode();
    const { cardAny } = await import('../../src/transport/ads/ads-frames.js');
    ch.events.frame(encodeDiscoveryResponse({ typeUrl: NODE_CARD_TYPE_URL, nonce: '1', resources: [cardAny(stranger.card)] }));
    await assert.rejects(link.ready, /card is not the peer's/);
    assert.equal(ch.ended, 'protocol_error');

    const second = client();
    second.ch.events.frame(encodeDiscoveryResponse({ typeUrl: NODE_CARD_TYPE_URL, nonce: '1', versionInfo: '1', resources: [cardAny(peer.card)], controlPlane: { identifier: peer.id } }));
    await second.link.ready;
    const good = await sealedBytes(peer, me);
    const consumer = (async () => {
      let i = 0;
      for await (const m of second.link.incoming) (i++ === 0 ? m.ack() : m.nack('hop_limit'));
    })();
    second.ch.events.frame(
      encodeDiscoveryResponse({ typeUrl: WEBPUSH_MESSAGE_TYPE_URL, nonce: '2', versionInfo: '2', resources: [{ typeUrl: WEBPUSH_MESSAGE_TYPE_URL, value: good }, { typeUrl: WEBPUSH_MESSAGE_TYPE_URL, value: good }] }),
    );
    await tick();
    const nack = decodeDiscoveryRequest(second.ch.written.at(-1)!);
    assert.equal(nack.responseNonce, '2');
    assert.equal(nack.versionInfo, '', 'no WebpushMessage version accepted yet (versions are per type URL)');
    assert.equal(nack.errorDetail?.message, 'hop_limit');
    assert.equal(nack.errorDetail?.details.length, 2);
    second.link.close();
    await consumer;
  });
});
