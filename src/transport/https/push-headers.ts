import { PushmeshError } from '../../errors/index.js';
import { URGENCIES, type Urgency } from '../../message/types.js';

/** RFC 8030 request headers of one push, validated. */
export interface PushHeaders {
  ttl: number;
  urgency: Urgency;
  /** RFC 8030 §5.4 Topic (pushmesh's `replace`). */
  topic?: string;
}

const TOPIC = /^[A-Za-z0-9_-]{1,32}$/;
const bad = (message: string): PushmeshError => new PushmeshError('ERR_BAD_ARGUMENT', message);

/**
 * RFC 8030 §5.2–5.4: `TTL` is required (delta-seconds), `Urgency` is one of
 * the four values (default normal), `Topic` at most 32 base64url characters.
 * A TTL above `maxTtl` is lowered to it, as §5.2 allows a push service to do.
 */
export function parsePushHeaders(h: Record<string, string | string[] | undefined>, maxTtl: number): PushHeaders {
  const one = (name: string): string | undefined => {
    const v = h[name];
    if (Array.isArray(v)) throw bad(`${name} header given more than once`);
    return v;
  };
  const ttlText = one('ttl');
  if (ttlText === undefined) throw bad('TTL header is required (RFC 8030 §5.2)');
  if (!/^\d{1,10}$/.test(ttlText.trim())) throw bad('TTL must be a non-negative whole number of seconds');
  const out: PushHeaders = { ttl: Math.min(Number(ttlText.trim()), maxTtl), urgency: 'normal' };
  const urgency = one('urgency');
  if (urgency !== undefined) {
    const u = urgency.trim().toLowerCase() as Urgency;
    if (!URGENCIES.includes(u)) throw bad(`Urgency must be one of ${URGENCIES.join(', ')} (RFC 8030 §5.3)`);
    out.urgency = u;
  }
  const topic = one('topic');
  if (topic !== undefined) {
    if (!TOPIC.test(topic.trim())) throw bad('Topic must be 1-32 characters of the base64url alphabet (RFC 8030 §5.4)');
    out.topic = topic.trim();
  }
  return out;
}
