import type { KeyObject } from 'node:crypto';

import type { NodeId } from './node-id-syntax.js';

/** 52-character lowercase unpadded base32 of SHA-256(uncompressed P-256 public key); defined in node-id-syntax.ts (shared with src/browser/). */
export type { NodeId };

/** A node's own identity, loaded from (or created in) its home folder. */
export interface Identity {
  readonly id: NodeId;
  /** 65-byte uncompressed P-256 public key (0x04 ‖ X ‖ Y). */
  readonly publicKey: Buffer;
  /** The private key as a KeyObject (for signing, TLS). */
  readonly privateKey: KeyObject;
  /** The 32-byte private scalar (for node:crypto ECDH). */
  readonly privateScalar: Buffer;
  /** 16-byte Web Push auth secret. */
  readonly auth: Buffer;
  /** PKCS#8 PEM of the private key (for TLS contexts); never log it. */
  readonly privateKeyPem: string;
  /** Self-signed X.509 certificate (CN = node ID), PEM. */
  readonly certificatePem: string;
  /** fd00::/64 + last 8 bytes of the public key. */
  readonly vip6: string;
}

/** A node's card: a standard Web Push subscription plus the node ID. */
export interface Card {
  id: NodeId;
  endpoint: string;
  keys: { p256dh: string; auth: string };
}
