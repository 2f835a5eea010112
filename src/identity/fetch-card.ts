import { PushmeshError } from '../errors/index.js';
import { httpsGet } from './https-get.js';
import { MAX_CARD_BYTES, parseCardText } from './parse-card.js';
import type { Card } from './types.js';

/** Default time limit for fetching a card. */
export const FETCH_CARD_TIMEOUT_MS = 10_000;

export interface FetchCardOptions {
  readonly timeoutMs?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Used for http: URLs; injectable for tests; default the global fetch. */
  readonly fetch?: typeof fetch | undefined;
  /** Told how an https: card was authenticated: the certificate holds the card's key, or a trusted CA signed it for the host. */
  readonly onVerified?: ((how: 'certificate-key' | 'ca') => void) | undefined;
}

/**
 * Where a node serves its card: `url` itself, or `url` + `id` when its path
 * ends with `/` (so `http://127.0.0.1:15004` means `…/id`).
 */
export function cardUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw new PushmeshError('ERR_BAD_ARGUMENT', `${JSON.stringify(url)} is not a URL`, { cause: err });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new PushmeshError('ERR_BAD_ARGUMENT', `${url}: only http:// and https:// URLs can serve a card`);
  }
  if (parsed.pathname.endsWith('/')) parsed.pathname += 'id';
  return parsed;
}

/**
 * Fetch and strictly validate a running node's card (`GET /id`). Network
 * failures, timeouts and non-2xx answers are ERR_IO; a bad card ERR_BAD_CARD.
 *
 * Over https:, a certificate that a trusted CA signed for the host is
 * accepted as usual; otherwise the certificate must hold the key of the
 * card it served (a node's self-signed certificate): its node ID must be
 * the card's `id`, which is itself checked against `keys.p256dh`. Nothing
 * else about the certificate is pinned.
 */
export async function fetchCard(url: string, options: FetchCardOptions = {}): Promise<Card> {
  const target = cardUrl(url);
  const timeoutMs = options.timeoutMs ?? FETCH_CARD_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal]);
  if (target.protocol === 'https:') return fetchCardOverTls(target, signal, timeout, timeoutMs, options.onVerified);
  const doFetch = options.fetch ?? fetch;
  try {
    const response = await doFetch(target, { signal, headers: { accept: 'application/json' }, redirect: 'error' });
    if (!response.ok) {
      await response.body?.cancel();
      throw new PushmeshError('ERR_IO', `GET ${target.href} answered ${response.status} ${response.statusText}`.trim());
    }
    return parseCardText(await readLimited(response, MAX_CARD_BYTES, target.href));
  } catch (err) {
    if (err instanceof PushmeshError) throw err;
    if (timeout.aborted) throw new PushmeshError('ERR_IO', `GET ${target.href} timed out after ${timeoutMs} ms`, { cause: err });
    throw new PushmeshError('ERR_IO', `GET ${target.href} failed (${describe(err)})`, { cause: err });
  }
}

async function fetchCardOverTls(target: URL, signal: AbortSignal, timeout: AbortSignal, timeoutMs: number, onVerified: FetchCardOptions['onVerified']): Promise<Card> {
  let got;
  try {
    got = await httpsGet(target, { signal, maxBytes: MAX_CARD_BYTES, headers: { accept: 'application/json' } });
  } catch (err) {
    if (timeout.aborted) throw new PushmeshError('ERR_IO', `GET ${target.href} timed out after ${timeoutMs} ms`, { cause: err });
    throw new PushmeshError('ERR_IO', `GET ${target.href} failed (${describe(err)})`, { cause: err });
  }
  if (got.status < 200 || got.status > 299) throw new PushmeshError('ERR_IO', `GET ${target.href} answered ${got.status} ${got.statusText}`.trim());
  if (got.body === null) throw new PushmeshError('ERR_BAD_CARD', `bad card: ${target.href} sent more than ${MAX_CARD_BYTES} bytes`);
  const card = parseCardText(got.body.toString('utf8'));
  if (!got.authorized && got.peerId !== card.id) {
    throw new PushmeshError(
      'ERR_BAD_CARD',
      `bad card: ${target.host} has neither a CA-signed certificate nor the key of the card it served (${card.id.slice(0, 12)}…)`,
    );
  }
  onVerified?.(got.peerId === card.id ? 'certificate-key' : 'ca');
  return card;
}

async function readLimited(response: Response, max: number, href: string): Promise<string> {
  const tooLarge = () => new PushmeshError('ERR_BAD_CARD', `bad card: ${href} sent more than ${max} bytes`);
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > max) {
    await response.body?.cancel();
    throw tooLarge();
  }
  if (response.body === null) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > max) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The most specific reason of a fetch failure: undici hides it in `cause`. */
function describe(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code !== 'ABORT_ERR') return code;
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return err instanceof Error ? err.message : String(err);
}
