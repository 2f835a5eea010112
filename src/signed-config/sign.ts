import { createPublicKey, type KeyObject } from 'node:crypto';
import { CompactSign } from 'jose';
import { PushmeshError } from '../errors/index.js';
import { nodeIdFromPublicKey } from '../identity/index.js';
import type { Card } from '../identity/types.js';
import { encryptConfigData } from './encryption.js';
import { CONFIG_JWS_TYPE, isConfigName, isConfigVersion, MAX_SIGNED_CONFIG_LENGTH, NAME_RULE } from './names.js';
import type { ConfigPayload } from './types.js';

export interface SignConfigInput {
  namespace: string;
  name: string;
  version: number;
  /** Any JSON value. */
  data: unknown;
  /** Encrypt `data` to these nodes (docs/signed-config.md); absent or empty: plain. */
  encryptTo?: readonly Card[];
  /** Signing time, Unix seconds; default now. */
  iat?: number;
}

/**
 * Signs a config as a compact JWS (ES256) with `privateKey` (a P-256
 * private key, the node's own or another owner key). The protected header
 * carries the public key (`jwk`) and its node ID (`kid`), so a receiver
 * learns who signed without a key lookup, and decides by its trust list
 * whether that signer may sign the namespace. Bad input is ERR_BAD_ARGUMENT
 * (ERR_BAD_KEY for a key that is not P-256, ERR_PAYLOAD_TOO_LARGE past
 * MAX_SIGNED_CONFIG_LENGTH).
 */
export async function signConfig(input: SignConfigInput, privateKey: KeyObject): Promise<string> {
  const { namespace, name, version } = input;
  if (!isConfigName(namespace)) throw new PushmeshError('ERR_BAD_ARGUMENT', `namespace "${String(namespace).slice(0, 70)}" must be ${NAME_RULE}`);
  if (!isConfigName(name)) throw new PushmeshError('ERR_BAD_ARGUMENT', `name "${String(name).slice(0, 70)}" must be ${NAME_RULE}`);
  if (!isConfigVersion(version)) throw new PushmeshError('ERR_BAD_ARGUMENT', 'version must be an integer from 0 to 2^53-1');
  const iat = input.iat ?? Math.floor(Date.now() / 1000);
  if (!Number.isSafeInteger(iat) || iat < 0) throw new PushmeshError('ERR_BAD_ARGUMENT', 'iat must be Unix seconds');
  if (JSON.stringify(input.data) === undefined) throw new PushmeshError('ERR_BAD_ARGUMENT', 'config data has no JSON form');
  const payload: ConfigPayload = { namespace, name, version, iat };
  if (input.encryptTo && input.encryptTo.length > 0) payload.encrypted = encryptConfigData(input.data, input.encryptTo);
  else payload.data = input.data;

  const jwk = publicJwk(privateKey);
  const kid = nodeIdFromPublicKey(Buffer.concat([Buffer.of(4), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]));
  const jws = await new CompactSign(Buffer.from(JSON.stringify(payload), 'utf8'))
    .setProtectedHeader({ alg: 'ES256', typ: CONFIG_JWS_TYPE, kid, jwk })
    .sign(privateKey);
  if (jws.length > MAX_SIGNED_CONFIG_LENGTH) {
    throw new PushmeshError('ERR_PAYLOAD_TOO_LARGE', `signed config is ${jws.length} characters; at most ${MAX_SIGNED_CONFIG_LENGTH} are accepted`);
  }
  return jws;
}

function publicJwk(privateKey: KeyObject): { kty: 'EC'; crv: 'P-256'; x: string; y: string } {
  if (privateKey?.type !== 'private' || privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new PushmeshError('ERR_BAD_KEY', 'config signing key must be a P-256 private key');
  }
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  return { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y! };
}
