/**
 * The per-message sender proof, as src/message/sender-mac.ts:
 *
 *   K   = HKDF-SHA256(salt = "", IKM = ECDH(origin, destination),
 *                     info = label ‖ origin key (65) ‖ destination key (65), 32)
 *   mac = HMAC-SHA256(K, label ‖ id ‖ from ‖ to ‖ replace ‖ time ‖ body)
 *
 * label = "pushmesh sender-mac v1\0"; each string with a 2-byte length,
 * time 8 bytes big-endian, the body with a 4-byte length.
 */
import { bytesEqual, concatBytes, utf8 } from './bytes.js';
import { ecdh, hkdf, hmacSha256 } from './crypto.js';
import { PushmeshError } from './errors.js';
import type { WebpushMessage } from './message.js';
import type { WebCryptoKey } from './webcrypto-types.js';

const LABEL = utf8('pushmesh sender-mac v1\0');
export const SENDER_MAC_LENGTH = 32;

export type MacFields = Pick<WebpushMessage, 'id' | 'from' | 'to' | 'replace' | 'time' | 'body'>;

/** The MAC input: label ‖ four length-prefixed strings ‖ time (8) ‖ body length (4) ‖ body. */
export function senderMacInput(w: MacFields): Uint8Array {
  const parts: Uint8Array[] = [LABEL];
  for (const s of [w.id, w.from, w.to, w.replace]) {
    const b = utf8(s);
    parts.push(new Uint8Array([b.length >>> 8, b.length & 0xff]), b);
  }
  const tail = new Uint8Array(12);
  const view = new DataView(tail.buffer);
  view.setBigUint64(0, BigInt(w.time));
  view.setUint32(8, w.body.length);
  parts.push(tail, w.body);
  return concatBytes(...parts);
}

/** Sender-MAC keys of one node: its ECDH private key and public key; pair keys cached per peer. */
export class SenderMacKeys {
  readonly #ecdhKey: WebCryptoKey;
  readonly #publicKey: Uint8Array;
  readonly #keys = new Map<string, Promise<Uint8Array>>();

  constructor(ecdhPrivateKey: WebCryptoKey, publicKey: Uint8Array) {
    this.#ecdhKey = ecdhPrivateKey;
    this.#publicKey = publicKey.slice();
  }

  #pairKey(peer: Uint8Array, weAreOrigin: boolean): Promise<Uint8Array> {
    const cacheKey = (weAreOrigin ? 'o' : 'd') + String.fromCharCode(...peer);
    let k = this.#keys.get(cacheKey);
    if (!k) {
      k = (async () => {
        let shared: Uint8Array;
        try {
          shared = await ecdh(this.#ecdhKey, peer);
        } catch (cause) {
          throw new PushmeshError('ERR_BAD_KEY', 'peer key is not a P-256 point', { cause });
        }
        const [origin, dest] = weAreOrigin ? [this.#publicKey, peer] : [peer, this.#publicKey];
        return hkdf(new Uint8Array(0), shared, concatBytes(LABEL, origin, dest), 32);
      })();
      if (this.#keys.size >= 1024) this.#keys.delete(this.#keys.keys().next().value!);
      this.#keys.set(cacheKey, k);
      k.catch(() => this.#keys.delete(cacheKey));
    }
    return k;
  }

  /** The MAC the origin puts on `wire` for the destination key `to` (65 bytes). */
  async sign(wire: MacFields, to: Uint8Array): Promise<Uint8Array> {
    return hmacSha256(await this.#pairKey(to, true), senderMacInput(wire));
  }

  /** Whether `wire.senderMac` is the MAC of origin key `from` for this node. */
  async verify(wire: MacFields & Pick<WebpushMessage, 'senderMac'>, from: Uint8Array): Promise<boolean> {
    const mac = wire.senderMac;
    if (!mac || mac.length !== SENDER_MAC_LENGTH) return false;
    return bytesEqual(await hmacSha256(await this.#pairKey(from, false), senderMacInput(wire)), mac);
  }
}
