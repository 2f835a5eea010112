import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { connect, type TLSSocket } from 'node:tls';
import { describe, it } from 'node:test';
import { linkLimits } from '../../src/transport/link-limits.js';
import { makeTlsNode } from './tls-nodes.js';
import { startWsNode } from './ws-node.js';

/**
 * One HTTP request (`GET /id`) on a fresh TLS 1.3 connection, offering
 * `session` for resumption; returns whether the server resumed it, the
 * status line, and the last session the server gave (TLS 1.3 sends its
 * tickets right after the handshake, before any answer, so every one has
 * arrived once the answer has ended).
 */
async function getId(port: number, session?: Buffer): Promise<{ reused: boolean; status: string; session: Buffer | undefined }> {
  const socket: TLSSocket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, minVersion: 'TLSv1.3', ...(session ? { session } : {}) });
  let last: Buffer | undefined;
  socket.on('session', (s: Buffer) => (last = s));
  await once(socket, 'secureConnect');
  const reused = socket.isSessionReused();
  socket.end('GET /id HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (text += d));
  await once(socket, 'close');
  return { reused, status: text.split('\r\n')[0] ?? '', session: last };
}

describe('HTTPS server: TLS session tickets (docs/configuration.md httpsSessionTickets)', () => {
  it('by default no session can be resumed: a second connection offering the first one gets a full handshake', async (t) => {
    const node = await makeTlsNode();
    const server = await startWsNode(node);
    t.after(() => server.close());
    const first = await getId(server.port);
    assert.match(first.status, /^HTTP\/1\.1 \d{3} /); // answered (this server serves no card: 404)
    assert.equal(first.reused, false);
    // OpenSSL still hands a TLS 1.3 client a ticket naming a session ID, but the server kept nothing under it.
    if (first.session) {
      const second = await getId(server.port, first.session);
      assert.match(second.status, /^HTTP\/1\.1 \d{3} /); // answered (this server serves no card: 404)
      assert.equal(second.reused, false, 'no session ticket may be honoured without httpsSessionTickets');
    }
  });

  it('with sessionTickets the server issues tickets and resumes the session', async (t) => {
    const node = await makeTlsNode();
    const server = await startWsNode(node, linkLimits(), () => undefined, true);
    t.after(() => server.close());
    const first = await getId(server.port);
    assert.match(first.status, /^HTTP\/1\.1 \d{3} /); // answered (this server serves no card: 404)
    assert.ok(first.session, 'a session ticket was issued');
    const second = await getId(server.port, first.session);
    assert.match(second.status, /^HTTP\/1\.1 \d{3} /); // answered (this server serves no card: 404)
    assert.equal(second.reused, true);
  });
});
