import { strict as assert } from 'node:assert';
import { posix } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isPushmeshError } from '../../src/errors/index.js';
import { normalizeServicePath, resolveServiceUrl, serviceTarget } from '../../src/rpc/service-url.js';

const TARGETS = ['http://127.0.0.1:8080', 'http://127.0.0.1:8080/', 'http://127.0.0.1:8080/api/', 'http://127.0.0.1:8080/api', 'https://svc.example/a/b/', 'http://[::1]:9/x%20y/'];

/** Decodes %-escapes until none is left (or it stops decoding): what a service that decodes again and again would read. */
function decodeFully(s: string): string | null {
  let cur = s;
  for (let i = 0; i < 10 && /%[0-9A-Fa-f]{2}/.test(cur); i++) {
    try {
      cur = decodeURIComponent(cur);
    } catch {
      return null;
    }
  }
  return cur;
}

/** Pieces an attacker mixes: separators, dots, escapes at several levels, schemes, hosts, unicode look-alikes, controls. */
const piece = fc.oneof(
  fc.constantFrom(
    '/', '//', '\\', '%5C', '%5c', '%255C', '%25255c', '%2F', '%2f', '%252F', '.', '..', '...', '%2e', '%2E', '%252e', '%25252E', '.%2e', '%2e.',
    ';', '..;', '%3B', '?', '#', '%23', '%3F', ':', '@', 'http:', 'https:', 'file:', 'javascript:', '//evil.example', 'evil.example', '127.0.0.1:15004',
    '169.254.169.254', '%00', '%0a', '%0D%0A', '%7f', '%C2%85', '%C0%AE', '%E0%80%AE', '%EF%BC%8E', '%EF%BC%8F', '%EF%BC%BC', '%E2%80%A5', '%u002e',
    '\uff0e', '\uff0f', '\uff3c', '\u2025', ' ', '%20', '%', '%2', '%zz', 'api', 'admin', 'a', '~', '+', '&', '=', '$', ',', "'", '*',
  ),
  fc.string({ maxLength: 4 }),
  fc.string({ unit: 'grapheme', maxLength: 3 }),
  fc.stringMatching(/^(%[0-9A-Fa-f]{2}){1,3}$/),
);
const word = fc.stringMatching(/^[A-Za-z0-9_~-]{1,6}$/);
const segment = fc.array(fc.oneof({ arbitrary: piece, weight: 2 }, { arbitrary: word, weight: 3 }), { minLength: 1, maxLength: 3 }).map((ps) => ps.join(''));
const attackPath = fc.oneof(
  // Anything: pieces run together after any lead.
  fc.tuple(fc.constantFrom('/', '', '//', '\\', 'http://x'), fc.array(piece, { maxLength: 12 })).map(([lead, ps]) => lead + ps.join('')),
  // Path-shaped: "/" + segments, often valid, with a query now and then.
  fc.tuple(fc.array(segment, { maxLength: 6 }), fc.option(fc.array(piece, { maxLength: 3 }))).map(([segs, q]) => `/${segs.join('/')}${q ? `?${q.join('')}` : ''}`),
);

describe('service URL resolution (issue 12: /req stays inside its service)', () => {
  it('no generated request path ever produces an upstream URL outside the target\'s origin and base path', () => {
    fc.assert(
      fc.property(fc.constantFrom(...TARGETS), attackPath, (targetText, path) => {
        const target = serviceTarget(targetText);
        let url: URL;
        try {
          url = resolveServiceUrl(target, path);
        } catch (err) {
          assert.ok(isPushmeshError(err) && err.code === 'ERR_BAD_ARGUMENT', String(err));
          return;
        }
        const base = target.basePath;
        assert.equal(url.origin, target.origin, path);
        assert.equal(url.username + url.password, '', path);
        assert.ok(url.pathname.startsWith(`${base}/`), `${path} → ${url.pathname}`);
        // Parsed again (as the HTTP client does), it stays the same URL.
        assert.equal(new URL(url.href).href, url.href);
        const below = url.pathname.slice(base.length);
        for (const seg of below.split('/').slice(1)) {
          // Whatever a service does with a segment (decode once, decode again and again, NFKC-fold, drop ";params"), it is no dot segment and no separator.
          const deep = decodeFully(seg);
          assert.ok(deep !== null, `${path}: segment ${seg} does not decode`);
          for (const s of [decodeURIComponent(seg), deep, deep.normalize('NFKC')]) {
            assert.ok(!/[/\\\u0000-\u001f\u007f]/.test(s), `${path}: segment ${seg} reads as ${JSON.stringify(s)}`);
            assert.ok(!/^\s*\.[.\s]*$/.test(s.split(';')[0]!), `${path}: segment ${seg} is a dot segment`);
          }
        }
        // A server that decodes the whole path and normalizes it as a file path stays below the base too.
        const decodedPath = decodeFully(url.pathname)!;
        assert.ok(posix.normalize(decodedPath).startsWith(`${decodeFully(base)}/`), `${path} → ${decodedPath}`);
      }),
      { numRuns: 20_000 },
    );
  });

  it('normalizing is idempotent: a canonical path reads back unchanged (what B does with what A sent)', () => {
    fc.assert(
      fc.property(attackPath, (path) => {
        let once: string;
        try {
          once = normalizeServicePath(path);
        } catch {
          return;
        }
        assert.equal(normalizeServicePath(once), once);
      }),
      { numRuns: 5_000 },
    );
  });

  it('ordinary paths keep their meaning', () => {
    fc.assert(
      fc.property(fc.constantFrom(...TARGETS), fc.webPath(), fc.webQueryParameters(), (targetText, p, q) => {
        const path = `/${p.replace(/^\/+/, '').replace(/\/{2,}/g, '/')}${q ? `?${q}` : ''}`;
        const target = serviceTarget(targetText);
        let url: URL;
        try {
          url = resolveServiceUrl(target, path);
        } catch (err) {
          // Only what is refused on purpose: dot segments, encoded separators, bad escapes, controls, raw characters to escape.
          assert.match((err as Error).message, /dot segment|encoded "\/"|backslash|percent-encoding|control|raw space|empty segment/, path);
          return;
        }
        const seg = (s: string) => s.split('/').map((x) => decodeURIComponent(x));
        assert.deepEqual(seg(url.pathname.slice(target.basePath.length)), seg(path.split('?')[0]!));
      }),
      { numRuns: 5_000 },
    );
  });

  it('examples: base path, targets without a trailing slash, and the reported escapes', () => {
    const api = serviceTarget('http://127.0.0.1:8080/api/');
    assert.equal(resolveServiceUrl(api, '/ping').href, 'http://127.0.0.1:8080/api/ping');
    assert.equal(resolveServiceUrl(serviceTarget('http://127.0.0.1:8080/api'), '/ping').href, 'http://127.0.0.1:8080/api/ping');
    assert.equal(resolveServiceUrl(serviceTarget('http://127.0.0.1:8080'), '/ping?x=1').href, 'http://127.0.0.1:8080/ping?x=1');
    assert.equal(resolveServiceUrl(api, '/').href, 'http://127.0.0.1:8080/api/');
    assert.equal(resolveServiceUrl(api, '/%2e%2eok/%7Euser').href, 'http://127.0.0.1:8080/api/..ok/~user');
    for (const [path, reason] of [
      ['/%5C127.0.0.1:9/secret', /backslash/], ['/\\127.0.0.1:9/secret', /backslash/], ['http://127.0.0.1:9/abs', /start with "\/"/],
      ['/..%2Fadmin', /encoded "\/"/], ['/%252e%252e/admin', /dot segment/], ['//evil.example/', /empty segment/], ['/a%0d%0ab', /control/],
      ['/%c0%ae%c0%ae/x', /percent-encoding/], ['/%25252525252e', /too many levels/], ['/\uff0e\uff0e/x', /non-ASCII/], ['/%EF%BC%8E%EF%BC%8E/x', /dot segment/],
    ] as const) {
      assert.throws(() => resolveServiceUrl(api, path), (e: unknown) => isPushmeshError(e) && e.code === 'ERR_BAD_ARGUMENT' && reason.test(e.message), path);
    }
  });
});
