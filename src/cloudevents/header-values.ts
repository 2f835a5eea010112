import { PushmeshError } from '../errors/index.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** Printable ASCII except space, double quote and percent: left as is. */
const NOTHING_TO_ENCODE = /^[\x21\x23\x24\x26-\x7e]*$/;

/**
 * Percent-encodes an attribute value for an HTTP or NATS header, as the
 * CloudEvents HTTP and NATS bindings (3.1.3.2) ask: space, double quote,
 * percent and every character outside printable ASCII become `%XY` of
 * their UTF-8 bytes; everything else stays.
 */
export function encodeHeaderValue(value: string): string {
  if (NOTHING_TO_ENCODE.test(value)) return value;
  let out = '';
  for (const ch of value) {
    const c = ch.codePointAt(0)!;
    if (c >= 0x21 && c <= 0x7e && c !== 0x22 && c !== 0x25) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * Reads a header value back: an RFC 7230 quoted string is unquoted first
 * (backslash escapes), then one round of percent-decoding; byte sequences
 * that are not UTF-8 are refused (ERR_BAD_EVENT).
 */
export function decodeHeaderValue(raw: string, name: string): string {
  let value = raw.trim();
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    value = value.slice(1, -1).replace(/\\(.)/gs, '$1');
  }
  if (!value.includes('%')) return value;
  const bytes: number[] = [];
  for (let i = 0; i < value.length; ) {
    const ch = value[i]!;
    if (ch === '%') {
      const hex = value.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new PushmeshError('ERR_BAD_EVENT', `header ${name}: "%" not followed by two hex digits`);
      bytes.push(parseInt(hex, 16));
      i += 3;
    } else {
      const cp = value.codePointAt(i)!;
      const s = String.fromCodePoint(cp);
      for (const b of Buffer.from(s, 'utf8')) bytes.push(b);
      i += s.length;
    }
  }
  try {
    return utf8.decode(Uint8Array.from(bytes));
  } catch (cause) {
    throw new PushmeshError('ERR_BAD_EVENT', `header ${name}: percent-encoded bytes are not UTF-8`, { cause });
  }
}
