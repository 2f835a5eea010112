import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Something a test can register cleanup with: node:test's TestContext or SuiteContext hooks. */
export interface CleanupScope {
  after(fn: () => unknown): void;
}

/** A fresh empty folder under os.tmpdir(), removed after the test (or suite) when `scope` is given. */
export async function tempDir(scope?: CleanupScope, prefix = 'pushmesh-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  scope?.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A path for a pushmesh home folder that does not exist yet (pushmesh
 * creates it), inside a temporary folder removed after the test.
 */
export async function tempHome(scope?: CleanupScope): Promise<string> {
  return join(await tempDir(scope), 'home');
}
