import type { Logger } from 'pino';
import { isPushmeshError } from '../errors/index.js';
import { backoffDelay } from '../outbox/backoff.js';
import type { Dialer, Link, PeerTarget } from '../transport/types.js';

export interface DialLoopOptions {
  /** The peer's URL, or alternatives (one `--peer` entry with `|`) of which one link is kept up, in order of preference. */
  targets: readonly PeerTarget[];
  dialer: (target: PeerTarget) => Dialer;
  logger: Logger;
  /** A link came up: register it (the loop waits for it to close, then dials again). */
  onLink: (link: Link) => void;
  backoff?: { baseMs: number; capMs: number };
  /** A link that lived this long resets the backoff. */
  stableMs?: number;
  random?: () => number;
}

/**
 * Keeps one outbound link to a peer up: dials, and whenever the link
 * ends (or a dial fails) dials again after an exponential backoff with
 * full jitter — reset once a link has stayed up `stableMs`. A refusal
 * (authentication, policy) waits the longest backoff: retrying quickly
 * cannot help. The new link runs a fresh handshake, which subscribes
 * again: subscriptions are rebuilt on every reconnect.
 *
 * With alternatives (relay failover, docs/transports.md "Reconnection"): each
 * round tries them in the order given, at once one after the other, and
 * keeps the first link that comes up; only a round in which none answered
 * waits the backoff. A link that is up stays up (no switching back to a
 * preferred relay that returns); when it ends, the next round starts
 * again from the first alternative.
 */
export class DialLoop {
  readonly targets: readonly PeerTarget[];
  readonly #o: DialLoopOptions;
  readonly #abort = new AbortController();
  #link: Link | null = null;
  #target: PeerTarget;
  #done: Promise<void> | null = null;
  /** Dial attempts that failed since the last stable link. */
  failures = 0;
  lastError: string | null = null;

  constructor(opts: DialLoopOptions) {
    if (opts.targets.length === 0) throw new Error('DialLoop needs at least one target');
    this.targets = opts.targets;
    this.#target = opts.targets[0]!;
    this.#o = opts;
  }

  start(): void {
    this.#done ??= this.#run();
  }

  get link(): Link | null {
    return this.#link;
  }

  /** The alternative linked now, else the one dialed last. */
  get target(): PeerTarget {
    return this.#target;
  }

  /** The peer entry as configured (alternatives joined by `|`). */
  get url(): string {
    return this.targets.map((t) => t.url).join('|');
  }

  async #run(): Promise<void> {
    const o = this.#o;
    const backoff = o.backoff ?? { baseMs: 250, capMs: 30_000 };
    const signal = this.#abort.signal;
    let attempt = 0;
    while (!signal.aborted) {
      let refusals = 0;
      let linked = false;
      let linkRefused = false;
      for (const target of this.targets) {
        if (signal.aborted) return;
        this.#target = target;
        let link: Link;
        try {
          link = await o.dialer(target).dial(target, { signal });
        } catch (err) {
          if (signal.aborted) return;
          this.failures++;
          this.lastError = err instanceof Error ? err.message : String(err);
          if (isPushmeshError(err) && err.code === 'ERR_PEER_REFUSED') refusals++;
          o.logger.warn({ url: target.url, reason: this.lastError, attempt }, 'cannot link to peer');
          continue;
        }
        linked = true;
        this.#link = link;
        this.lastError = null;
        o.logger.info({ peer: link.peer.id, url: target.url, transport: link.transport }, 'peer link up');
        o.onLink(link);
        const ended = await Promise.race([link.closed, aborted(signal)]);
        if (!ended) return; // stopped: the link stays with its owner, to drain or close
        this.#link = null;
        if (Date.now() - link.since >= (o.stableMs ?? 10_000)) attempt = 0;
        if (signal.aborted) return;
        o.logger.info({ peer: link.peer.id, url: target.url, reason: ended.reason, detail: ended.message }, 'peer link down; reconnecting');
        linkRefused = ended.reason === 'forbidden' || ended.reason === 'unauthenticated';
        break; // the next round starts again from the first alternative
      }
      // Refused (the link was ended as refused, or every alternative refused the dial): retrying quickly cannot help.
      const refusedForGood = linked ? linkRefused : refusals === this.targets.length;
      await sleep(refusedForGood ? backoff.capMs : backoffDelay(attempt++, backoff, o.random), signal);
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
