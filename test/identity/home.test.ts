import { strict as assert } from 'node:assert';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { ensureHome, resolveHome, writeFileAtomic } from '../../src/home/index.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('resolveHome', () => {
  const homedir = '/home/someone';
  it('--home beats $PUSHMESH_HOME beats ~/.pushmesh', () => {
    assert.equal(resolveHome({ flag: '/a', env: { PUSHMESH_HOME: '/b' }, homedir }), '/a');
    assert.equal(resolveHome({ env: { PUSHMESH_HOME: '/b' }, homedir }), '/b');
    assert.equal(resolveHome({ env: {}, homedir }), '/home/someone/.pushmesh');
  });
  it('treats empty values as unset, expands ~/ and makes relative paths absolute', () => {
    assert.equal(resolveHome({ flag: '', env: { PUSHMESH_HOME: ' ' }, homedir }), '/home/someone/.pushmesh');
    assert.equal(resolveHome({ env: { PUSHMESH_HOME: '~/mesh' }, homedir }), '/home/someone/mesh');
    assert.equal(resolveHome({ flag: 'rel/dir', homedir }), resolve('rel/dir'));
  });
});

describe('ensureHome', () => {
  it('creates the folder and peers/ with mode 0700 and leaves an existing one alone', async (t) => {
    const root = join(await tempDir(t), 'deep', 'home');
    await ensureHome(root);
    if (process.platform !== 'win32') assert.equal((await stat(root)).mode & 0o777, 0o700);
    await writeFile(join(root, 'x'), '1');
    await ensureHome(root);
    assert.deepEqual((await readdir(root)).sort(), ['peers', 'x']);
  });
});

describe('writeFileAtomic', () => {
  it('writes with the given mode, replaces, leaves no temp files', async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, 'f');
    await writeFileAtomic(file, 'one', { mode: 0o600 });
    await writeFileAtomic(file, 'two', { mode: 0o600 });
    assert.equal(await readFile(file, 'utf8'), 'two');
    if (process.platform !== 'win32') assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.deepEqual(await readdir(dir), ['f']);
  });
  it('with overwrite: false refuses an existing file (EEXIST) and keeps it', async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, 'f');
    await writeFileAtomic(file, 'one', { mode: 0o600, overwrite: false });
    await assert.rejects(writeFileAtomic(file, 'two', { mode: 0o600, overwrite: false }), { code: 'EEXIST' });
    assert.equal(await readFile(file, 'utf8'), 'one');
    assert.deepEqual(await readdir(dir), ['f']);
  });
});
