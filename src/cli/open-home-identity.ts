import type { Identity } from '../identity/index.js';
import { notice, type CliContext } from './context.js';

/**
 * The identity of `home` for verbs that need one: created on first use (and
 * said so on stderr), never replaced.
 */
export async function openHomeIdentity(home: string, ctx: CliContext): Promise<Identity> {
  const { openIdentity } = await import('../identity/index.js'); // loaded by the verbs that use it, when they run
  const { identity, created } = await openIdentity(home, { onCertificateRenewed: (reason) => notice(ctx, reason) });
  if (created) notice(ctx, `no identity in ${home}; created one (node ID ${identity.id})`);
  return identity;
}
