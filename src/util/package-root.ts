import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/**
 * The folder holding pushmesh's package.json, found upward from this file,
 * so files shipped beside the code (proto/, the dashboard) resolve the same
 * from src/ (tests), dist/ and an installed package.
 */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'proto'))) return (cached = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error('pushmesh package root not found');
    dir = up;
  }
}
