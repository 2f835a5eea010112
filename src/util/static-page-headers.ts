/**
 * Headers for the node's own static pages (the dashboard on the local API,
 * the browser demo on the HTTPS port): no caching surprises, no sniffing,
 * no referrer, no framing, isolated from other origins, and a Content
 * Security Policy of this origin's own script, style and connections (a
 * same-origin `wss:` included) — no inline code, no plugins, no form posts,
 * Trusted Types enforced so that no string reaches an HTML sink.
 */
export const STRICT_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

export const STATIC_PAGE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'cache-control': 'no-cache',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'content-security-policy': STRICT_PAGE_CSP,
});
