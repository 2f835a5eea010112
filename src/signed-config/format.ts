import { isNodeId, nodeIdFromPublicKey } from '../identity/index.js';
import type { NodeId } from '../identity/types.js';
import { decodeCanonicalBase64Url } from '../util/base64url.js';
import { malformed } from '../errors/config-refused-error.js';
import {
  CONFIG_JWS_TYPE,
  isConfigName,
  isConfigVersion,
  MAX_CONFIG_RECIPIENTS,
  MAX_SIGNED_CONFIG_LENGTH,
  NAME_RULE,
} from './names.js';
import type { ConfigPayload, ConfigRecipient, EncryptedConfigData } from './types.js';

/** The public key of the signer, as the protected header carries it (RFC 7515 §4.1.3). */
export interface ConfigJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
}

/** The protected header: exactly these four members. */
export interface ConfigHeader {
  alg: 'ES256';
  typ: typeof CONFIG_JWS_TYPE;
  /** Node ID of `jwk`. */
  kid: NodeId;
  jwk: ConfigJwk;
}

/** A signed config taken apart and checked for shape; the signature is not checked yet. */
export interface DecodedConfig {
  jws: string;
  header: ConfigHeader;
  payload: ConfigPayload;
  payloadSegment: string;
  /** Node ID derived from the header's key (and equal to `kid`). Whether the key is a point on P-256 is left to the signature check. */
  owner: NodeId;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const PAYLOAD_KEYS = new Set(['namespace', 'name', 'version', 'iat', 'data', 'encrypted']);

/**
 * Takes a compact JWS apart and checks everything but the signature:
 * three canonical base64url segments, a protected header of exactly
 * {alg: ES256, typ, kid, jwk} whose `kid` is the node ID of `jwk`
 * (32-byte coordinates; that they are a point on P-256 is checked when
 * the key is imported to verify the signature), and a payload of exactly our members with valid values.
 * Every failure is ConfigRefusedError('malformed'); nothing else is thrown.
 */
export function decodeSignedConfig(jws: unknown): DecodedConfig {
  if (typeof jws !== 'string') throw malformed('not a string');
  if (jws.length > MAX_SIGNED_CONFIG_LENGTH) throw malformed(`longer than ${MAX_SIGNED_CONFIG_LENGTH} characters`);
  const parts = jws.split('.');
  if (parts.length !== 3) throw malformed('not a compact JWS (three base64url parts separated by ".")');
  const [headerSegment, payloadSegment, signatureSegment] = parts as [string, string, string];
  const headerBytes = segment(headerSegment, 'header');
  const payloadBytes = segment(payloadSegment, 'payload');
  const signature = segment(signatureSegment, 'signature');
  if (signature.length !== 64) throw malformed('signature is not 64 bytes (ES256)');
  const header = readHeader(json(headerBytes, 'header'));
  const owner = readSigner(header);
  const payload = readPayload(json(payloadBytes, 'payload'));
  return { jws, header, payload, payloadSegment, owner };
}

/**
 * Namespace, name and version of a signed config, read without checking
 * the signature: for pipes that route or retain by them (a NATS subject,
 * say). Undefined when it is not a signed config at all. Never trust it.
 */
export function peekConfigAddress(jws: string): { namespace: string; name: string; version: number } | undefined {
  try {
    const { payload } = decodeSignedConfig(jws);
    return { namespace: payload.namespace, name: payload.name, version: payload.version };
  } catch {
    return undefined;
  }
}

function segment(text: string, what: string): Buffer {
  if (text.length === 0) throw malformed(`${what} is empty`);
  const bytes = decodeCanonicalBase64Url(text);
  if (bytes === undefined) throw malformed(`${what} is not canonical base64url`);
  return bytes;
}

function json(bytes: Buffer, what: string): unknown {
  try {
    return JSON.parse(utf8.decode(bytes));
  } catch (err) {
    throw malformed(`${what} is not UTF-8 JSON`, err);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function exactKeys(o: Record<string, unknown>, keys: readonly string[], what: string): void {
  const have = Object.keys(o);
  for (const k of have) if (!keys.includes(k)) throw malformed(`${what} has an unexpected member "${k.slice(0, 32)}"`);
  for (const k of keys) if (!Object.hasOwn(o, k)) throw malformed(`${what} lacks "${k}"`);
}

function readHeader(h: unknown): ConfigHeader {
  if (!isRecord(h)) throw malformed('header is not a JSON object');
  exactKeys(h, ['alg', 'typ', 'kid', 'jwk'], 'header');
  if (h['alg'] !== 'ES256') throw malformed('header alg is not ES256');
  if (h['typ'] !== CONFIG_JWS_TYPE) throw malformed(`header typ is not ${CONFIG_JWS_TYPE}`);
  if (typeof h['kid'] !== 'string' || !isNodeId(h['kid'])) throw malformed('header kid is not a node ID');
  const jwk = h['jwk'];
  if (!isRecord(jwk)) throw malformed('header jwk is not a JSON object');
  exactKeys(jwk, ['kty', 'crv', 'x', 'y'], 'header jwk');
  if (jwk['kty'] !== 'EC' || jwk['crv'] !== 'P-256') throw malformed('header jwk is not an EC P-256 key');
  if (typeof jwk['x'] !== 'string' || typeof jwk['y'] !== 'string') throw malformed('header jwk x and y must be strings');
  return { alg: 'ES256', typ: CONFIG_JWS_TYPE, kid: h['kid'], jwk: { kty: 'EC', crv: 'P-256', x: jwk['x'], y: jwk['y'] } };
}

function readSigner(header: ConfigHeader): NodeId {
  const x = decodeCanonicalBase64Url(header.jwk.x);
  const y = decodeCanonicalBase64Url(header.jwk.y);
  if (x?.length !== 32 || y?.length !== 32) throw malformed('header jwk x and y must be 32 bytes each, base64url');
  const owner = nodeIdFromPublicKey(Buffer.concat([Buffer.of(4), x, y]));
  if (owner !== header.kid) throw malformed('header kid is not the node ID of jwk');
  return owner;
}

function readPayload(p: unknown): ConfigPayload {
  if (!isRecord(p)) throw malformed('payload is not a JSON object');
  for (const k of Object.keys(p)) if (!PAYLOAD_KEYS.has(k)) throw malformed(`payload has an unexpected member "${k.slice(0, 32)}"`);
  const { namespace, name, version, iat } = p;
  if (!isConfigName(namespace)) throw malformed(`payload namespace must be ${NAME_RULE}`);
  if (!isConfigName(name)) throw malformed(`payload name must be ${NAME_RULE}`);
  if (!isConfigVersion(version)) throw malformed('payload version must be an integer from 0 to 2^53-1');
  if (typeof iat !== 'number' || !Number.isSafeInteger(iat) || iat < 0) throw malformed('payload iat must be Unix seconds');
  const hasData = Object.hasOwn(p, 'data');
  const hasEncrypted = Object.hasOwn(p, 'encrypted');
  if (hasData === hasEncrypted) throw malformed('payload must have exactly one of "data" and "encrypted"');
  const payload: ConfigPayload = { namespace, name, version, iat };
  if (hasData) payload.data = p['data'];
  else payload.encrypted = readEncrypted(p['encrypted']);
  return payload;
}

function readEncrypted(e: unknown): EncryptedConfigData {
  if (!isRecord(e)) throw malformed('payload encrypted is not a JSON object');
  exactKeys(e, ['enc', 'ciphertext', 'recipients'], 'payload encrypted');
  if (e['enc'] !== 'aes128gcm') throw malformed('payload encrypted.enc is not aes128gcm');
  const ciphertext = e['ciphertext'];
  if (typeof ciphertext !== 'string' || !decodeCanonicalBase64Url(ciphertext)?.length) {
    throw malformed('payload encrypted.ciphertext is not base64url');
  }
  const list = e['recipients'];
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_CONFIG_RECIPIENTS) {
    throw malformed(`payload encrypted.recipients must list 1 to ${MAX_CONFIG_RECIPIENTS} recipients`);
  }
  const seen = new Set<string>();
  const recipients: ConfigRecipient[] = list.map((r: unknown) => {
    if (!isRecord(r)) throw malformed('a recipient is not a JSON object');
    exactKeys(r, ['id', 'key'], 'a recipient');
    const { id, key } = r;
    if (typeof id !== 'string' || !isNodeId(id)) throw malformed('a recipient id is not a node ID');
    if (seen.has(id)) throw malformed('a recipient is listed twice');
    seen.add(id);
    if (typeof key !== 'string' || !decodeCanonicalBase64Url(key)?.length) throw malformed('a recipient key is not base64url');
    return { id, key };
  });
  return { enc: 'aes128gcm', ciphertext, recipients };
}
