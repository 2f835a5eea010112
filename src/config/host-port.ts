import { PushmeshError } from '../errors/index.js';
import type { HostPort } from './types.js';

/**
 * Parses `HOST:PORT`, `[V6]:PORT`, `:PORT` or `PORT` (the last two keep
 * `defaultHost`). `off` switches a listener off (returns null).
 */
export function parseHostPort(text: string, defaultHost: string, what: string): HostPort | null {
  const s = text.trim();
  if (s === 'off' || s === 'none') return null;
  let host: string;
  let portText: string;
  const v6 = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(s);
  if (v6) {
    host = v6[1]!;
    portText = v6[2]!;
  } else if (/^\d+$/.test(s)) {
    host = defaultHost;
    portText = s;
  } else {
    const i = s.lastIndexOf(':');
    if (i < 0 || s.indexOf(':') !== i) throw bad(what, text);
    host = i === 0 ? defaultHost : s.slice(0, i);
    portText = s.slice(i + 1);
  }
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw bad(what, text);
  return { host, port };
}

export function formatHostPort(hp: HostPort): string {
  return hp.host.includes(':') ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}

function bad(what: string, text: string): PushmeshError {
  return new PushmeshError('ERR_CONFIG', `${what}: "${text}" is not HOST:PORT (or "off")`);
}
