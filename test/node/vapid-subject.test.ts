import { strict as assert } from 'node:assert';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { cardFor, createIdentity, PeerStore } from '../../src/identity/index.js';
import { VapidVerifier } from '../../src/webpush/index.js';
import { runPushmesh } from '../helpers/cli.js';
import { postMessage } from '../helpers/local-api.js';
import { startTestNode } from '../helpers/node.js';
import { tempHome, type CleanupScope } from '../helpers/temp-dir.js';

/** CLI runs may wait on a loaded machine: a bound, not a sleep. */
const SLOW = { timeoutMs: 60_000 };

/**
 * A plain HTTPS Web Push endpoint (node:https, the destination's key and
 * certificate so the sender's pinning accepts it) that answers 201 and
 * hands over the first Authorization header it gets.
 */
async function recordingEndpoint(t: CleanupScope): Promise<{ card: ReturnType<typeof cardFor>; origin: string; authorization: Promise<string> }> {
  const dest = await createIdentity(await tempHome(t));
  let got!: (header: string) => void;
  const authorization = new Promise<string>((resolve) => (got = resolve));
  const server = createServer({ key: dest.privateKeyPem, cert: dest.certificatePem }, (req, res) => {
    req.resume();
    req.on('end', () => {
      got(String(req.headers['authorization'] ?? ''));
      res.writeHead(201, { location: `/m/1` }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));
  const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { card: cardFor(dest, origin), origin, authorization };
}

/** The claims of the JWT in `vapid t=…, k=…`, checked by pushmesh's verifier for `audience` (so: signed by the node key). */
async function claims(header: string, audience: string): Promise<Record<string, unknown>> {
  await new VapidVerifier().verify(header, audience);
  const token = /t=([^,\s]+)/.exec(header)![1]!;
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('VAPID sub (vapidSubject)', () => {
  for (const [what, layer, expected] of [
    ['configured (mailto:)', { vapidSubject: 'mailto:ops@example.com' }, () => 'mailto:ops@example.com'],
    ['configured (https:)', { vapidSubject: 'https://example.com/push-contact' }, () => 'https://example.com/push-contact'],
    ['default', {}, (id: string) => `https://pushmesh.invalid/node/${id}`],
  ] as const) {
    it(`${what}: the token of a pushed message carries it`, async (t) => {
      const endpoint = await recordingEndpoint(t);
      const node = await startTestNode(layer);
      t.after(() => node.close());
      await new PeerStore(node.home).add(endpoint.card);
      const sent = await postMessage(node.localUrl, 'greeting', { to: endpoint.card.id }, { hello: 'world' });
      assert.equal(sent.status, 202, JSON.stringify(sent.json));
      const c = await claims(await endpoint.authorization, endpoint.origin);
      assert.equal(c['sub'], expected(node.node.id));
      assert.equal(c['aud'], endpoint.origin);
    });
  }

  it('pushmesh run refuses a subject that is neither mailto: nor https: (flag or environment): one line, exit 1', async (t) => {
    const off = ['--local', '127.0.0.1:0', '--https', 'off', '--grpc', 'off'];
    const flag = await runPushmesh(['run', '--home', await tempHome(t), ...off, '--vapid-subject', 'http://example.com'], SLOW);
    assert.equal(flag.code, 1);
    assert.equal(flag.stderr, 'pushmesh: vapidSubject "http://example.com" is neither a mailto: nor an https: URI (RFC 8292 wants mailto:ADDRESS or an https:// URL)\n');
    const env = await runPushmesh(['run', '--home', await tempHome(t), ...off], { ...SLOW, env: { PUSHMESH_VAPID_SUBJECT: 'mailto:nobody' } });
    assert.equal(env.code, 1);
    assert.equal(env.stderr, 'pushmesh: vapidSubject "mailto:nobody" is not one mail address (RFC 8292 wants mailto:ADDRESS or an https:// URL)\n');
  });
});
