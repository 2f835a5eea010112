import { strict as assert } from 'node:assert';
import { X509Certificate } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseCard } from '../../src/identity/index.js';
import { pushmeshOk, runPushmesh } from '../helpers/cli.js';
import { generatePrivateKey, pkcs8Pem, referenceNodeId, sec1Pem, uncompressedPublicKey } from '../helpers/keys.js';
import { tempDir, tempHome } from '../helpers/temp-dir.js';

const NODE_ID = /^[a-z2-7]{52}$/;

describe('pushmesh init / id / card', { concurrency: true }, () => {
  it('init prints the node ID; id prints the same; card is valid JSON for it', async (t) => {
    const home = await tempHome(t);
    const init = await runPushmesh(['init', '--home', home]);
    assert.equal(init.code, 0, init.stderr);
    assert.equal(init.stderr, '');
    const id = init.stdout.trim();
    assert.match(id, NODE_ID);
    assert.equal(init.stdout, id + '\n');
    assert.equal(await pushmeshOk(['id', '--home', home]), id);

    const cardOut = await runPushmesh(['card', '--home', home]);
    assert.equal(cardOut.code, 0, cardOut.stderr);
    const card = parseCard(JSON.parse(cardOut.stdout));
    assert.equal(card.id, id);
    assert.equal(card.endpoint, `https://127.0.0.1:15443/push/${id}`);
    assert.equal(card.keys.auth, (await readFile(join(home, 'auth'), 'utf8')).trim());
    const cert = new X509Certificate(await readFile(join(home, 'cert.pem')));
    assert.equal(cert.subject, `CN=${id}`);
    if (process.platform !== 'win32') assert.equal((await stat(join(home, 'key.pem'))).mode & 0o777, 0o600);
  });

  it('card origin: --advertise beats $PUSHMESH_ADVERTISE beats the default', async (t) => {
    const home = await tempHome(t);
    const id = await pushmeshOk(['init', '--home', home]);
    const env = { PUSHMESH_ADVERTISE: 'https://from-env.example:9443' };
    const fromEnv = JSON.parse(await pushmeshOk(['card', '--home', home], { env })) as { endpoint: string };
    assert.equal(fromEnv.endpoint, `https://from-env.example:9443/push/${id}`);
    const fromFlag = JSON.parse(await pushmeshOk(['card', '--home', home, '--advertise', 'https://flag.example'], { env })) as { endpoint: string };
    assert.equal(fromFlag.endpoint, `https://flag.example/push/${id}`);
  });

  it('second init without --force fails with one line; --force replaces the identity', async (t) => {
    const home = await tempHome(t);
    const first = await pushmeshOk(['init', '--home', home]);
    const again = await runPushmesh(['init', '--home', home]);
    assert.equal(again.code, 1);
    assert.equal(again.stdout, '');
    assert.match(again.stderr, /^pushmesh: an identity already exists in .* \(use --force to replace it\)\n$/);
    assert.equal(await pushmeshOk(['id', '--home', home]), first);
    const replaced = await pushmeshOk(['init', '--home', home, '--force']);
    assert.match(replaced, NODE_ID);
    assert.notEqual(replaced, first);
    assert.equal(await pushmeshOk(['id', '--home', home]), replaced);
  });

  it('--import-key (PKCS#8 or SEC1 PEM) gives the expected ID; --auth sets the auth secret', async (t) => {
    const dir = await tempDir(t);
    const key = generatePrivateKey('p256');
    const expected = referenceNodeId(uncompressedPublicKey(key));
    await writeFile(join(dir, 'pkcs8.pem'), pkcs8Pem(key));
    await writeFile(join(dir, 'sec1.pem'), sec1Pem(key));
    const auth = Buffer.from('pushmesh-auth-16').toString('base64url');

    const homeA = join(dir, 'a');
    assert.equal(await pushmeshOk(['init', '--home', homeA, '--import-key', join(dir, 'pkcs8.pem'), '--auth', auth]), expected);
    const card = JSON.parse(await pushmeshOk(['card', '--home', homeA])) as { keys: { auth: string; p256dh: string } };
    assert.equal(card.keys.auth, auth);
    assert.equal(card.keys.p256dh, uncompressedPublicKey(key).toString('base64url'));

    const homeB = join(dir, 'b');
    assert.equal(await pushmeshOk(['init', '--home', homeB, '--import-key', join(dir, 'sec1.pem')]), expected);
    assert.match(await readFile(join(homeB, 'key.pem'), 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
  });

  it('id and card create the identity on first use (said on stderr), then keep it', async (t) => {
    const home = await tempHome(t);
    const first = await runPushmesh(['id', '--home', home]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /^pushmesh: no identity in .*; created one \(node ID [a-z2-7]{52}\)\n$/);
    const id = first.stdout.trim();
    const second = await runPushmesh(['card', '--home', home]);
    assert.equal(second.stderr, '');
    assert.equal((JSON.parse(second.stdout) as { id: string }).id, id);
  });

  it('home comes from $PUSHMESH_HOME, else ~/.pushmesh', async (t) => {
    const dir = await tempDir(t);
    const envHome = join(dir, 'env-home');
    const id = await pushmeshOk(['init'], { env: { PUSHMESH_HOME: envHome } });
    assert.equal(await pushmeshOk(['id', '--home', envHome]), id);
    const userHome = join(dir, 'user');
    const id2 = await pushmeshOk(['init'], { env: { HOME: userHome, USERPROFILE: userHome } });
    assert.equal(await pushmeshOk(['id', '--home', join(userHome, '.pushmesh')]), id2);
  });

  it('id --vip6 prints the fd00:: address', async (t) => {
    const home = await tempHome(t);
    await pushmeshOk(['init', '--home', home]);
    assert.match(await pushmeshOk(['id', '--home', home, '--vip6']), /^fd00::[0-9a-f:]+$/);
  });
});
