import { readFileSync } from 'node:fs';
import { fromBase64Url } from '../../src/util/base64url.js';

/** The published vectors, read at run time from test/vectors (not from dist). */
export const VECTORS_URL = new URL('../../../test/vectors/webpush-vectors.json', import.meta.url);

export interface Rfc8291Vector {
  plaintext: string;
  plaintext_utf8: string;
  as_public: string;
  as_private: string;
  ua_public: string;
  ua_private: string;
  salt: string;
  auth_secret: string;
  ecdh_secret: string;
  prk_key: string;
  ikm: string;
  prk: string;
  cek: string;
  nonce: string;
  body: string;
}

export interface WebPushVectors {
  rfc8291_appendix_a: Rfc8291Vector;
  rfc8188_3_1: {
    plaintext_utf8: string;
    ikm: string;
    salt: string;
    rs: number;
    keyid: string;
    prk: string;
    cek: string;
    nonce: string;
    encoded: string;
  };
  rfc8188_3_2: { plaintext_utf8: string; ikm: string; rs: number; keyid_utf8: string; encoded: string };
}

export function loadVectors(): WebPushVectors {
  return JSON.parse(readFileSync(VECTORS_URL, 'utf8')) as WebPushVectors;
}

/** Decodes a vector value (base64url, no padding). */
export const b64 = (text: string): Buffer => fromBase64Url(text);
