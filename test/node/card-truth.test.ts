/**
 * Cards tell the truth (issue 13, item 7): a node with HTTPS off serves no
 * Web Push endpoint, so its card names none (`"endpoint": ""`) instead of
 * https://127.0.0.1:15443, where something else may listen. A sender that
 * has such a card keeps the message queued (nothing is sent to an address
 * the node never served) and delivers it once the node links to it.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { parseCard, PeerStore } from '../../src/identity/index.js';
import { localUrl, startInProcessNode } from '../helpers/in-process-node.js';
import { getJson, postMessage } from '../helpers/local-api.js';

describe('a node with HTTPS off advertises no endpoint', { timeout: 60_000 }, () => {
  it('its card has an empty endpoint, others accept it, and messages for it wait for a link', async (t) => {
    const a = await startInProcessNode(t, { grpc: { host: '127.0.0.1', port: 0 } });
    const hidden = await startInProcessNode(t, { https: null, advertise: '' });
    const card = (await getJson(`${localUrl(hidden)}/id`)).json;
    assert.equal(card['endpoint'], '');
    assert.equal(parseCard(card).endpoint, '');
    await new PeerStore(a.config.home).add(parseCard(card));
    await a.refreshPeers();

    const sent = await postMessage(localUrl(a), 'chat', { to: hidden.id }, { waits: true });
    assert.equal(sent.status, 202);
    const id = String(sent.json['id']);
    assert.equal(a.deliveryStatus(id)?.state, 'queued');

    // The hidden node links to A: the message goes over that link.
    const got = new Promise<unknown>((resolve) => hidden.bus.on('published', (ev) => ev.message.id === id && resolve(ev.message.data)));
    const linked = await startInProcessNode(t, { home: hidden.config.home, https: null, advertise: '', peers: [`grpcs://${a.id}@127.0.0.1:${a.addresses.grpc!.port}`] }).catch((e: Error) => e);
    assert.ok(linked instanceof Error, 'one node per home: the same node restarted below');
    await hidden.close();
    const again = await startInProcessNode(t, { home: hidden.config.home, https: null, advertise: '', peers: [`grpcs://${a.id}@127.0.0.1:${a.addresses.grpc!.port}`] });
    const data = await new Promise<unknown>((resolve) => again.bus.on('published', (ev) => ev.message.id === id && resolve(ev.message.data)));
    assert.deepEqual(data, { kind: 'json', value: { waits: true } });
    void got;
  });
});
