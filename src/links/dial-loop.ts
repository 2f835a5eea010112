import type { Logger } from 'pino';
import { isPushmeshError } from '../errors/index.js';
import { backoffDelay } from '../outbox/backoff.js';
import type { Dialer, Link, PeerTarget } from '../transport/types.js';

export interface DialLoopOptions {
  target: PeerTarget;
  dialer: Dialer;
  logger: Logger;
  /** A link came up: register it (the loop waits for it to close, then dials again). */
  onLink: (link: Link) => void;
  backoff?: { baseMs: number; capMs: number };
  /** A link that lived this long resets the backoff. */
  stableMs?: number;
  random?: () => number;
}

/**
 * Keeps one outbound link to a peer URL up: dials, and whenever the link
 * ends (or a dial fails) dials again after an exponential backoff with
 * full jitter — reset once a link has stayed up `stableMs`. A refusal
 * (authentication, policy) waits the longest backoff: retrying quickly
 * cannot help. The new link runs a fresh handshake, which subscribes
 * again: subscriptions are rebuilt on every reconnect.
 */
export class DialLoop {
  readonly target: PeerTarget;
  readonly #o: DialLoopOptions;
  readonly #abort = new AbortController();
  #link: Link | null = null;
  #done: Promise<void> | null = null;
  /** Dial attempts that failed since the last stable link. */
  failures = 0;
  lastError: string | null = null;

  constructor(opts: DialLoopOptions) {
    this.target = opts.target;
    this.#o = opts;
  }

  start(): void {
    this.#done ??= this.#run();
  }

  get link(): Link | null {
    return this.#link;
  }

  async #run(): Promise<void> {
    const o = this.#o;
    const backoff = o.backoff ?? { baseMs: 250, capMs: 30_000 };
    const signal = this.#abort.signal;
    let attempt = 0;
    while (!signal.aborted) {
      let refusedForGood = false;
      try {
        const link = await o.dialer.dial(this.target, { signal });
        this.#link = link;
        this.lastError = null;
        o.logger.info({ peer: link.peer.id, url: this.target.url, transport: link.transport }, 'peer link up');
        o.onLink(link);
        const ended = await Promise.race([link.closed, aborted(signal)]);
        if (!ended) break; // stopped: the link stays with its owner, to drain or close
        this.#link = null;
        const lived = Date.now() - link.since;
        if (lived >= (o.stableMs ?? 10_000)) attempt = 0;
        if (signal.aborted) break;
        o.logger.info({ peer: link.peer.id, url: this.target.url, reason: ended.reason, detail: ended.message }, 'peer link down; reconnecting');
        refusedForGood = ended.reason === 'forbidden' || ended.reason === 'unauthenticated';
      } catch (err) {
        if (signal.aborted) break;
        this.failures++;
        this.lastError = err instanceof Error ? err.message : String(err);
        refusedForGood = isPushmeshError(err) && err.code === 'ERR_PEER_REFUSED';
        o.logger.warn({ url: this.target.url, reason: this.lastError, attempt }, 'cannot link to peer');
      }
      const delay = refusedForGood ? backoff.capMs : backoffDelay(attempt++, backoff, o.random);
      await sleep(delay, signal);
    }
  }

  /** Stops dialing; the current link is left to its owner (close or drain it there). */
  async stop(): Promise<void> {
    this.#abort.abort(new Error('dial loop stopped'));
    await this.#done;
  }
}

function aborted(signal: AbortSignal): Promise<undefined> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(undefined);
    else signal.addEventListener('abort', () => resolve(undefined), { once: true });
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
