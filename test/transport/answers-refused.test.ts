/**
 * Peers that abuse "answers with messages" (docs/transports.md), over
 * real sockets on 127.0.0.1: a listener that carries answers the client
 * did not ask for, answers requests that were never sent, answers one
 * twice or out of order, gives the wrong number of statuses, puts them on
 * a response that is not of messages, or sends bytes that do not decode:
 * each is refused with a clear protocol_error; nothing of the bad frame is
 * applied (its messages are not handed on, no send is settled by it);
 * what was in flight fails with ERR_LINK_CLOSED, so the sender's outbox
 * sends it again; the process and other links carry on. And a client
 * that puts the answer shape where its messages go gets that resource
 * refused (bad_message) while its link goes on.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import protobuf from 'protobufjs';
import { isPushmeshError } from '../../src/errors/index.js';
import { decodeDiscoveryRequest, decodeDiscoveryResponse, decodeStatus, encodeDiscoveryRequest, encodeDiscoveryResponse, nackStatus, NODE_CARD_TYPE_URL, STATUS_TYPE_URL, WEBPUSH_MESSAGE_TYPE_URL } from '../../src/proto/index.js';
import type { RequestAnswer } from '../../src/proto/types.js';
import { ANSWERS_WITH_MESSAGES_FEATURE, OK } from '../../src/transport/ads/ads-frames.js';
import type { InboundMessage, SendOutcome } from '../../src/transport/types.js';
import { sealedBytes } from './messages.js';
import { dialerFor, fakeHandshake, fakeListener, inboxOf, openingFrames, rawAdsClient, scriptedListener, TRANSPORTS, webpush } from './answers-fixtures.js';
import { makeTlsNode } from './tls-nodes.js';

const T = { timeout: 60_000 };

interface Case {
  name: string;
  /** The dialer does not ask for the feature. */
  unasked?: boolean;
  /** Responses the fake listener writes after reading the client's two requests of messages (one message each). */
  responses: (back: Uint8Array) => Buffer[];
  /** Sends settled by an earlier, valid response of the same case. */
  settledBefore?: SendOutcome[];
  error: RegExp;
  kind?: 'protocol_error' | 'garbage_frame';
}

const messages = (nonce: string, back: Uint8Array, answers: RequestAnswer[], typeUrl = WEBPUSH_MESSAGE_TYPE_URL): Buffer =>
  encodeDiscoveryResponse({ versionInfo: nonce, nonce, typeUrl, resources: [{ typeUrl: WEBPUSH_MESSAGE_TYPE_URL, value: back }], pushmeshAnswers: answers });

/** A response of messages whose field 1000 holds `payload` as it is. */
function withRawField1000(back: Uint8Array, payload: Uint8Array): Buffer {
  const base = encodeDiscoveryResponse({ versionInfo: '2', nonce: '2', typeUrl: WEBPUSH_MESSAGE_TYPE_URL, resources: [{ typeUrl: WEBPUSH_MESSAGE_TYPE_URL, value: back }] });
  const w = protobuf.Writer.create();
  w.uint32((1000 << 3) | 2).bytes(payload);
  return Buffer.concat([base, w.finish()]);
}

const CASES: Case[] = [
  { name: 'answers the client did not ask for', unasked: true, responses: (b) => [messages('2', b, [{ request: 1, statuses: [] }])], error: /did not ask for them \(client feature pushmesh\.ads\.answers_with_messages\)/ },
  { name: 'an answer to a request never sent', responses: (b) => [messages('2', b, [{ request: 3, statuses: [] }])], error: /answer to request 3, which was never sent \(2 requests of messages so far\)/ },
  {
    name: 'one answer more than there were requests',
    responses: (b) => [messages('2', b, [{ request: 1, statuses: [] }, { request: 2, statuses: [] }, { request: 3, statuses: [] }])],
    error: /answer to request 3, which was never sent \(2 requests of messages so far\)/,
  },
  { name: 'an answer without a request number', responses: (b) => [messages('2', b, [{ request: 0, statuses: [] }])], error: /without a request number/ },
  {
    name: 'an answer given twice',
    responses: (b) => [messages('2', b, [{ request: 1, statuses: [] }]), messages('3', b, [{ request: 1, statuses: [] }])],
    settledBefore: [OK],
    error: /answer to request 1 again: it was already answered/,
  },
  { name: 'the same answer twice in one response', responses: (b) => [messages('2', b, [{ request: 1, statuses: [] }, { request: 1, statuses: [] }])], error: /answer to request 1 again/ },
  { name: 'answers out of order', responses: (b) => [messages('2', b, [{ request: 2, statuses: [] }, { request: 1, statuses: [] }])], error: /answers out of order: request 2 answered before request 1/ },
  {
    name: 'more statuses than the request had messages',
    responses: (b) => [messages('2', b, [{ request: 1, statuses: [nackStatus('queue_full'), { code: 0, message: '', details: [] }] }])],
    error: /answer to request 1 holds 2 statuses for its 1 messages/,
  },
  { name: 'answers on a status response', responses: (b) => [messages('2', b, [{ request: 1, statuses: [] }], STATUS_TYPE_URL)], error: /only responses of messages carry them/ },
  {
    name: 'bytes in field 1000 that are not a RequestAnswer',
    responses: (b) => [withRawField1000(b, Buffer.from([0x12, 0x05, 0x08]))], // statuses (2): 5 bytes announced, 1 there
    error: /malformed protobuf/,
    kind: 'garbage_frame',
  },
];

describe('a listener that abuses answers with messages is refused', () => {
  for (const transport of TRANSPORTS) {
    for (const c of CASES) {
      it(`${transport}: ${c.name}`, T, async (t) => {
        const fakeNode = await makeTlsNode();
        const fake = await fakeListener(transport, fakeNode, t);
        const me = await makeTlsNode();
        const dialer = dialerFor(transport, me, c.unasked ? { answersWithMessages: false } : {});
        const dialing = dialer.dial(fake.port, fakeNode.id);
        const stream = await fake.streams.next();
        const first = decodeDiscoveryRequest(await fakeHandshake(stream, fakeNode));
        assert.deepEqual(first.node?.clientFeatures, c.unasked ? [] : [ANSWERS_WITH_MESSAGES_FEATURE]);
        const link = await dialing;
        const delivered: InboundMessage[] = [];
        void (async () => {
          for await (const m of link.incoming) delivered.push(m);
        })();

        // Two requests of messages, one message each.
        const outcomes: Array<SendOutcome | Error> = [];
        const record = (p: Promise<SendOutcome>, i: number): Promise<void> => p.then((o) => void (outcomes[i] = o), (e: Error) => void (outcomes[i] = e));
        const nextRequestOfMessages = async (): Promise<number> => {
          for (;;) {
            const req = decodeDiscoveryRequest(await stream.frames.next());
            if (req.pushmeshResources.length > 0) return req.pushmeshResources.length;
            assert.equal(req.typeUrl, NODE_CARD_TYPE_URL, 'only the card ACK comes between'); // the ACK of the card
          }
        };
        const s1 = record(link.send(await sealedBytes(me, fakeNode, { n: 1 })), 0);
        assert.equal(await nextRequestOfMessages(), 1);
        const s2 = record(link.send(await sealedBytes(me, fakeNode, { n: 2 })), 1);
        assert.equal(await nextRequestOfMessages(), 1);

        const back = await sealedBytes(fakeNode, me);
        const responses = c.responses(back);
        for (const r of responses) stream.write(r);
        const closed = await link.closed;
        assert.equal(closed.reason, 'protocol_error');
        assert.match(closed.message, c.error);
        await Promise.all([s1, s2]);
        const before = c.settledBefore ?? [];
        assert.deepEqual(outcomes.slice(0, before.length), before);
        for (const o of outcomes.slice(before.length)) assert.ok(o instanceof Error && isPushmeshError(o) && o.code === 'ERR_LINK_CLOSED', String(o));
        // The bad frame's message was not handed on (a valid earlier response's was).
        assert.equal(delivered.length, responses.length - 1);
        assert.deepEqual(dialer.misbehavior, [c.kind ?? 'protocol_error']);
        await stream.gone; // the client ended the stream

        // The process and its other links carry on: a fresh link from the same node to a real listener works.
        const real = await scriptedListener(t);
        const other = await dialer.dial(transport === 'grpc' ? real.grpcPort : real.httpsPort, real.node.id);
        const inbox = inboxOf(await real.links.next());
        const sent = other.send(await sealedBytes(me, real.node));
        (await inbox.next()).ack();
        assert.deepEqual(await sent, OK);
        other.close();
      });
    }
  }
});

describe('a client that puts the answer shape where its messages go is refused', () => {
  for (const transport of TRANSPORTS) {
    it(`${transport}: a RequestAnswer in pushmesh_resources (field 1000 of a request) is refused as bad_message; the link and its other messages go on`, T, async (t) => {
      const listener = await scriptedListener(t);
      const me = await makeTlsNode();
      const raw = await rawAdsClient(transport, listener, me, t);
      for (const f of openingFrames(me)) raw.write(f);
      const inbox = inboxOf(await listener.links.next());
      await raw.frames.next(); // the card
      const w = protobuf.Writer.create();
      w.uint32((1000 << 3) | 2).fork().uint32(1 << 3).uint64(1).ldelim(); // RequestAnswer{request: 1}: as an Any, no type URL, no value
      raw.write(Buffer.concat([encodeDiscoveryRequest({ typeUrl: WEBPUSH_MESSAGE_TYPE_URL }), w.finish()]));
      const refusedRes = decodeDiscoveryResponse(await raw.frames.next());
      assert.equal(refusedRes.typeUrl, STATUS_TYPE_URL);
      assert.deepEqual(refusedRes.resources.map((a) => decodeStatus(a.value)), [nackStatus('bad_message')]);
      assert.deepEqual(listener.misbehavior, ['wrong_type_url']);
      assert.equal(inbox.pending, 0, 'nothing handed to the node');

      // The same stream goes on: a real message is accepted.
      raw.write(encodeDiscoveryRequest({ typeUrl: WEBPUSH_MESSAGE_TYPE_URL, pushmeshResources: [webpush(await sealedBytes(me, listener.node))] }));
      (await inbox.next()).ack();
      const ok = decodeDiscoveryResponse(await raw.frames.next());
      assert.equal(ok.typeUrl, STATUS_TYPE_URL);
      assert.deepEqual(ok.resources, [], 'accepted: the compact answer');
      raw.close();
    });
  }
});
