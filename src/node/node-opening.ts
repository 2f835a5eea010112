import type { X509Certificate } from 'node:crypto';
import type { Logger } from 'pino';
import type { NodeConfig } from '../config/index.js';
import { prepareHome } from '../home/index.js';
import { openIdentity } from '../identity/index.js';
import type { Identity } from '../identity/types.js';
import { parsePeerGroup } from '../links/peer-group.js';
import { TrustPolicy } from '../signed-config/index.js';
import { loadTrustCas } from '../transport/auth/trust-ca.js';
import { builtinTransports } from '../transport/registry.js';
import { refuseIgnoredBackends } from './backend-settings.js';
import type { Part } from './lifecycle.js';
import type { NodeStartOptions } from './start-options.js';

/** What a node is built from once its home is its own. */
export interface OpenedHome {
  identity: Identity;
  trust: TrustPolicy;
  trustCas: X509Certificate[];
  /** The home folder's lock as the node's first part: released when the node stops. */
  home: Part;
}

/**
 * Everything before a node is built: settings that would be ignored or
 * are malformed (backends, peer URLs, the trust list) are refused before
 * anything opens; then the home is locked (one node per home) with its
 * file modes checked (docs/configuration.md "Home folder"), the identity
 * opened (created on first start) and the trust CAs read. A failure after
 * the lock releases it.
 */
export async function openHome(config: NodeConfig, log: Logger, opts: NodeStartOptions): Promise<OpenedHome> {
  refuseIgnoredBackends(config, opts.backends === 'caller');
  for (const entry of config.peers) parsePeerGroup(entry, opts.transports ?? builtinTransports());
  const trust = TrustPolicy.fromConfig(config.trust);
  const lock = await prepareHome(config.home, log);
  try {
    const { identity, created } = await openIdentity(config.home, { certFile: config.certFile, checkCertificate: true });
    if (created) log.info({ id: identity.id, home: config.home }, 'created a new node identity');
    return { identity, trust, trustCas: await loadTrustCas(config.trustCa), home: { name: 'home', close: () => lock.release() } };
  } catch (err) {
    lock.release();
    throw err;
  }
}
