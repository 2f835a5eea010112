import { createECDH, createHmac, hkdfSync, timingSafeEqual, type ECDH } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { PushmeshError } from '../errors/index.js';
import type { WebpushMessage } from './types.js';

const LABEL = Buffer.from('pushmesh sender-mac v1\0', 'latin1');
export const SENDER_MAC_LENGTH = 32;

/** The fields a sender MAC covers: the same on links, over HTTPS (`Pushmesh-Sender`) and in sealed CloudEvents. */
export type MacFields = Pick<WebpushMessage, 'id' | 'from' | 'to' | 'replace' | 'time' | 'body'>;

/**
 * Content authentication between origin and destination (docs/wire-format.md,
 * "Sender MAC"). VAPID proves who holds a token, but a token is a bearer
 * credential reused for many messages, and RFC 8291 encryption is anonymous:
 * a relay that saw a token could pair it with a body of its own. The sender
 * MAC binds each message to both nodes' static keys:
 *
 *   K   = HKDF-SHA256(salt = "", IKM = ECDH(origin, destination),
 *                     info = label ‖ origin key (65) ‖ destination key (65), 32)
 *   mac = HMAC-SHA256(K, label ‖ id ‖ from ‖ to ‖ replace ‖ time ‖ body)
 *
 * (each string and the body length-prefixed, `time` 8 bytes big-endian).
 * Only the two endpoints can compute K; the ECDH is done once per peer and
 * cached, so a message costs one HMAC over at most 4 KiB.
 */
export class SenderMacKeys {
  readonly #ecdh: ECDH;
  readonly #publicKey: Buffer;
  readonly #keys = new LRUCache<string, Buffer>({ max: 10_000 });

  constructor(privateScalar: Uint8Array, publicKey: Uint8Array) {
    this.#ecdh = createECDH('prime256v1');
    this.#ecdh.setPrivateKey(privateScalar);
    this.#publicKey = Buffer.from(publicKey);
  }

  /** The pair key with `peer` (65-byte uncompressed key); `weAreOrigin` orders the keys in `info`. */
  #pairKey(peer: Uint8Array, weAreOrigin: boolean): Buffer {
    // The key's bytes as a latin1 string (one char per byte, no copy of the bytes first).
    const cacheKey = (weAreOrigin ? 'o' : 'd') + Buffer.from(peer.buffer, peer.byteOffset, peer.byteLength).toString('latin1');
    let k = this.#keys.get(cacheKey);
    if (!k) {
      let shared: Buffer;
      try {
        shared = this.#ecdh.computeSecret(peer);
      } catch (cause) {
        throw new PushmeshError('ERR_BAD_KEY', 'peer key is not a P-256 point', { cause });
      }
      const [origin, dest] = weAreOrigin ? [this.#publicKey, peer] : [peer, this.#publicKey];
      k = Buffer.from(hkdfSync('sha256', shared, Buffer.alloc(0), Buffer.concat([LABEL, origin, dest]), 32));
      this.#keys.set(cacheKey, k);
    }
    return k;
  }

  /** The MAC the origin puts on `wire` for the destination key `to`. */
  sign(wire: MacFields, to: Uint8Array): Buffer {
    return macOf(this.#pairKey(to, true), wire);
  }

  /** Whether `wire.senderMac` is the MAC of the origin key `from` for this node. */
  verify(wire: MacFields & Pick<WebpushMessage, 'senderMac'>, from: Uint8Array): boolean {
    const mac = wire.senderMac;
    if (!mac || mac.length !== SENDER_MAC_LENGTH) return false;
    return timingSafeEqual(macOf(this.#pairKey(from, false), wire), mac);
  }
}

/** label ‖ four length-prefixed strings ‖ time (8) ‖ body length (4): everything before the body, in one buffer. */
function macOf(key: Buffer, w: MacFields): Buffer {
  const strings = [w.id, w.from, w.to, w.replace];
  let size = LABEL.length + 8 + 4;
  for (const s of strings) size += 2 + Buffer.byteLength(s, 'utf8');
  const head = Buffer.allocUnsafe(size);
  let at = LABEL.copy(head, 0);
  for (const s of strings) {
    const len = head.write(s, at + 2, 'utf8');
    head.writeUInt16BE(len, at);
    at += 2 + len;
  }
  head.writeBigUInt64BE(BigInt(w.time), at);
  head.writeUInt32BE(w.body.length, at + 8);
  return createHmac('sha256', key).update(head).update(w.body).digest();
}
