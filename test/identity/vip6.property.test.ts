import { strict as assert } from 'node:assert';
import { isIPv6 } from 'node:net';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { vip6FromPublicKey } from '../../src/identity/node-id.js';
import { formatVip6, looksLikeIpv6, parseIpv6, parseVip6, vip6Tail } from '../../src/identity/vip6.js';
import { uncompressedPublicKey, generatePrivateKey } from '../helpers/keys.js';
import { onlyTyped } from '../helpers/typed-errors.js';

const bytes16 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b));
const groupsOf = (b: Buffer): number[] => Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2));
/** The RFC 5952 form, as the URL parser prints it. */
const canonical = (b: Buffer): string => new URL(`http://[${groupsOf(b).map((g) => g.toString(16)).join(':')}]/`).hostname.slice(1, -1);

/** Every text form of the same 16 bytes a person or a program may write. */
const textForms = (b: Buffer): string[] => {
  const g = groupsOf(b);
  const full = g.map((x) => x.toString(16).padStart(4, '0')).join(':');
  const short = g.map((x) => x.toString(16)).join(':');
  const c = canonical(b);
  const v4 = `${g.slice(0, 6).map((x) => x.toString(16)).join(':')}:${[...b.subarray(12)].join('.')}`;
  return [full, full.toUpperCase(), short, c, c.toUpperCase(), `[${c}]`, `[${full}]`, v4];
};

const IPV6_CHARS = [...'0123456789abcdefABCDEF:.[]%/ gx'];
const ipv6ish = fc.oneof(
  fc.string({ unit: fc.constantFrom(...IPV6_CHARS), maxLength: 50 }),
  fc.string({ maxLength: 50 }),
  bytes16.chain((b) => fc.constantFrom(...textForms(b))).chain((t) =>
    fc.tuple(fc.nat({ max: t.length }), fc.nat({ max: 3 }), fc.constantFrom(...IPV6_CHARS)).map(([at, cut, c]) => t.slice(0, at) + c + t.slice(at + cut)),
  ),
);

describe('VIP6 addresses (fast-check)', () => {
  it('parseIpv6 reads every text form of any 16 bytes back to those bytes', () => {
    fc.assert(
      fc.property(bytes16, (b) => {
        for (const text of textForms(b)) assert.deepEqual(parseIpv6(text), b, text);
      }),
    );
  });

  it('parseIpv6 on any string: 16 bytes that the URL parser agrees with, or ERR_BAD_ARGUMENT', () => {
    fc.assert(
      fc.property(ipv6ish, (text) => {
        const r = onlyTyped(['ERR_BAD_ARGUMENT'], () => parseIpv6(text));
        const inner = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
        // node:net accepts zones (fe80::1%eth0); addresses of nodes have none.
        assert.equal(r.ok, isIPv6(inner) && !inner.includes('%'), text);
        if (r.ok) assert.equal(canonical(r.value), new URL(`http://[${inner}]/`).hostname.slice(1, -1));
      }),
      { numRuns: 2000 },
    );
  });

  it('parseVip6: the last 8 bytes of an address in fd00::/64, any other address refused', () => {
    fc.assert(
      fc.property(bytes16, fc.boolean(), (b, inPrefix) => {
        if (inPrefix) b.set([0xfd, 0, 0, 0, 0, 0, 0, 0]);
        const vip6 = b.subarray(0, 8).equals(Buffer.from([0xfd, 0, 0, 0, 0, 0, 0, 0]));
        for (const text of textForms(b)) {
          const r = onlyTyped(['ERR_BAD_ARGUMENT'], () => parseVip6(text));
          assert.equal(r.ok, vip6, text);
          if (r.ok) assert.deepEqual(r.value, b.subarray(8));
          else assert.match(r.message, /not in fd00::\/64/);
        }
      }),
    );
  });

  it("a node's VIP6 (pushmesh id --vip6) parses back to the last 8 bytes of its key; formatVip6 prints the same text", () => {
    for (let i = 0; i < 20; i++) {
      const key = uncompressedPublicKey(generatePrivateKey('p256'));
      const text = vip6FromPublicKey(key);
      assert.ok(looksLikeIpv6(text));
      assert.deepEqual(parseVip6(text), key.subarray(57));
      assert.deepEqual(vip6Tail(key), key.subarray(57));
      assert.equal(formatVip6(vip6Tail(key)), text);
      assert.deepEqual(parseVip6(`[${text}]`), key.subarray(57));
    }
  });
});
