/**
 * The negotiated extension "answers with messages" (docs/transports.md),
 * over real sockets on 127.0.0.1, on both ADS transports:
 *
 * - a client that advertises it gets the answers to its requests of
 *   messages inside the listener's next response of messages (field
 *   1000), and a status response of its own only when no messages go back
 *   in that flush;
 * - a client that does not (Envoy's, older pushmesh nodes) gets exactly
 *   the base protocol's bytes;
 * - between two pushmesh nodes every message is still answered exactly
 *   once, in order, refusals and flow holds included.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import {
  decodeDiscoveryResponse,
  encodeDiscoveryRequest,
  encodeDiscoveryResponse,
  nackStatus,
  NODE_CARD_TYPE_URL,
  STATUS_TYPE_URL,
  WEBPUSH_MESSAGE_TYPE_URL,
} from '../../src/proto/index.js';
import { ANSWERS_WITH_MESSAGES_FEATURE, OK, answerAny, refused } from '../../src/transport/ads/ads-frames.js';
import { AdsServerLink } from '../../src/transport/ads/ads-server-link.js';
import { acceptedResponse, messagesResponse } from '../../src/transport/ads/message-frames.js';
import type { InboundMessage, SendOutcome } from '../../src/transport/types.js';
import { sealedBytes } from './messages.js';
import { dialerFor, inboxOf, openingFrames, rawAdsClient, scriptedListener, TRANSPORTS, Waitable, webpush, type RawAdsClient, type ScriptedListener, type Transport } from './answers-fixtures.js';
import { makeTlsNode, type TlsNode } from './tls-nodes.js';

const T = { timeout: 60_000 };
const OK_STATUS = { code: 0, message: '', details: [] };

function messagesRequest(values: Uint8Array[], ack?: { nonce: string; version: string }): Buffer {
  return encodeDiscoveryRequest({ typeUrl: WEBPUSH_MESSAGE_TYPE_URL, pushmeshResources: values.map(webpush), ...(ack ? { responseNonce: ack.nonce, versionInfo: ack.version } : {}) });
}

/** The listener's link for a raw client that sent its opening requests (features as given), with the card response read. */
async function openRaw(transport: Transport, listener: ScriptedListener, me: TlsNode, features: string[], t: { after(fn: () => unknown): void }) {
  const raw = await rawAdsClient(transport, listener, me, t);
  for (const f of openingFrames(me, features)) raw.write(f);
  const link = await listener.links.next();
  assert.ok(link instanceof AdsServerLink);
  const card = decodeDiscoveryResponse(await raw.frames.next());
  assert.equal(card.typeUrl, NODE_CARD_TYPE_URL);
  return { raw, link, inbox: inboxOf(link) };
}

/** The first `n` messages the listener's consumer gets. */
async function take(inbox: { next(): Promise<InboundMessage> }, n: number): Promise<InboundMessage[]> {
  const out: InboundMessage[] = [];
  for (let i = 0; i < n; i++) out.push(await inbox.next());
  return out;
}

/**
 * The same script for both kinds of client: request 1 (two messages, one
 * refused) answered while the node sends a message; request 2 answered
 * with nothing to send; requests 3 and 4 answered together while the node
 * sends again. Returns the frames the client read, in order.
 */
async function script(raw: RawAdsClient, link: AdsServerLink, inbox: ReturnType<typeof inboxOf>, me: TlsNode, node: TlsNode, carried: boolean): Promise<{ frames: Buffer[]; backs: Array<Promise<SendOutcome>> }> {
  const [m1, m2, m3, m4, m5] = await Promise.all([0, 1, 2, 3, 4].map((n) => sealedBytes(me, node, { n })));
  const [b1, b2] = await Promise.all([0, 1].map((n) => sealedBytes(node, me, { back: n })));
  const backs: Array<Promise<SendOutcome>> = [];
  const frames: Buffer[] = [];

  raw.write(messagesRequest([m1!, m2!]));
  const [i1, i2] = await take(inbox, 2);
  // One synchronous run: both answers decided and a message sent, so they leave in one flush.
  i1!.ack();
  i2!.nack('hop_limit');
  backs.push(link.send(b1!));
  const read = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) frames.push(await raw.frames.next());
  };
  await read(carried ? 1 : 2); // the base protocol adds the status response
  const messages = decodeDiscoveryResponse(frames[0]!);

  raw.write(messagesRequest([m3!], { nonce: messages.nonce, version: messages.versionInfo }));
  const [i3] = await take(inbox, 1);
  i3!.ack(); // nothing to send: a status response of its own in either protocol
  await read(1);

  raw.write(messagesRequest([m4!]));
  raw.write(messagesRequest([m5!]));
  const [i4, i5] = await take(inbox, 2);
  i4!.ack();
  i5!.nack('queue_full');
  backs.push(link.send(b2!));
  await read(carried ? 1 : 3); // the base protocol adds one status response per request
  return { frames, backs };
}

describe('answers with messages: the wire, as a raw client sees it', () => {
  for (const transport of TRANSPORTS) {
    it(`${transport}: a client that asked gets its answers in the next response of messages, and a status response only when none goes back`, T, async (t) => {
      const listener = await scriptedListener(t);
      const me = await makeTlsNode();
      const { raw, link, inbox } = await openRaw(transport, listener, me, ['envoy.lb.does_not_support_overprovisioning', ANSWERS_WITH_MESSAGES_FEATURE], t);
      assert.ok(link instanceof AdsServerLink);
      const { frames, backs } = await script(raw, link, inbox, me, listener.node, true);
      assert.equal(frames.length, 3);

      const r1 = decodeDiscoveryResponse(frames[0]!);
      assert.equal(r1.typeUrl, WEBPUSH_MESSAGE_TYPE_URL);
      assert.equal(r1.resources.length, 1);
      assert.deepEqual(r1.pushmeshAnswers, [{ request: 1, statuses: [OK_STATUS, nackStatus('hop_limit')] }]);
      // Exactly the base frame plus field 1000 (tag C2 3E) at the end.
      const base = messagesResponse(r1.nonce, [r1.resources[0]!.value], listener.node.id);
      assert.deepEqual(frames[0]!.subarray(0, base.length), base);
      assert.deepEqual([...frames[0]!.subarray(base.length, base.length + 2)], [0xc2, 0x3e]);

      // Request 2 was answered with nothing to send back: the base protocol's compact status response, byte for byte.
      const r2 = decodeDiscoveryResponse(frames[1]!);
      assert.equal(r2.typeUrl, STATUS_TYPE_URL);
      assert.deepEqual(frames[1], acceptedResponse(r2.nonce, listener.node.id));

      const r3 = decodeDiscoveryResponse(frames[2]!);
      assert.equal(r3.typeUrl, WEBPUSH_MESSAGE_TYPE_URL);
      assert.deepEqual(r3.pushmeshAnswers, [
        { request: 3, statuses: [] },
        { request: 4, statuses: [nackStatus('queue_full')] },
      ]);
      assert.deepEqual(link.answerCounts, { statusResponses: 1, carried: 3 });
      assert.equal(link.carriesAnswers, true);

      // The client ACKs the last response; the node's sends are settled once each.
      raw.write(encodeDiscoveryRequest({ typeUrl: WEBPUSH_MESSAGE_TYPE_URL, responseNonce: r3.nonce, versionInfo: r3.versionInfo }));
      assert.deepEqual(await Promise.all(backs), [OK, OK]);
      raw.close();
    });

    it(`${transport}: a client that did not ask (Envoy's, an older node) gets exactly the base protocol's bytes`, T, async (t) => {
      const listener = await scriptedListener(t);
      const me = await makeTlsNode();
      // An Envoy-style Node: other features, never ours.
      const { raw, link, inbox } = await openRaw(transport, listener, me, ['envoy.lb.does_not_support_overprovisioning', 'xds.config.resource-in-sotw'], t);
      assert.ok(link instanceof AdsServerLink);
      assert.equal(link.carriesAnswers, false);
      const { frames, backs } = await script(raw, link, inbox, me, listener.node, false);
      assert.equal(frames.length, 6);

      // Request 1: the message first, then the status response (as before the extension).
      const r1 = decodeDiscoveryResponse(frames[0]!);
      assert.equal(r1.typeUrl, WEBPUSH_MESSAGE_TYPE_URL);
      assert.equal(r1.pushmeshAnswers, undefined);
      assert.deepEqual(frames[0], messagesResponse(r1.nonce, [r1.resources[0]!.value], listener.node.id));
      const s1 = decodeDiscoveryResponse(frames[1]!);
      assert.deepEqual(
        frames[1],
        encodeDiscoveryResponse({ versionInfo: '', nonce: s1.nonce, typeUrl: STATUS_TYPE_URL, resources: [answerAny(OK), answerAny(refused('hop_limit'))], controlPlane: { identifier: listener.node.id } }),
      );
      const s2 = decodeDiscoveryResponse(frames[2]!);
      assert.deepEqual(frames[2], acceptedResponse(s2.nonce, listener.node.id));
      // Requests 3 and 4 while a message goes: the message, then one status response per request.
      const r3 = decodeDiscoveryResponse(frames[3]!);
      assert.deepEqual(frames[3], messagesResponse(r3.nonce, [r3.resources[0]!.value], listener.node.id));
      const s3 = decodeDiscoveryResponse(frames[4]!);
      assert.deepEqual(frames[4], acceptedResponse(s3.nonce, listener.node.id));
      const s4 = decodeDiscoveryResponse(frames[5]!);
      assert.deepEqual(
        frames[5],
        encodeDiscoveryResponse({ versionInfo: '', nonce: s4.nonce, typeUrl: STATUS_TYPE_URL, resources: [answerAny(refused('queue_full'))], controlPlane: { identifier: listener.node.id } }),
      );
      assert.deepEqual(link.answerCounts, { statusResponses: 4, carried: 0 });

      raw.write(encodeDiscoveryRequest({ typeUrl: WEBPUSH_MESSAGE_TYPE_URL, responseNonce: r3.nonce, versionInfo: r3.versionInfo }));
      assert.deepEqual(await Promise.all(backs), [OK, OK]);
      raw.close();
    });

    it(`${transport}: the feature counts only in the client's first request`, T, async (t) => {
      const listener = await scriptedListener(t);
      const me = await makeTlsNode();
      const { raw, link, inbox } = await openRaw(transport, listener, me, [], t);
      assert.ok(link instanceof AdsServerLink);
      const [m1] = [await sealedBytes(me, listener.node)];
      const back = await sealedBytes(listener.node, me);
      // Advertised late, with the node description repeated on a request of messages: ignored.
      raw.write(encodeDiscoveryRequest({ typeUrl: WEBPUSH_MESSAGE_TYPE_URL, node: { id: me.id, clientFeatures: [ANSWERS_WITH_MESSAGES_FEATURE] }, pushmeshResources: [webpush(m1!)] }));
      const [i1] = await take(inbox, 1);
      i1!.ack();
      void link.send(back).catch(() => undefined); // never ACKed: fails when the test ends
      const r = decodeDiscoveryResponse(await raw.frames.next());
      assert.equal(r.typeUrl, WEBPUSH_MESSAGE_TYPE_URL);
      assert.equal(r.pushmeshAnswers, undefined);
      assert.equal(decodeDiscoveryResponse(await raw.frames.next()).typeUrl, STATUS_TYPE_URL);
      assert.equal(link.carriesAnswers, false);
      raw.close();
    });
  }
});

/**
 * Two pushmesh nodes (a real dialer and listener). The listener's
 * consumer answers as a node does — a message of a held flow is refused
 * with the hold's reason (heldBack) — and sends a message back for every
 * message it handles, so its answers have responses of messages to ride in.
 */
async function pushmeshPair(transport: Transport, t: { after(fn: () => unknown): void }, dialerLimits: { answersWithMessages?: boolean } = {}) {
  const listener = await scriptedListener(t);
  const me = await makeTlsNode();
  const dialer = dialerFor(transport, me, dialerLimits);
  const client = await dialer.dial(transport === 'grpc' ? listener.grpcPort : listener.httpsPort, listener.node.id);
  t.after(() => client.close());
  const server = await listener.links.next();
  assert.ok(server instanceof AdsServerLink);
  return { listener, me, client, server };
}

describe('answers with messages between two pushmesh nodes', () => {
  for (const transport of TRANSPORTS) {
    it(`${transport}: every message answered once, in order — refusals, flow holds and their release included`, T, async (t) => {
      const { listener, me, client, server } = await pushmeshPair(transport, t);
      assert.equal(server.carriesAnswers, true, 'a pushmesh dialer asks for the feature');
      const node = listener.node;
      const decisions = new Map<string, 'ok' | 'queue_full' | 'bad_signature'>();
      const accepted: string[] = [];
      const backsSent: Array<Promise<SendOutcome>> = [];
      const backs = await Promise.all(Array.from({ length: 40 }, (_, n) => sealedBytes(node, me, { back: n })));
      void (async () => {
        for await (const m of server.incoming) {
          const held = m.heldBack?.() ?? null;
          if (held) m.nack(held);
          else {
            const d = decisions.get(m.wire.id) ?? 'ok';
            decisions.delete(m.wire.id); // decided once: a retry of the same message is accepted
            if (d === 'ok') {
              m.ack();
              accepted.push(m.wire.id);
            } else m.nack(d);
          }
          backsSent.push(server.send(backs[backsSent.length % backs.length]!));
        }
      })();
      const backsReceived = new Waitable<string>();
      void (async () => {
        for await (const m of client.incoming) {
          m.ack();
          backsReceived.push(m.wire.id);
        }
      })();

      const msgs = await Promise.all(Array.from({ length: 8 }, (_, n) => sealedBytes(me, node, { n })));
      const id = (i: number): string => decodeId(msgs[i]!);
      // Frame 1: m0..m3 of one flow. m1 is refused for load (a passing reason): m2, m3 are held behind it.
      decisions.set(id(1), 'queue_full');
      const first = await Promise.all(msgs.slice(0, 4).map((m) => client.send(m)));
      assert.deepEqual(first, [OK, refused('queue_full'), refused('queue_full'), refused('queue_full')]);
      // Frame 2: m4 alone while the hold is on: refused on arrival, never handed to the consumer.
      assert.deepEqual(await client.send(msgs[4]!), refused('queue_full'));
      // The sender retries the oldest first: m1, handled, lifts the hold (messages behind it in its own frame would
      // still be refused on arrival); then m2..m4 in one frame.
      assert.deepEqual(await client.send(msgs[1]!), OK);
      const retried = await Promise.all([2, 3, 4].map((i) => client.send(msgs[i]!)));
      assert.deepEqual(retried, [OK, OK, OK]);
      // A final refusal holds nothing: m5 refused, m6 and m7 accepted.
      decisions.set(id(5), 'bad_signature');
      const last = await Promise.all([5, 6, 7].map((i) => client.send(msgs[i]!)));
      assert.deepEqual(last, [refused('bad_signature'), OK, OK]);

      assert.deepEqual(accepted, [0, 1, 2, 3, 4, 6, 7].map(id), 'each accepted exactly once, in the order sent');
      // Five requests of messages, each answered exactly once: four inside responses of messages, and frame 2
      // (refused on arrival: nothing handled, nothing sent back in its flush) by a status response.
      assert.deepEqual(server.answerCounts, { statusResponses: 1, carried: 4 });
      assert.deepEqual(await Promise.all(backsSent), backsSent.map(() => OK));
      for (let i = 0; i < backsSent.length; i++) await backsReceived.next(); // each back message reached the client
      assert.equal(backsReceived.items.length, backsSent.length);
      assert.equal(client.stats().acked + client.stats().nacked, 4 + 1 + 1 + 3 + 3);
      assert.deepEqual(listener.misbehavior, []);
    });

    it(`${transport}: a pushmesh client with the feature off talks the base protocol to a node that has it`, T, async (t) => {
      const { listener, me, client, server } = await pushmeshPair(transport, t, { answersWithMessages: false });
      assert.equal(server.carriesAnswers, false);
      const inbox = inboxOf(server);
      const back = await sealedBytes(listener.node, me);
      const got = inboxOf(client);
      const sent = client.send(await sealedBytes(me, listener.node));
      const m = await inbox.next();
      m.nack('no_route');
      const backSent = server.send(back);
      assert.deepEqual(await sent, refused('no_route'));
      (await got.next()).ack();
      assert.deepEqual(await backSent, OK);
      assert.deepEqual(server.answerCounts, { statusResponses: 1, carried: 0 });
    });
  }
});

function decodeId(bytes: Uint8Array): string {
  // WebpushMessage.id is field 1, the first field written: tag 0x0a, one length byte.
  assert.equal(bytes[0], 0x0a);
  return Buffer.from(bytes.subarray(2, 2 + bytes[1]!)).toString('utf8');
}
