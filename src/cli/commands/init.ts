import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { PushmeshError } from '../../errors/index.js';
import { acquireHomeLock, ensureHome } from '../../home/index.js';
import { createIdentity } from '../../identity/index.js';
import type { CliContext } from '../context.js';
import { homeFrom, withHomeOption } from '../home-option.js';

interface InitOptions {
  home?: string;
  importKey?: string;
  auth?: string;
  force?: boolean;
}

/** `pushmesh init [--import-key FILE] [--auth B64URL] [--force]`: create the identity, print the node ID. */
export function registerInit(program: Command, ctx: CliContext): void {
  withHomeOption(program.command('init'))
    .description('create the node identity (or import a P-256 key), print the node ID')
    .option('--import-key <file>', 'adopt an existing P-256 private key (PKCS#8 or SEC1 PEM)')
    .option('--auth <b64url>', 'Web Push auth secret to use (base64url of 16 bytes; default: random)')
    .option('--force', 'replace an existing identity')
    .action(async (options: InitOptions) => {
      const home = homeFrom(options, ctx);
      const importKeyPem = options.importKey === undefined ? undefined : await readKeyFile(options.importKey);
      // Not while a node runs on this home (it holds the lock): it would keep the old key and write with it.
      await ensureHome(home);
      const lock = await acquireHomeLock(home, { purpose: options.force === true ? 'replace the identity' : 'create an identity' });
      let identity;
      try {
        identity = await createIdentity(home, {
          importKeyPem,
          importKeySource: options.importKey,
          auth: options.auth,
          force: options.force === true,
        });
      } finally {
        lock.release();
      }
      ctx.stdout.write(identity.id + '\n');
    });
}

async function readKeyFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code ?? String(err);
    throw new PushmeshError('ERR_BAD_ARGUMENT', `cannot read key file ${file} (${code})`, { cause: err });
  }
}
