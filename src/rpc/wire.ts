import { PushmeshError } from '../errors/index.js';
import type { RpcRequest, RpcResponse } from '../core/rpc-exchange.js';

const METHOD = /^[A-Z]{1,16}$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]{1,64}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const MAX_HEADERS = 32;

/**
 * Hop-by-hop and connection-specific headers (RFC 9110 §7.6.1) plus ones
 * the receiving side recomputes: never carried across the mesh.
 */
const DROPPED = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade',
  'host', 'content-length', 'expect', 'proxy-authorization', 'proxy-authenticate', '__proto__',
]);

const bad = (message: string): PushmeshError => new PushmeshError('ERR_BAD_MESSAGE', message);

/** Keeps the end-to-end headers worth carrying (lowercase names, string values), bounded in count. */
export function carriedHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  let n = 0;
  for (const [name, value] of Object.entries(raw)) {
    const k = name.toLowerCase();
    if (value === undefined || DROPPED.has(k) || k.startsWith('x-pushmesh-') || !HEADER_NAME.test(k)) continue;
    if (++n > MAX_HEADERS) break;
    out[k] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function readHeaders(v: unknown): Record<string, string> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw bad('headers must be an object');
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length > MAX_HEADERS) throw bad(`at most ${MAX_HEADERS} headers`);
  const out: Record<string, string> = {};
  for (const [k, val] of entries) {
    if (!HEADER_NAME.test(k) || DROPPED.has(k)) throw bad(`header "${k.slice(0, 64)}" is not allowed`);
    if (typeof val !== 'string' || /[\r\n\0]/.test(val)) throw bad(`header "${k}" must be a single-line string`);
    out[k] = val;
  }
  return out;
}

function readBody(v: unknown): string {
  if (typeof v !== 'string' || !BASE64.test(v) || v.length % 4 !== 0) throw bad('body must be standard base64');
  return v;
}

function object(v: unknown, what: string): Record<string, unknown> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw bad(`${what} must be a JSON object`);
  const o = v as Record<string, unknown>;
  if (o['v'] !== 1) throw bad(`${what} has an unknown version`);
  return o;
}

/** Validates the data of a `pushmesh.req` message (outside input: any JSON value). */
export function readRpcRequest(v: unknown): RpcRequest {
  const o = object(v, 'request');
  const method = o['method'];
  if (typeof method !== 'string' || !METHOD.test(method)) throw bad('method must be an upper-case HTTP method');
  const path = o['path'];
  if (typeof path !== 'string' || !path.startsWith('/') || path.startsWith('//') || path.length > 2048 || /[\s\0]/.test(path)) {
    throw bad('path must start with a single "/" and hold no spaces (at most 2048 characters)');
  }
  return { v: 1, method, path, headers: readHeaders(o['headers']), body: readBody(o['body']) };
}

/** Validates the data of a `pushmesh.res` message (outside input: any JSON value). */
export function readRpcResponse(v: unknown): RpcResponse {
  const o = object(v, 'response');
  const status = o['status'];
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) throw bad('status must be an HTTP status code');
  const res: RpcResponse = { v: 1, status, headers: readHeaders(o['headers']), body: readBody(o['body']) };
  const error = o['error'];
  if (error !== undefined) {
    if (typeof error !== 'string' || error.length > 512) throw bad('error must be a short string');
    res.error = error;
  }
  return res;
}
