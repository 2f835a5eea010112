import { PushmeshError } from '../errors/index.js';

/** Bytes of a VIP6 address taken from the key: the interface ID, the last 8 bytes of the 65-byte public key. */
export const VIP6_TAIL_LENGTH = 8;
/** The /64 every VIP6 address is in: `fd00::/64` (fd00:0:0:0). */
const PREFIX = Buffer.from([0xfd, 0x00, 0, 0, 0, 0, 0, 0]);
/** Longest text accepted (a full form with brackets is 41 characters; an embedded IPv4 one 47). */
const MAX_TEXT = 64;

const bad = (text: string, why: string): PushmeshError =>
  new PushmeshError('ERR_BAD_ARGUMENT', `${JSON.stringify(text.slice(0, MAX_TEXT))} is not a VIP6 address: ${why}`);

/**
 * Whether `text` is meant as an IPv6 address rather than a node ID: it has
 * a `:` or starts with `[` (a node ID never has either). Says nothing of
 * whether it is a good one: parseVip6 does that.
 */
export function looksLikeIpv6(text: string): boolean {
  return text.includes(':') || text.startsWith('[');
}

/**
 * The 16 bytes of an IPv6 address in RFC 4291 §2.2 text form: eight groups
 * of 1–4 hex digits, or fewer with one `::`, optionally ending in a
 * dotted IPv4 address; upper or lower case; optionally in brackets
 * (`[fd00::1]`). No zone (`%eth0`), no prefix length. Throws
 * ERR_BAD_ARGUMENT with the reason.
 */
export function parseIpv6(text: string): Buffer {
  if (text.length > MAX_TEXT) throw bad(text, `longer than ${MAX_TEXT} characters`);
  let s = text;
  if (s.startsWith('[') || s.endsWith(']')) {
    if (!(s.startsWith('[') && s.endsWith(']'))) throw bad(text, 'unbalanced brackets');
    s = s.slice(1, -1);
  }
  if (s.includes('%')) throw bad(text, 'a zone (%…) is not allowed');
  if (s.includes('/')) throw bad(text, 'a prefix length is not allowed');
  const halves = s.split('::');
  if (halves.length > 2) throw bad(text, '"::" more than once');
  const groupsOf = (part: string, last: boolean): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    pieces.forEach((p, i) => {
      if (last && i === pieces.length - 1 && p.includes('.')) {
        const v4 = parseIpv4(p, text);
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
        return;
      }
      if (!/^[0-9A-Fa-f]{1,4}$/.test(p)) throw bad(text, p === '' ? 'an empty group' : `group "${p.slice(0, 8)}" is not 1-4 hex digits`);
      out.push(parseInt(p, 16));
    });
    return out;
  };
  let groups: number[];
  if (halves.length === 2) {
    const head = groupsOf(halves[0]!, false);
    const tail = groupsOf(halves[1]!, true);
    const missing = 8 - head.length - tail.length;
    if (missing < 1) throw bad(text, '"::" stands for no group');
    groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else {
    groups = groupsOf(s, true);
    if (groups.length !== 8) throw bad(text, `${groups.length} groups, not 8 (or use "::")`);
  }
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

function parseIpv4(part: string, text: string): number[] {
  const octets = part.split('.');
  if (octets.length !== 4 || !octets.every((o) => /^(0|[1-9][0-9]{0,2})$/.test(o) && Number(o) <= 255)) {
    throw bad(text, `"${part.slice(0, 16)}" is not a dotted IPv4 address`);
  }
  return octets.map(Number);
}

/**
 * The key bytes a VIP6 address carries (its last 8 bytes), from any text
 * form parseIpv6 takes. An address outside `fd00::/64` is ERR_BAD_ARGUMENT.
 */
export function parseVip6(text: string): Buffer {
  const bytes = parseIpv6(text);
  if (!bytes.subarray(0, 8).equals(PREFIX)) throw bad(text, 'not in fd00::/64');
  return bytes.subarray(8);
}

/** The last 8 bytes of a 65-byte public key: what its VIP6 address ends in. */
export function vip6Tail(publicKey: Uint8Array): Buffer {
  return Buffer.from(publicKey.subarray(publicKey.length - VIP6_TAIL_LENGTH));
}

/** The canonical (RFC 5952) text of the VIP6 address ending in `tail` (8 bytes). */
export function formatVip6(tail: Uint8Array): string {
  if (tail.length !== VIP6_TAIL_LENGTH) throw new TypeError('a VIP6 tail is 8 bytes');
  const groups: string[] = [];
  for (let i = 0; i < 8; i += 2) groups.push(((tail[i]! << 8) | tail[i + 1]!).toString(16));
  // The URL parser prints the RFC 5952 form (longest zero run compressed, lower case).
  return new URL(`http://[fd00:0:0:0:${groups.join(':')}]/`).hostname.slice(1, -1);
}
