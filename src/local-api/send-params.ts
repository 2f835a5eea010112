import { PushmeshError } from '../errors/index.js';
import { isNodeId } from '../identity/node-id.js';
import { looksLikeIpv6, parseVip6 } from '../identity/vip6.js';
import { isSystemTopic } from '../message/system-topic.js';
import { jsonDepthExceeds, MAX_JSON_DEPTH } from '../message/json-depth.js';
import { URGENCIES, type Payload, type Urgency } from '../message/types.js';
import type { SendRequest } from '../core/index.js';

export const DEFAULT_TTL = 86_400;
/** RFC 8030 §5.4: at most 32 characters of the URL and filename safe base64 alphabet. */
const RFC8030_TOPIC = /^[A-Za-z0-9_-]{1,32}$/;
/** App topics: path-safe, printable, bounded. */
const APP_TOPIC = /^[A-Za-z0-9._~:@!$&'()*+,;=-]{1,128}$/;

const bad = (message: string): PushmeshError => new PushmeshError('ERR_BAD_ARGUMENT', message);

/** An app topic; `reading` allows the reserved ones too (apps may watch `pushmesh.status`, never send on it). */
export function parseTopic(topic: string, opts: { reading?: boolean } = {}): string {
  if (!opts.reading && isSystemTopic(topic)) throw bad(`topic "${topic.slice(0, 40)}" is reserved: topics starting with "pushmesh." are the node's own`);
  if (!APP_TOPIC.test(topic)) throw bad(`topic "${topic.slice(0, 40)}" must be 1-128 characters of letters, digits and ._~:@!$&'()*+,;=-`);
  return topic;
}

/**
 * A node address as apps may write it: a full node ID, or a VIP6 address
 * (resolved to an ID later, by resolveSendAddresses). Only its form is
 * checked here.
 */
export function checkAddress(field: string, text: string): void {
  if (isNodeId(text)) return;
  if (!looksLikeIpv6(text)) throw bad(`"${field}" must be ${field === 'via' ? 'comma-separated full node IDs or VIP6 addresses' : 'a full 52-character node ID or a VIP6 address (fd00::…)'}`);
  try {
    parseVip6(text);
  } catch (err) {
    throw new PushmeshError('ERR_BAD_ARGUMENT', `"${field}": ${(err as Error).message}`, { cause: err });
  }
}

/** Validates the query parameters of `POST /msg/<topic>` (and their WebSocket equivalents). */
export function parseSendParams(topic: string, q: Record<string, unknown>, data: Payload, opts: { maxTtl: number }): SendRequest {
  const str = (k: string): string | undefined => {
    const v = q[k];
    if (v === undefined) return undefined;
    if (Array.isArray(v)) throw bad(`"${k}" given more than once`);
    return String(v);
  };
  const to = str('to') ?? '';
  if (to !== '') checkAddress('to', to);
  let ttl = Math.min(DEFAULT_TTL, opts.maxTtl); // a node configured with a lower maxTtl lowers the default too
  const ttlText = str('ttl');
  if (ttlText !== undefined) {
    if (!/^\d{1,10}$/.test(ttlText)) throw bad('"ttl" must be a whole number of seconds');
    ttl = Number(ttlText);
    if (ttl > opts.maxTtl) throw bad(`"ttl" must be at most ${opts.maxTtl} seconds`);
  }
  const urgency = (str('urgency') ?? 'normal') as Urgency;
  if (!URGENCIES.includes(urgency)) throw bad(`"urgency" must be one of ${URGENCIES.join(', ')}`);
  const replace = str('replace');
  if (replace !== undefined && !RFC8030_TOPIC.test(replace)) throw bad('"replace" must be 1-32 characters of A-Z a-z 0-9 - _ (RFC 8030 Topic)');
  const viaText = str('via');
  const via = viaText ? viaText.split(',') : undefined;
  if (via) for (const hop of via) checkAddress('via', hop);
  if (via && new Set(via).size !== via.length) throw bad('"via" names a node twice: the message would come back to it (a loop)');
  const receipt = str('receipt');
  if (data.kind === 'json' && jsonDepthExceeds(data.value)) throw bad(`JSON data nests deeper than ${MAX_JSON_DEPTH} levels`);
  const req: SendRequest = { topic: parseTopic(topic), to, data, ttl, urgency };
  if (replace !== undefined) req.replace = replace;
  if (via) req.via = via;
  if (receipt === '1' || receipt === 'true') req.receipt = true;
  return req;
}
