/**
 * Headers of a `/req` answer as the local API serves it. The body comes
 * from a service on another node, so it must never act in the local API's
 * origin (http://127.0.0.1:15004): it is a sandboxed, non-sniffed download
 * that no other origin may embed, and the service's headers that act on a
 * whole origin (cookies, CORS, Clear-Site-Data, Alt-Svc, reporting, CSP…)
 * are dropped. Documented in docs/request-response.md ("What the caller
 * gets").
 */

/** `sandbox`: an opaque origin, no scripts, no forms, no popups, even if a browser renders it. */
export const REQ_ANSWER_CSP = "sandbox; default-src 'none'; frame-ancestors 'none'";

/** The request header with which a caller asks to get an answer inline (no `Content-Disposition: attachment`). */
export const INLINE_REQUEST_HEADER = 'x-pushmesh-disposition';

/** Representation and caching headers of the service that pass through unchanged. */
const KEPT = new Set([
  'content-type', 'content-language', 'content-range', 'accept-ranges', 'cache-control', 'etag', 'last-modified',
  'expires', 'age', 'date', 'vary', 'location', 'retry-after', 'www-authenticate', 'allow',
]);

/** `x-…` headers browsers act on: dropped like the others. */
const DROPPED_X = new Set(['x-frame-options', 'x-content-type-options', 'x-xss-protection', 'x-dns-prefetch-control', 'x-permitted-cross-domain-policies', 'x-download-options']);

/** The media type of a Content-Type value, lowercase, without parameters (`text/html; charset=utf-8` → `text/html`). */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * The headers to answer with: the service's kept headers (plus any
 * `x-…` header other than `x-pushmesh-…` and the browser-policy ones),
 * then ours, which nothing from the service can override.
 * `inline` (the caller sent `X-Pushmesh-Disposition: inline` and the
 * answer's media type is in `reqInlineTypes`) leaves out only
 * `Content-Disposition: attachment`.
 */
export function reqAnswerHeaders(service: Record<string, string>, opts: { inline: boolean }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(service)) {
    const k = name.toLowerCase();
    const custom = k.startsWith('x-') && !k.startsWith('x-pushmesh-') && !DROPPED_X.has(k);
    if (KEPT.has(k) || custom) out[k] = value;
  }
  out['content-security-policy'] = REQ_ANSWER_CSP;
  out['x-content-type-options'] = 'nosniff';
  out['cross-origin-resource-policy'] = 'same-origin';
  out['referrer-policy'] = 'no-referrer';
  if (!opts.inline) out['content-disposition'] = 'attachment';
  return out;
}

/** Whether the caller asked for an inline answer and configuration allows the answer's media type inline. */
export function answersInline(requestHeader: string | string[] | undefined, contentType: string | undefined, allowed: readonly string[]): boolean {
  const asked = (Array.isArray(requestHeader) ? requestHeader[0] : requestHeader)?.trim().toLowerCase() === 'inline';
  const type = mediaType(contentType);
  return asked && type !== '' && allowed.includes(type);
}
