import { strict as assert } from 'node:assert';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pushmeshOk, runPushmesh, STACK_FRAME } from '../helpers/cli.js';
import { startHttpServer } from '../helpers/http-server.js';
import { generatePrivateKey, pkcs8Pem, sec1Pem } from '../helpers/keys.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('pushmesh config sign / verify / publish', { concurrency: true, timeout: 120_000 }, () => {
  it('signs with the node key; verify prints the payload and checks --owner', async (t) => {
    const dir = await tempDir(t);
    const home = join(dir, 'home');
    const id = await pushmeshOk(['init', '--home', home]);
    await writeFile(join(dir, 'data.json'), '{"rps": 50, "hosts": ["a", "b"]}');
    const jws = await pushmeshOk(['config', 'sign', '--home', home, '--namespace', 'app', '--name', 'limits', '--version', '3', join(dir, 'data.json')]);
    assert.match(jws, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    await writeFile(join(dir, 'signed.jws'), jws + '\n');

    const shown = JSON.parse(await pushmeshOk(['config', 'verify', join(dir, 'signed.jws')])) as Record<string, unknown>;
    assert.deepEqual({ ...shown, iat: 0 }, { namespace: 'app', name: 'limits', version: 3, iat: 0, owner: id, data: { rps: 50, hosts: ['a', 'b'] } });
    assert.equal(typeof shown['iat'], 'number');
    await pushmeshOk(['config', 'verify', '--owner', id, join(dir, 'signed.jws')]);

    const other = await pushmeshOk(['init', '--home', join(dir, 'other')]);
    const mismatch = await runPushmesh(['config', 'verify', '--owner', other, join(dir, 'signed.jws')]);
    assert.equal(mismatch.code, 1);
    assert.equal(mismatch.stderr, `pushmesh: signed config refused (unknown_owner): signed by ${id}, not by ${other}\n`);
    assert.equal(mismatch.stdout, '');

    // A flipped character in the payload: refused, exit 1, one line.
    const [h, p, s] = jws.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    await writeFile(join(dir, 'tampered.jws'), `${h}.${Buffer.from(JSON.stringify({ ...payload, version: 4 })).toString('base64url')}.${s}`);
    const tampered = await runPushmesh(['config', 'verify', join(dir, 'tampered.jws')]);
    assert.equal(tampered.code, 1);
    assert.equal(tampered.stderr, 'pushmesh: signed config refused (bad_signature): the signature does not verify with the key in the header\n');
  });

  it('signs YAML from stdin with --key (PKCS#8 or SEC1); the signer is the key, not the home', async (t) => {
    const dir = await tempDir(t);
    const key = generatePrivateKey('p256');
    await writeFile(join(dir, 'k8.pem'), pkcs8Pem(key));
    await writeFile(join(dir, 'k1.pem'), sec1Pem(key));
    const keyId = await pushmeshOk(['init', '--home', join(dir, 'owner'), '--import-key', join(dir, 'k8.pem')]);
    for (const file of ['k8.pem', 'k1.pem']) {
      const jws = await pushmeshOk(['config', 'sign', '--key', join(dir, file), '--namespace', 'ops', '--name', 'flags', '--version', '0', '-'], { input: 'beta: true\nlist:\n  - 1\n  - two\n' });
      const shown = JSON.parse(await pushmeshOk(['config', 'verify', '-', '--owner', keyId], { input: jws })) as Record<string, unknown>;
      assert.deepEqual([shown['owner'], shown['version'], shown['data']], [keyId, 0, { beta: true, list: [1, 'two'] }]);
    }
  });

  it('--encrypt-to: only a listed node can --decrypt the data', async (t) => {
    const dir = await tempDir(t);
    const [owner, alice, bob] = ['owner', 'alice', 'bob'].map((n) => join(dir, n)) as [string, string, string];
    await pushmeshOk(['init', '--home', owner]);
    const aliceId = await pushmeshOk(['init', '--home', alice]);
    const bobId = await pushmeshOk(['init', '--home', bob]);
    await writeFile(join(dir, 'alice.json'), await pushmeshOk(['card', '--home', alice]));
    await writeFile(join(dir, 'data.yaml'), 'password: hunter2\n');
    const jws = await pushmeshOk(['config', 'sign', '--home', owner, '--namespace', 'db', '--name', 'creds', '--version', '1', '--encrypt-to', join(dir, 'alice.json'), join(dir, 'data.yaml')]);
    assert.ok(!Buffer.from(jws.split('.')[1]!, 'base64url').toString().includes('hunter2'));
    await writeFile(join(dir, 'creds.jws'), jws);

    const plain = JSON.parse(await pushmeshOk(['config', 'verify', join(dir, 'creds.jws')])) as Record<string, unknown>;
    assert.deepEqual(plain['encryptedTo'], [aliceId]);
    assert.equal(plain['data'], undefined);
    const opened = JSON.parse(await pushmeshOk(['config', 'verify', '--decrypt', '--home', alice, join(dir, 'creds.jws')])) as Record<string, unknown>;
    assert.deepEqual(opened['data'], { password: 'hunter2' });
    const notListed = await runPushmesh(['config', 'verify', '--decrypt', '--home', bob, join(dir, 'creds.jws')]);
    assert.equal(notListed.code, 1);
    assert.equal(notListed.stderr, `pushmesh: cannot open the data: node ${bobId} is not a recipient\n`);
  });

  it('bad input: one line on stderr, exit 2 for usage, 1 otherwise, never a stack trace', async (t) => {
    const dir = await tempDir(t);
    const home = join(dir, 'home');
    await pushmeshOk(['init', '--home', home]);
    await writeFile(join(dir, 'd.json'), '{}');
    await writeFile(join(dir, 'bad.yaml'), 'a: [1,\n');
    await writeFile(join(dir, 'notkey.pem'), 'hello');
    await writeFile(join(dir, 'badcard.json'), '{"id":"x"}');
    const sign = ['config', 'sign', '--home', home, '--namespace', 'app', '--name', 'n'];
    const cases: [string[], number, RegExp][] = [
      [['config', 'sign', '--home', home, '--name', 'n', '--version', '1', join(dir, 'd.json')], 2, /required option '--namespace <ns>' not specified/],
      [[...sign, '--version', 'x', join(dir, 'd.json')], 2, /--version "x" must be an integer/],
      [[...sign, '--version', '-1', join(dir, 'd.json')], 2, /--version|unknown option/],
      [['config', 'sign', '--home', home, '--namespace', 'a.b', '--name', 'n', '--version', '1', join(dir, 'd.json')], 2, /namespace "a\.b" must be 1-64 characters/],
      [[...sign, '--version', '1', join(dir, 'missing.json')], 2, /cannot read data file .*missing\.json \(ENOENT\)/],
      [[...sign, '--version', '1', join(dir, 'bad.yaml')], 2, /bad\.yaml is neither JSON nor YAML/],
      [[...sign, '--version', '1', '--key', join(dir, 'notkey.pem'), join(dir, 'd.json')], 1, /notkey\.pem: not a PEM private key/],
      [[...sign, '--version', '1', '--encrypt-to', join(dir, 'badcard.json'), join(dir, 'd.json')], 1, /badcard\.json: bad card/],
      [['config', 'sign', '--home', join(dir, 'none'), '--namespace', 'a', '--name', 'n', '--version', '1', join(dir, 'd.json')], 1, /no identity in .*none \(run pushmesh init\)/],
      [['config', 'verify', join(dir, 'missing.jws')], 2, /cannot read signed config/],
      [['config', 'verify', join(dir, 'd.json')], 1, /signed config refused \(malformed\): not a compact JWS/],
      [['config', 'verify', '--owner', 'zz', join(dir, 'd.json')], 2, /--owner "zz" is not a node ID/],
    ];
    for (const [args, code, message] of cases) {
      const r = await runPushmesh(args);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.match(r.stderr, /^pushmesh: [^\n]+\n$/);
      assert.doesNotMatch(r.stderr, STACK_FRAME);
    }
  });

  it('publish: the node answer is printed; a refusal or no node is exit 1 with the reason', async (t) => {
    const dir = await tempDir(t);
    const home = join(dir, 'home');
    await pushmeshOk(['init', '--home', home]);
    await writeFile(join(dir, 'd.json'), '1');
    await writeFile(join(dir, 's.jws'), await pushmeshOk(['config', 'sign', '--home', home, '--namespace', 'a', '--name', 'n', '--version', '1', join(dir, 'd.json')]));
    const seen: { type?: string; body: string }[] = [];
    const server = await startHttpServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ type: req.headers['content-type'], body });
        if (seen.length === 1) res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"accepted"}');
        else res.writeHead(403, { 'content-type': 'application/json' }).end('{"error":{"code":"ERR_CONFIG_REFUSED","reason":"unknown_owner","message":"signed config refused (unknown_owner): nope"}}');
      });
    }, t);
    assert.equal(await pushmeshOk(['config', 'publish', join(dir, 's.jws'), '--local', server.url]), '{"status":"accepted"}');
    assert.equal(seen[0]?.type, 'application/jose');
    assert.match(seen[0]!.body, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    const refused = await runPushmesh(['config', 'publish', join(dir, 's.jws'), '--local', server.url.replace('http://', '')]);
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr, 'pushmesh: node refused the config: signed config refused (unknown_owner): nope\n');
    await server.close();
    const down = await runPushmesh(['config', 'publish', join(dir, 's.jws'), '--local', server.url]);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /^pushmesh: no node answering at http:\/\/127\.0\.0\.1:\d+ \(is "pushmesh run" running\?\)\n$/);
  });
});
