import { PushmeshError } from '../errors/index.js';

/** Longest `vapidSubject` accepted: it travels in every VAPID token the node signs. */
export const MAX_VAPID_SUBJECT_LENGTH = 512;
/** `mailto:` + one address: a local part and a domain, no spaces, no second address, no `?` headers. */
const MAILTO = /^mailto:[^\s@,?<>()[\]\\;:"]+@[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i;

/**
 * The VAPID `sub` claim as configured (`vapidSubject`): RFC 8292 §2.1's
 * contact for the push service, a `mailto:` URI with one address
 * (`mailto:ops@example.com`) or an `https:` URL with a host and no
 * credentials (`https://example.com/contact`). Anything else —
 * another scheme, `http:`, an empty address, spaces, control characters,
 * more than 512 characters — is ERR_CONFIG naming the value.
 */
export function parseVapidSubject(value: string): string {
  const refuse = (why: string): PushmeshError =>
    new PushmeshError('ERR_CONFIG', `vapidSubject "${printable(value)}" ${why} (RFC 8292 wants mailto:ADDRESS or an https:// URL)`);
  if (value.length === 0) throw refuse('is empty');
  if (value.length > MAX_VAPID_SUBJECT_LENGTH) throw refuse(`is longer than ${MAX_VAPID_SUBJECT_LENGTH} characters`);
  if (/[^\x21-\x7e]/.test(value)) throw refuse('holds spaces, control or non-ASCII characters');
  const scheme = value.slice(0, value.indexOf(':') + 1).toLowerCase();
  if (scheme === 'mailto:') {
    if (!MAILTO.test(value)) throw refuse('is not one mail address');
    return 'mailto:' + value.slice('mailto:'.length);
  }
  if (scheme === 'https:') {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw refuse('is not a URL');
    }
    if (url.hostname === '' || !value.slice('https:'.length).startsWith('//')) throw refuse('has no host');
    if (url.username !== '' || url.password !== '') throw refuse('must not hold credentials');
    return value;
  }
  throw refuse('is neither a mailto: nor an https: URI');
}

function printable(value: string): string {
  const shown = value.length > 80 ? value.slice(0, 80) + '…' : value;
  return shown.replace(/[^\x20-\x7e]/g, '?');
}
