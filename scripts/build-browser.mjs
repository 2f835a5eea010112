#!/usr/bin/env node
/**
 * Builds the browser module (`pushmesh/browser`, docs/browser.md):
 *
 * 1. type-checks src/browser with tsconfig.browser.json (lib DOM, no Node
 *    types) and writes its declarations to dist/browser/types/;
 * 2. bundles with esbuild, for browsers (platform "browser": an import of
 *    a Node built-in fails the build), ES2022 modules, with source maps:
 *      dist/browser/pushmesh-browser.js       ← src/browser/index.ts (the page API)
 *      dist/browser/pushmesh-browser-core.js  ← src/browser/core/index.ts (the message model alone)
 *
 * Runs offline (esbuild is a devDependency). Exit code 1 on any failure.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

const tsc = require.resolve('typescript/bin/tsc');
const check = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.browser.json')], { stdio: 'inherit', cwd: root });
if (check.status !== 0) {
  console.error('build-browser: type check of src/browser failed (tsconfig.browser.json)');
  process.exit(1);
}

const entries = [
  { name: 'pushmesh-browser', file: 'src/browser/index.ts' },
  { name: 'pushmesh-browser-core', file: 'src/browser/core/index.ts' },
].filter((e) => {
  const there = existsSync(join(root, e.file));
  if (!there) console.warn(`build-browser: ${e.file} does not exist yet; ${e.name}.js not built`);
  return there;
});

const esbuild = await import('esbuild');
mkdirSync(join(root, 'dist', 'browser'), { recursive: true });
try {
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: Object.fromEntries(entries.map((e) => [e.name, e.file])),
    outdir: 'dist/browser',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    sourcemap: true,
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
  });
  for (const [out, meta] of Object.entries(result.metafile.outputs)) {
    if (out.endsWith('.js')) console.log(`build-browser: ${out} ${meta.bytes} bytes`);
  }
} catch {
  // esbuild has printed the errors.
  process.exit(1);
}
