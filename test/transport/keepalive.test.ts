/**
 * Keepalive: a peer that vanishes without closing anything (the proxy in
 * between stops forwarding) is detected by pings — even while this side
 * keeps sending, so traffic does not hold the detection off — and the link
 * ends with its pending messages failed (ERR_LINK_CLOSED: send again).
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { isPushmeshError } from '../../src/errors/index.js';
import { PeerAuthenticator } from '../../src/transport/auth/peer-authenticator.js';
import { GrpcDialer } from '../../src/transport/grpc/grpc-dialer.js';
import { linkLimits } from '../../src/transport/link-limits.js';
import { WsDialer } from '../../src/transport/ws/ws-dialer.js';
import { startFreezableProxy } from './freezable-proxy.js';
import { makeTlsNode, startListenerNode } from './listener-node.js';
import { sealedBytes } from './messages.js';

const logger = pino({ level: 'silent' });

for (const transport of ['grpc', 'wss'] as const) {
  describe(`keepalive on ${transport}`, () => {
    it('detects a silent dead peer while traffic flows, and fails what was pending', { timeout: 60_000 }, async (t) => {
      const server = await startListenerNode(t, { keepaliveMs: 60_000 });
      const proxy = await startFreezableProxy(transport === 'grpc' ? server.grpcPort : server.httpsPort);
      t.after(() => proxy.close());
      const me = await makeTlsNode();
      const limits = linkLimits({ keepaliveMs: 300, keepaliveTimeoutMs: 300 });
      const opts = { auth: new PeerAuthenticator({ selfId: me.id, tls: me.tls }), self: { id: me.id, card: () => me.card, version: 't' }, limits, logger };
      const dialer = transport === 'grpc' ? new GrpcDialer(opts) : new WsDialer(opts);
      const link = await dialer.dial({ transport, host: '127.0.0.1', port: proxy.port, expectedId: server.node.id, url: 'via proxy' });
      const message = await sealedBytes(me, server.node);
      assert.deepEqual(await link.send(message), { ok: true });

      proxy.freeze();
      const frozenAt = Date.now();
      const pending: Array<Promise<unknown>> = [];
      const pump = setInterval(() => pending.push(link.send(message).then((o) => o, (e: unknown) => e)), 20);
      const ended = await link.closed;
      clearInterval(pump);
      const detectedAfter = Date.now() - frozenAt;

      assert.equal(ended.remote, true);
      assert.equal(ended.reason, transport === 'wss' ? 'keepalive_timeout' : 'transport_error');
      t.diagnostic(`detected after ${detectedAfter} ms, ${pending.length} sends pending`);
      assert.ok(detectedAfter < 10_000, `dead link detected after ${detectedAfter} ms`);
      assert.ok(pending.length > 5, 'traffic kept flowing while the peer was gone');
      const results = await Promise.all(pending);
      assert.ok(results.every((r) => isPushmeshError(r) && r.code === 'ERR_LINK_CLOSED'), 'nothing sent into the void counts as delivered');
    });
  });
}
