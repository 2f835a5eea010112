import { PushmeshError } from '../../errors/index.js';
import type { NodeId } from '../../identity/types.js';
import type { MemoryChannel } from './memory-channel.js';

/** A node listening on a memory network. */
export interface MemoryEndpoint {
  readonly id: NodeId;
  /**
   * A dialer arrives with its end of a fresh pipe: start a link on
   * `channel`, or throw ERR_PEER_REFUSED (`unauthenticated: …` /
   * `forbidden: …`) to turn it away.
   */
  accept(peer: { id: NodeId }, channel: MemoryChannel): void;
}

/**
 * The "network" of the memory transport: named addresses in one process,
 * each held by one listening node (`memory://<ID>@<name>` dials `name`).
 * Nodes of one test share one network; nothing leaves the process.
 */
export class MemoryNetwork {
  readonly #at = new Map<string, MemoryEndpoint>();

  /** Takes `address` for `endpoint`; ERR_LISTEN when it is taken. Returns what frees it. */
  bind(address: string, endpoint: MemoryEndpoint): () => void {
    if (this.#at.has(address)) throw new PushmeshError('ERR_LISTEN', `memory address "${address}" is already in use`);
    this.#at.set(address, endpoint);
    return () => {
      if (this.#at.get(address) === endpoint) this.#at.delete(address);
    };
  }

  /** Who listens at `address` now. */
  reach(address: string): MemoryEndpoint | undefined {
    return this.#at.get(address);
  }
}
