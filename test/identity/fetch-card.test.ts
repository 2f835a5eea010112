import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { cardFor, cardUrl, createIdentity, fetchCard, type Identity } from '../../src/identity/index.js';
import { tempHome } from '../helpers/temp-dir.js';
import { makeCard } from '../helpers/cards.js';
import { pushmeshError } from '../helpers/errors.js';
import { startCardServer, startHttpServer } from '../helpers/http-server.js';

describe('fetchCard', () => {
  it('GETs /id from a base URL or the given URL and validates the card', async (t) => {
    const { card } = makeCard();
    const server = await startCardServer({ ...card, extra: 1 }, t);
    assert.deepEqual(await fetchCard(server.url), card);
    assert.deepEqual(await fetchCard(server.url + '/id'), card);
  });

  it('maps HTTP errors, bad cards, oversize bodies, refusals and timeouts to typed errors', async (t) => {
    const missing = await startHttpServer((_req, res) => res.writeHead(404).end(), t);
    await assert.rejects(fetchCard(missing.url), pushmeshError('ERR_IO', /answered 404/));

    const badCard = await startCardServer({ id: 'x' }, t);
    await assert.rejects(fetchCard(badCard.url), pushmeshError('ERR_BAD_CARD', /52-character/));

    const huge = await startCardServer('x'.repeat(100_000), t);
    await assert.rejects(fetchCard(huge.url), pushmeshError('ERR_BAD_CARD', /more than/));

    const closed = await startHttpServer(() => undefined);
    await closed.close();
    await assert.rejects(fetchCard(closed.url), pushmeshError('ERR_IO', /ECONNREFUSED/));

    const silent = await startHttpServer(() => undefined, t); // never answers
    await assert.rejects(fetchCard(silent.url, { timeoutMs: 200 }), pushmeshError('ERR_IO', /timed out after 200 ms/));
  });

  it('over https: a self-signed certificate is accepted exactly when its key is the served card\'s', async (t) => {
    const one = await createIdentity(await tempHome(t));
    const two = await createIdentity(await tempHome(t));
    // A server with identity `tls`'s certificate that serves identity `served`'s card.
    const serve = async (tls: Identity, served: Identity): Promise<string> => {
      const server = createServer({ key: tls.privateKeyPem, cert: tls.certificatePem }, (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(cardFor(served, 'https://127.0.0.1:1')));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      t.after(() => new Promise((resolve) => server.close(resolve)));
      return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    };
    assert.equal((await fetchCard(await serve(one, one))).id, one.id);
    assert.equal((await fetchCard(`${await serve(two, two)}/id`)).id, two.id);
    await assert.rejects(fetchCard(await serve(one, two)), pushmeshError('ERR_BAD_CARD', /neither a CA-signed certificate nor the key of the card/));
  });

  it('cardUrl appends id to paths ending in / and refuses non-http URLs', () => {
    assert.equal(cardUrl('http://127.0.0.1:15004').href, 'http://127.0.0.1:15004/id');
    assert.equal(cardUrl('https://h/node/').href, 'https://h/node/id');
    assert.equal(cardUrl('https://h/card.json').href, 'https://h/card.json');
    assert.throws(() => cardUrl('ftp://h/'), pushmeshError('ERR_BAD_ARGUMENT'));
    assert.throws(() => cardUrl('nope'), pushmeshError('ERR_BAD_ARGUMENT'));
  });
});
