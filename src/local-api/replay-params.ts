import { PushmeshError } from '../errors/index.js';

/** `Last-Event-ID` (a seq) or `?since=<unix-ms>`: where a late app wants its stream to start. */
export function parseReplay(lastEventId: string | string[] | undefined, since: unknown): { after?: number; since?: number } | undefined {
  const out: { after?: number; since?: number } = {};
  const id = Array.isArray(lastEventId) ? lastEventId[0] : lastEventId;
  if (id !== undefined && id !== '') {
    if (!/^\d{1,20}$/.test(id)) throw new PushmeshError('ERR_BAD_ARGUMENT', 'Last-Event-ID must be an event id this node sent');
    out.after = Number(id);
  }
  if (since !== undefined) {
    if (typeof since !== 'string' || !/^\d{1,15}$/.test(since)) throw new PushmeshError('ERR_BAD_ARGUMENT', '"since" must be Unix milliseconds');
    out.since = Number(since);
  }
  return out.after === undefined && out.since === undefined ? undefined : out;
}
