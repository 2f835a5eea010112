import { PushmeshError } from '../errors/index.js';
import { isNodeId } from '../identity/node-id.js';
import type { NodeCore, SendRequest, SendResult } from '../core/index.js';

const named = (address: string): boolean => address !== '' && !isNodeId(address);

/**
 * The send with node IDs in place of the VIP6 addresses its `to` and `via`
 * may hold (NodeCore.resolveNode: unknown is 404, ambiguous 400). The same
 * request, synchronously, when there is nothing to resolve.
 */
export function resolveSendAddresses(core: NodeCore, req: SendRequest): SendRequest | Promise<SendRequest> {
  if (!named(req.to) && !(req.via ?? []).some(named)) return req;
  return (async () => {
    const out: SendRequest = { ...req, to: named(req.to) ? await core.resolveNode(req.to) : req.to };
    if (req.via) {
      const via = await Promise.all(req.via.map((hop) => (named(hop) ? core.resolveNode(hop) : hop)));
      if (new Set(via).size !== via.length) throw new PushmeshError('ERR_BAD_ARGUMENT', '"via" names a node twice: the message would come back to it (a loop)');
      out.via = via;
    }
    return out;
  })();
}

/**
 * Sends of one connection or one batch, handed to the node in the order
 * they were submitted even when some wait for their addresses to be
 * resolved: the node accepts sends in the order they are made (and
 * commits those of one turn together), so a send that needs no
 * resolution, with none waiting before it, goes at once.
 */
export class OrderedSends {
  readonly #core: NodeCore;
  /** Settles once the last submitted send has been handed to the node (or failed before that); null when none waits. */
  #tail: Promise<void> | null = null;

  constructor(core: NodeCore) {
    this.#core = core;
  }

  submit(req: SendRequest | Promise<SendRequest>): Promise<SendResult> {
    if (this.#tail === null && !(req instanceof Promise)) return this.#core.send(req);
    // A resolution that fails while earlier sends still wait is handled below, once its turn comes; until then it must
    // not count as an unhandled rejection (Node ends the process on one).
    if (req instanceof Promise) req.catch(() => undefined);
    let result: Promise<SendResult> | undefined;
    const handed = (this.#tail ?? Promise.resolve())
      .then(() => req)
      .then(
        (ready) => {
          result = this.#core.send(ready);
        },
        (err: unknown) => {
          result = Promise.reject(err);
        },
      );
    this.#tail = handed;
    void handed.then(() => {
      if (this.#tail === handed) this.#tail = null;
    });
    return handed.then(() => result!);
  }
}
