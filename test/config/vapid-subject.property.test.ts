import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { layerFromEnv, layerFromText, parseVapidSubject, resolveConfig } from '../../src/config/index.js';
import { onlyTyped } from '../helpers/typed-errors.js';

const HOME = '/nonexistent/pushmesh-home';
const mailto = fc.emailAddress().filter((e) => !e.includes('?')).map((e) => `mailto:${e}`);
const https = fc.webUrl({ validSchemes: ['https'], withQueryParameters: true, withFragments: true });
const nearMisses = fc.constantFrom(
  'mailto:',
  'mailto:ops',
  'mailto:@example.com',
  'mailto:ops@',
  'mailto:a@b.com,c@d.com',
  'mailto:ops@example.com?subject=hi',
  'mailto: ops@example.com',
  'http://example.com',
  'https:example.com',
  'https://',
  'https://user:pw@example.com/',
  'ftp://example.com',
  'ops@example.com',
  'example.com',
  '',
  'https://example.com/\u00e9',
  'https://exa mple.com',
  `https://example.com/${'a'.repeat(600)}`,
);
const anyText = fc.oneof(fc.string({ maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 60 }), mailto.map((s) => s.toUpperCase()), nearMisses);

describe('vapidSubject (fast-check)', () => {
  it('any text is a mailto: or https: contact of printable ASCII, at most 512 characters, or ERR_CONFIG naming the setting', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, mailto, https), (s) => {
        const r = onlyTyped(['ERR_CONFIG'], () => parseVapidSubject(s));
        if (!r.ok) {
          assert.match(r.message, /^vapidSubject ".*" .* \(RFC 8292 wants mailto:ADDRESS or an https:\/\/ URL\)$/);
          return;
        }
        assert.match(r.value, /^(mailto:[^@]+@|https:\/\/)[\x21-\x7e]+$/i);
        assert.ok(r.value.length <= 512);
        if (r.value.startsWith('https:')) assert.equal(new URL(r.value).protocol, 'https:');
      }),
      { numRuns: 3000 },
    );
  });

  it('a mail address as mailto: and an https:// URL are taken as given', () => {
    fc.assert(
      fc.property(fc.oneof(mailto, https.filter((u) => u.length <= 512)), (s) => {
        assert.equal(parseVapidSubject(s), s);
      }),
      { numRuns: 1000 },
    );
  });

  it('each near miss is refused, and the scheme is taken in any case', () => {
    for (const bad of ['mailto:', 'mailto:ops', 'mailto:a@b.com,c@d.com', 'mailto:ops@example.com?subject=hi', 'http://example.com', 'https:example.com', 'https://user:pw@example.com/', 'ftp://x', 'ops@example.com', '']) {
      assert.throws(() => parseVapidSubject(bad), { code: 'ERR_CONFIG' }, bad);
    }
    assert.equal(parseVapidSubject('MAILTO:ops@example.com'), 'mailto:ops@example.com');
    assert.equal(parseVapidSubject('HTTPS://example.com/contact'), 'HTTPS://example.com/contact');
  });

  it('comes from the flag layer, PUSHMESH_VAPID_SUBJECT or the file key vapidSubject; default null; a bad one is ERR_CONFIG', () => {
    assert.equal(resolveConfig(HOME, []).vapidSubject, null);
    assert.equal(resolveConfig(HOME, [layerFromEnv({ PUSHMESH_VAPID_SUBJECT: 'mailto:ops@example.com' })]).vapidSubject, 'mailto:ops@example.com');
    assert.equal(resolveConfig(HOME, [layerFromText('vapidSubject: https://example.com/push-contact\n', 'f.yaml')]).vapidSubject, 'https://example.com/push-contact');
    assert.equal(
      resolveConfig(HOME, [{ vapidSubject: 'mailto:flag@example.com' }, layerFromEnv({ PUSHMESH_VAPID_SUBJECT: 'mailto:env@example.com' })]).vapidSubject,
      'mailto:flag@example.com',
    );
    assert.throws(() => resolveConfig(HOME, [layerFromText('vapidSubject: http://example.com\n', 'f.yaml')]), { code: 'ERR_CONFIG', message: /^vapidSubject "http:\/\/example.com" is neither a mailto: nor an https: URI/ });
    assert.throws(() => layerFromText('vapidSubject: [a]\n', 'f.yaml'), { code: 'ERR_CONFIG', message: 'f.yaml: "vapidSubject" must be a string' });
    assert.equal(resolveConfig(HOME, [layerFromEnv({ PUSHMESH_CERT: '/etc/pushmesh/node.pem' })]).certFile, '/etc/pushmesh/node.pem');
    assert.equal(resolveConfig(HOME, [layerFromText('certFile: node.pem\n', 'f.yaml')]).certFile, 'node.pem');
    assert.equal(resolveConfig(HOME, []).certFile, null);
  });
});
