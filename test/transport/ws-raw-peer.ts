import type { ClientRequest } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { WebSocket } from 'ws';
import { parseChallenge, tlsExporter, type Challenge } from '../../src/transport/auth/ws-challenge.js';
import { WS_SUBPROTOCOL } from '../../src/transport/ws/subprotocol.js';

/** One frame as a raw peer saw it. */
export interface RawFrame {
  data: Buffer;
  isBinary: boolean;
}

/** A peer WebSocket the test drives by hand: every frame it got, how it closed, its side of the TLS exporter. */
export interface RawPeer {
  ws: WebSocket;
  frames: RawFrame[];
  /** The first frame, parsed as a challenge. */
  challenge: Promise<Challenge>;
  /** This connection's RFC 9266 tls-exporter value, as the client computes it. */
  exporter(): Buffer;
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves with the next frame that arrives after the call. */
  nextFrame(): Promise<RawFrame>;
}

/**
 * Opens `wss://127.0.0.1:PORT/ws` as the test says (subprotocols, client
 * certificate or none, extra headers such as a replayed Authorization) and
 * resolves once the upgrade is done.
 */
export function openRawPeer(
  port: number,
  opts: { protocols?: string[]; tls?: { key: string; cert: string } | null; headers?: Record<string, string> } = {},
): Promise<RawPeer> {
  let socket: TLSSocket | null = null;
  const ws = new WebSocket(`wss://127.0.0.1:${port}/ws`, opts.protocols ?? [WS_SUBPROTOCOL], {
    rejectUnauthorized: false,
    ...(opts.tls ? { key: opts.tls.key, cert: opts.tls.cert } : {}),
    headers: opts.headers ?? {},
    perMessageDeflate: false,
    finishRequest: (req: ClientRequest) => {
      req.on('socket', (s) => (socket = s as TLSSocket));
      req.end();
    },
  } as ConstructorParameters<typeof WebSocket>[2]);
  const frames: RawFrame[] = [];
  const waiters: Array<(f: RawFrame) => void> = [];
  let firstFrame!: (f: RawFrame) => void;
  const first = new Promise<RawFrame>((r) => (firstFrame = r));
  ws.on('message', (data, isBinary) => {
    const f = { data: Buffer.isBuffer(data) ? data : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]), isBinary };
    frames.push(f);
    if (frames.length === 1) firstFrame(f);
    for (const w of waiters.splice(0)) w(f);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })));
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
    ws.once('open', () => {
      ws.off('error', reject);
      ws.on('error', () => undefined);
      resolve({
        ws,
        frames,
        challenge: first.then((f) => parseChallenge(f.data, f.isBinary)),
        exporter: () => tlsExporter(socket!),
        closed,
        nextFrame: () => new Promise((r) => waiters.push(r)),
      });
    });
  });
}
