import { PushmeshError } from '../../errors/index.js';
import { SENDER_MAC_LENGTH } from '../../message/sender-mac.js';
import { fromBase64Url, toBase64Url } from '../../util/base64url.js';

/** HTTP header that carries a pushmesh sender proof next to a Web Push body (docs/wire-format.md "Over HTTPS"). */
export const SENDER_HEADER = 'pushmesh-sender';

/** The clear fields a sender proof covers over HTTPS, besides what Web Push already has (Topic, the path's node ID, the body). */
export interface SenderProofHeader {
  id: string;
  /** Creation time at the origin, Unix ms. */
  time: number;
  /** The 32-byte sender MAC. */
  mac: Uint8Array;
}

const FORM = /^v1; ?id=([A-Za-z0-9_-]{1,64}); ?time=(\d{1,15}); ?mac=([A-Za-z0-9_-]{43})$/;

/** `v1; id=<id>; time=<unix ms>; mac=<base64url 32 bytes>` */
export function formatSenderHeader(p: SenderProofHeader): string {
  return `v1; id=${p.id}; time=${p.time}; mac=${toBase64Url(p.mac)}`;
}

/**
 * Reads a `Pushmesh-Sender` header; undefined when there is none (a plain
 * Web Push sender). Anything else than exactly one well-formed value is
 * ERR_BAD_ARGUMENT (HTTP 400).
 */
export function parseSenderHeader(value: string | string[] | undefined): SenderProofHeader | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) throw bad('Pushmesh-Sender header given more than once');
  const m = FORM.exec(value.trim());
  if (!m) throw bad('Pushmesh-Sender must be "v1; id=<id>; time=<unix ms>; mac=<base64url>"');
  const time = Number(m[2]);
  if (!Number.isSafeInteger(time)) throw bad('Pushmesh-Sender time is out of range');
  let mac: Buffer;
  try {
    mac = fromBase64Url(m[3]!);
  } catch (cause) {
    throw bad('Pushmesh-Sender mac is not base64url', cause);
  }
  if (mac.length !== SENDER_MAC_LENGTH) throw bad(`Pushmesh-Sender mac is not ${SENDER_MAC_LENGTH} bytes`);
  return { id: m[1]!, time, mac };
}

function bad(message: string, cause?: unknown): PushmeshError {
  return new PushmeshError('ERR_BAD_ARGUMENT', message, cause === undefined ? undefined : { cause });
}
