import { PushmeshError } from '../errors/index.js';
import { isNodeId, nodeIdFromPublicKey } from '../identity/index.js';
import type { NodeId } from '../identity/types.js';
import { decodeCanonicalBase64Url } from '../util/base64url.js';
import { isConfigName, NAME_RULE } from './names.js';

/**
 * Reads an owner as `--trust NS=ID` and `config verify --owner` take it:
 * a full node ID, or a base64url 65-byte uncompressed P-256 public key
 * (turned into its node ID). Undefined when it is neither.
 */
export function parseOwner(text: string): NodeId | undefined {
  const s = text.trim();
  if (isNodeId(s)) return s;
  const key = decodeCanonicalBase64Url(text.trim().replace(/=+$/, ''));
  if (key?.length === 65 && key[0] === 0x04) return nodeIdFromPublicKey(key);
  return undefined;
}

/**
 * Who may sign which namespace: namespace → owner node IDs, from the
 * node's `trust` setting (`--trust NS=ID`, `PUSHMESH_TRUST`, `trust:` in
 * the file). No wildcards, no implicit trust: a namespace nobody is
 * trusted for accepts nothing, and a node does not trust itself unless
 * told so.
 */
export class TrustPolicy {
  readonly #owners: ReadonlyMap<string, ReadonlySet<NodeId>>;

  private constructor(owners: Map<string, Set<NodeId>>) {
    this.#owners = owners;
  }

  /** Checks every entry; a bad namespace or owner is ERR_CONFIG naming it. */
  static fromConfig(trust: Readonly<Record<string, readonly string[]>>): TrustPolicy {
    const owners = new Map<string, Set<NodeId>>();
    for (const [ns, ids] of Object.entries(trust)) {
      if (!isConfigName(ns)) throw new PushmeshError('ERR_CONFIG', `trust: namespace "${ns}" must be ${NAME_RULE}`);
      for (const text of ids) {
        const id = parseOwner(text);
        if (id === undefined) {
          throw new PushmeshError('ERR_CONFIG', `trust ${ns}=${text}: not a node ID (52 base32 characters) nor a base64url P-256 public key`);
        }
        let set = owners.get(ns);
        if (!set) owners.set(ns, (set = new Set()));
        set.add(id);
      }
    }
    return new TrustPolicy(owners);
  }

  isOwner(namespace: string, signer: NodeId): boolean {
    return this.#owners.get(namespace)?.has(signer) ?? false;
  }

  /** namespace → owners, for logs and the docs' examples. */
  toJSON(): Record<string, NodeId[]> {
    return Object.fromEntries([...this.#owners].map(([ns, ids]) => [ns, [...ids].sort()]));
  }
}
