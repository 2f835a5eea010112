import { compactVerify } from 'jose';
import type { NodeId } from '../identity/types.js';
import { ConfigRefusedError } from './errors.js';
import { decodeSignedConfig } from './format.js';
import type { VerifiedConfig } from './types.js';

export interface VerifyConfigOptions {
  /**
   * Whether `signer` may sign configs of `namespace`. Checked before the
   * signature, so configs from strangers cost no signature check. Absent:
   * any signer (the caller checks `owner` itself).
   */
  isOwner?: (namespace: string, signer: NodeId) => boolean;
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
  try {
    await compactVerify(decoded.jws, decoded.ownerKey, { algorithms: ['ES256'] });
  } catch (err) {
    throw new ConfigRefusedError('bad_signature', 'the signature does not verify with the key in the header', { cause: err });
  }
  return { jws: decoded.jws, payload: decoded.payload, payloadSegment: decoded.payloadSegment, owner: decoded.owner };
}
