import { strict as assert } from 'node:assert';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pushmeshOk, runPushmesh, STACK_FRAME } from '../helpers/cli.js';
import { makeCard } from '../helpers/cards.js';
import { startCardServer, startHttpServer } from '../helpers/http-server.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('pushmesh peer', { concurrency: true }, () => {
  it('add from a card file, list, remove', async (t) => {
    const dir = await tempDir(t);
    const home = join(dir, 'home');
    const a = makeCard().card;
    const b = makeCard('https://b.example').card;
    await writeFile(join(dir, 'a.json'), JSON.stringify(a));
    await writeFile(join(dir, 'b.json'), JSON.stringify(b));

    assert.equal(await pushmeshOk(['peer', 'list', '--home', home]), '');
    const fromFile = await runPushmesh(['peer', 'add', join(dir, 'a.json'), '--home', home]);
    assert.equal(fromFile.stdout, `${a.id}\n`);
    assert.match(fromFile.stderr, /^pushmesh: added peer \w{52}: endpoint https:\/\/peer\.example:15443\/push\/\w{52}, VIP6 fd00::[0-9a-f:]+; read from the file .*a\.json; its ID matches its key \(the file is trusted as given\)\n$/);
    assert.equal(await pushmeshOk(['peer', 'add', '--home', home, join(dir, 'b.json')]), b.id);
    const lines = (await pushmeshOk(['peer', 'list', '--home', home])).split('\n');
    assert.deepEqual(lines, [a, b].sort((x, y) => x.id.localeCompare(y.id)).map((c) => `${c.id} ${c.endpoint}`));
    const json = JSON.parse(await pushmeshOk(['peer', 'list', '--json', '--home', home])) as unknown[];
    assert.equal(json.length, 2);

    assert.equal(await pushmeshOk(['peer', 'remove', a.id, '--home', home]), '');
    assert.equal(await pushmeshOk(['peer', 'list', '--home', home]), `${b.id} ${b.endpoint}`);
    assert.deepEqual(await readdir(join(home, 'peers')), [`${b.id}.json`]);

    const again = await runPushmesh(['peer', 'remove', a.id, '--home', home]);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, `pushmesh: no known peer ${a.id}\n`);
    const badId = await runPushmesh(['peer', 'remove', 'abc', '--home', home]);
    assert.equal(badId.code, 2);
  });

  it('add from a running node URL (GET /id), with an optional --id check', async (t) => {
    const home = join(await tempDir(t), 'home');
    const { card } = makeCard();
    const server = await startCardServer(card, t);
    const added = await runPushmesh(['peer', 'add', server.url, '--home', home]);
    assert.equal(added.stdout, `${card.id}\n`);
    assert.match(added.stderr, new RegExp(`^pushmesh: added peer ${card.id}: endpoint ${card.endpoint}, VIP6 fd00::[0-9a-f:]+; fetched from ${server.url}/id over plain HTTP \\(not authenticated: use https:// or --id\\); its ID matches its key\n$`));
    assert.equal(await pushmeshOk(['peer', 'list', '--home', home]), `${card.id} ${card.endpoint}`);
    const json = JSON.parse(await pushmeshOk(['peer', 'add', server.url, '--id', card.id, '--json', '--home', home])) as Record<string, string>;
    assert.deepEqual(Object.keys(json), ['id', 'endpoint', 'vip6', 'verified']);
    assert.equal(json['id'], card.id);
    assert.match(json['verified']!, /over plain HTTP .*; its ID matches its key; its ID is the --id given$/);

    const other = makeCard().card.id;
    const mismatch = await runPushmesh(['peer', 'add', server.url + '/id', '--id', other, '--home', home]);
    assert.equal(mismatch.code, 1);
    assert.match(mismatch.stderr, new RegExp(`^pushmesh: card from .* has node ID ${card.id}, not ${other}\\n$`));
  });

  it('a bad card file, a bad card from a URL, or an unreachable URL: one line, non-zero', async (t) => {
    const dir = await tempDir(t);
    const home = join(dir, 'home');
    const { card } = makeCard();
    await writeFile(join(dir, 'bad.json'), JSON.stringify({ ...card, keys: { ...card.keys, auth: 'AA' } }));
    await writeFile(join(dir, 'broken.json'), '{"id":');
    const bad = await runPushmesh(['peer', 'add', join(dir, 'bad.json'), '--home', home]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^pushmesh: .*bad\.json: bad card: keys\.auth is not 16 bytes\n$/);
    const broken = await runPushmesh(['peer', 'add', join(dir, 'broken.json'), '--home', home]);
    assert.match(broken.stderr, /^pushmesh: .*broken\.json: bad card: card is not valid JSON\n$/);

    const server = await startCardServer({ hello: 'world' }, t);
    const fromUrl = await runPushmesh(['peer', 'add', server.url, '--home', home]);
    assert.equal(fromUrl.code, 1);
    assert.match(fromUrl.stderr, /^pushmesh: bad card: id is missing\n$/);

    const gone = await startHttpServer(() => undefined);
    await gone.close(); // its port is now (almost certainly) closed
    const down = await runPushmesh(['peer', 'add', gone.url, '--home', home, '--timeout', '2000']);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /^pushmesh: GET http:\/\/127\.0\.0\.1:\d+\/id failed \(ECONNREFUSED\)\n$/);
    for (const r of [bad, broken, fromUrl, down]) assert.doesNotMatch(r.stderr, STACK_FRAME);
    assert.equal(await pushmeshOk(['peer', 'list', '--home', home]), '');
  });
});
