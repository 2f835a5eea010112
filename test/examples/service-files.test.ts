/**
 * The service recipes (docs/node.md "Run as a service"): the systemd unit
 * passes `systemd-analyze verify` where that command exists (CI installs
 * systemd through scripts/install-test-deps.sh), and the unit and the
 * Dockerfile start the node with the documented command (its PID is the
 * node), reload with SIGHUP and keep the home as state.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../helpers/temp-dir.js';
import { PACKAGE_ROOT } from './run-example.js';

const UNIT = join(PACKAGE_ROOT, 'examples', 'systemd', 'pushmesh.service');
const DOCKERFILE = join(PACKAGE_ROOT, 'examples', 'docker', 'Dockerfile');

describe('service recipes', () => {
  it('examples/systemd/pushmesh.service passes systemd-analyze verify', async (t) => {
    if (spawnSync('systemd-analyze', ['--version']).error) {
      t.skip('systemd-analyze is not installed (Debian package systemd): the unit is not checked here');
      return;
    }
    // verify checks that ExecStart's program exists: point it at the node running this test when it lives elsewhere than /usr/bin/node.
    const dir = await tempDir(t);
    const unit = join(dir, 'pushmesh.service');
    await writeFile(unit, (await readFile(UNIT, 'utf8')).replace('ExecStart=/usr/bin/node ', `ExecStart=${process.execPath} `));
    const r = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(`${r.stdout}${r.stderr}`.trim(), '', 'no warning');
  });

  it('the unit: the node is the main PID, SIGHUP reloads, the home is the state directory, hardened', async () => {
    const unit = await readFile(UNIT, 'utf8');
    const line = (key: string): string[] => [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!);
    assert.deepEqual(line('ExecStart'), ['/usr/bin/node /opt/pushmesh/dist/src/cli/main.js run --home ${STATE_DIRECTORY} --config /etc/pushmesh/pushmesh.yaml']);
    assert.deepEqual(line('ExecReload'), ['/bin/kill -HUP $MAINPID']);
    assert.deepEqual(line('Type'), ['notify']);
    assert.deepEqual(line('NotifyAccess'), ['all']);
    assert.deepEqual(line('StateDirectory'), ['pushmesh']);
    assert.deepEqual(line('User'), ['pushmesh']);
    for (const key of ['NoNewPrivileges', 'PrivateTmp', 'ProtectHome']) assert.deepEqual(line(key), ['yes'], key);
    assert.deepEqual(line('ProtectSystem'), ['strict']);
  });

  it('the Dockerfile: multi-stage, non-root, the home a volume, a health check on /healthz, the same start command', async () => {
    const text = await readFile(DOCKERFILE, 'utf8');
    assert.equal([...text.matchAll(/^FROM /gm)].length, 2, 'two stages');
    assert.match(text, /^USER node$/m);
    assert.match(text, /^VOLUME \["\/var\/lib\/pushmesh"\]$/m);
    assert.match(text, /^HEALTHCHECK (?:.*\\\n)*.*http:\/\/127\.0\.0\.1:15004\/healthz/m);
    assert.match(text, /^ENTRYPOINT \["node", "\/opt\/pushmesh\/dist\/src\/cli\/main\.js", "run"\]$/m);
    assert.match(text, /^STOPSIGNAL SIGTERM$/m);
  });
});
