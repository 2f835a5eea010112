import { compactVerify, importJWK } from 'jose';
import { LRUCache } from 'lru-cache';
import type { NodeId } from '../identity/types.js';
import { ConfigRefusedError, malformed } from '../errors/config-refused-error.js';
import { decodeSignedConfig, type ConfigJwk } from './format.js';
import type { VerifiedConfig } from './types.js';

export interface VerifyConfigOptions {
  /**
   * Whether `signer` may sign configs of `namespace`. Checked before the
   * signature, so configs from strangers cost no key import and no
   * signature check. Absent: any signer (the caller checks `owner` itself).
   */
  isOwner?: (namespace: string, signer: NodeId) => boolean;
}

type VerifyKey = Awaited<ReturnType<typeof importJWK>>;

/** Imported signer keys by their coordinates: owners are few, and importing costs more than verifying. */
const keys = new LRUCache<string, Promise<VerifyKey>>({ max: 256 });

function importKey(jwk: ConfigJwk): Promise<VerifyKey> {
  const id = `${jwk.x}.${jwk.y}`;
  let key = keys.get(id);
  if (!key) {
    key = importJWK({ ...jwk }, 'ES256').catch((cause: unknown) => {
      keys.delete(id);
      throw malformed('header jwk is not a point on P-256', cause);
    });
    keys.set(id, key);
  }
  return key;
}

/**
 * Verifies a signed config: its shape (decodeSignedConfig), that the
 * signer may sign the namespace, and the ES256 signature with the key in
 * the protected header. Throws ConfigRefusedError with reason
 * `malformed`, `unknown_owner` or `bad_signature`; nothing else.
 * Versions are the store's business (ConfigStore).
 */
export async function verifySignedConfig(jws: unknown, opts: VerifyConfigOptions = {}): Promise<VerifiedConfig> {
  const decoded = decodeSignedConfig(jws);
  const { namespace } = decoded.payload;
  if (opts.isOwner && !opts.isOwner(namespace, decoded.owner)) {
    throw new ConfigRefusedError('unknown_owner', `${decoded.owner} is not a trusted owner of namespace "${namespace}"`);
  }
  const key = await importKey(decoded.header.jwk);
  try {
    await compactVerify(decoded.jws, key, { algorithms: ['ES256'] });
  } catch (err) {
    throw new ConfigRefusedError('bad_signature', 'the signature does not verify with the key in the header', { cause: err });
  }
  return { jws: decoded.jws, payload: decoded.payload, payloadSegment: decoded.payloadSegment, owner: decoded.owner };
}
