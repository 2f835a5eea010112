import type { NodeId } from '../identity/types.js';

/**
 * `data` encrypted to a list of nodes (docs/signed-config.md): the JSON
 * text of the data in an RFC 8188 `aes128gcm` body under a random 16-byte
 * key, and that key in one RFC 8291 Web Push body per recipient.
 */
export interface EncryptedConfigData {
  enc: 'aes128gcm';
  /** base64url of the RFC 8188 body (salt ‖ rs ‖ idlen=0 ‖ records). */
  ciphertext: string;
  /** One entry per node that can read the data. */
  recipients: ConfigRecipient[];
}

export interface ConfigRecipient {
  id: NodeId;
  /** base64url of an RFC 8291 Web Push body to `id` whose plaintext is the 16-byte content key. */
  key: string;
}

/** The JWS payload (UTF-8 JSON). Exactly one of `data` and `encrypted` is present. */
export interface ConfigPayload {
  namespace: string;
  name: string;
  /** Integer ≥ 0; a receiver keeps only increasing versions per (namespace, name). */
  version: number;
  /** Signing time, Unix seconds (informative; ordering is by `version`). */
  iat: number;
  data?: unknown;
  encrypted?: EncryptedConfigData;
}

/** A signed config whose structure and signature (and owner, when asked) checked out. */
export interface VerifiedConfig {
  /** The compact JWS as received. */
  jws: string;
  payload: ConfigPayload;
  /** The payload segment (base64url): equal segments mean identical payloads. */
  payloadSegment: string;
  /** Node ID of the signing key (the protected header's `jwk`). */
  owner: NodeId;
}

/** Where a signed config came from. */
export type ConfigSource =
  | { kind: 'local' }
  | { kind: 'mesh'; from: NodeId }
  | { kind: 'channel'; name: string }
  | { kind: 'store' };

/** What `GET /config/<ns>/<name>` answers, and what SSE update events carry. */
export interface ConfigView {
  namespace: string;
  name: string;
  version: number;
  /** The data; null when it is encrypted and this node is not a recipient (`readable: false`). */
  data: unknown;
  /** Node ID of the signer. */
  owner: NodeId;
  iat: number;
  /** The data travelled encrypted to a list of recipients. */
  encrypted: boolean;
  /** False only for encrypted data this node cannot open. */
  readable: boolean;
  /** When this node accepted it, Unix milliseconds. */
  acceptedAt: number;
}

export interface SubmitResult {
  /** `accepted`: new and kept; `duplicate`: the same payload as the one kept (not an error). */
  status: 'accepted' | 'duplicate';
  config: ConfigView;
}

/** What the local API needs of the signed-config service. */
export interface SignedConfigApi {
  /** Verifies, keeps and publishes a signed config; throws ConfigRefusedError when refused. */
  submit(jws: string): Promise<SubmitResult>;
  get(namespace: string, name: string): { view: ConfigView; jws: string } | undefined;
  list(): ConfigView[];
  /** Calls `listener` for every accepted config; returns the function that stops it. */
  onUpdate(listener: (view: ConfigView) => void): () => void;
}
