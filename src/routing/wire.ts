import { badMessage } from '../message/bad-message.js';
import { typeUrlFor } from '../proto/any.js';
import { bool, bytes, decodeMapped, encodeRaw, int, int64, str, strList, subList } from '../proto/raw.js';
import type { Attachment, Route, RouteAnnouncement } from './types.js';

const TYPE = 'pushmesh.v1.RouteAnnouncement';
/** Type URL of route announcements in xDS resources and WebSocket frames. */
export const ROUTE_ANNOUNCEMENT_TYPE_URL = typeUrlFor(TYPE);
/** Most routes in one announcement (one part). */
export const MAX_ROUTES = 10_000;
/** Most parts of one announcement. */
export const MAX_PARTS = 10_000;

const attachmentRaw = (a: Attachment) => ({ node: a.node, relay: a.relay, expires: a.expires, publicKey: a.publicKey, signature: a.signature });

export function encodeRouteAnnouncement(ann: RouteAnnouncement): Buffer {
  return encodeRaw(TYPE, {
    routes: ann.routes.map((r) => ({ chain: r.chain.map(attachmentRaw) })),
    full: ann.full,
    withdrawn: ann.withdrawn,
    generation: ann.generation ?? 0,
    base: ann.base ?? 0,
    part: ann.part ?? 0,
    parts: ann.parts ?? 0,
    requestFull: ann.requestFull ?? false,
  });
}

/** Parses a RouteAnnouncement; throws ERR_BAD_MESSAGE only. Signatures are checked by verifyRoute. */
export function decodeRouteAnnouncement(data: Uint8Array): RouteAnnouncement {
  return decodeMapped(TYPE, data, (raw) => {
    const routes: Route[] = subList(raw.routes, 'routes').map((r, i) => ({
      chain: subList(r.chain, `routes[${i}].chain`).map(
        (a, j): Attachment => {
          const at = `routes[${i}].chain[${j}]`;
          const att: Attachment = {
            node: str(a.node, `${at}.node`),
            relay: str(a.relay, `${at}.relay`),
            expires: int64(a.expires, `${at}.expires`),
            publicKey: bytes(a.publicKey, `${at}.public_key`),
            signature: bytes(a.signature, `${at}.signature`),
          };
          if (att.publicKey.length !== 65 || att.signature.length !== 64) throw badMessage(`${at}: key must be 65 bytes and signature 64`);
          return att;
        },
      ),
    }));
    if (routes.length > MAX_ROUTES) throw badMessage(`at most ${MAX_ROUTES} routes`);
    const parts = Math.max(1, int(raw.parts, 'parts'));
    const part = int(raw.part, 'part');
    if (parts > MAX_PARTS || part >= parts) throw badMessage(`part ${part} of ${parts}: at most ${MAX_PARTS} parts, numbered from 0`);
    return {
      routes,
      full: bool(raw.full, 'full'),
      withdrawn: strList(raw.withdrawn, 'withdrawn'),
      generation: int64(raw.generation, 'generation'),
      base: int64(raw.base, 'base'),
      part,
      parts,
      requestFull: bool(raw.requestFull, 'request_full'),
    };
  });
}
