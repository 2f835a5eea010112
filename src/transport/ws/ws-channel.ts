import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { FrameChannel, FrameChannelEvents } from '../ads/frame-channel.js';
import { CLOSE_CODES, closeReasonFrom, closeText } from '../close-codes.js';
import type { LinkLimits } from '../link-limits.js';
import type { LinkCloseReason } from '../types.js';

/** Bytes buffered in the socket above which write() says "wait for drain". */
const HIGH_WATER = 1 << 20;
/** Time a close handshake may take before the socket is cut. */
const CLOSE_GRACE_MS = 5_000;

/**
 * A WebSocket as a frame channel: one binary message per frame. Text
 * messages are a protocol error. Runs its own keepalive: a ping every
 * `keepaliveMs` (whatever the traffic), and the socket is cut when a
 * pong has not come back within `keepaliveTimeoutMs`.
 */
export class WsChannel implements FrameChannel {
  readonly #ws: WebSocket;
  readonly #limits: LinkLimits;
  #events: FrameChannelEvents | null = null;
  #done = false;
  #needDrain = false;
  #pingTimer: NodeJS.Timeout | null = null;
  #pongTimer: NodeJS.Timeout | null = null;

  constructor(ws: WebSocket, limits: LinkLimits) {
    this.#ws = ws;
    this.#limits = limits;
  }

  start(events: FrameChannelEvents): void {
    this.#events = events;
    const ws = this.#ws;
    ws.on('message', (data, isBinary) => {
      if (this.#done) return;
      if (!isBinary) {
        events.violation('protocol_error', 'text frame: pushmesh frames are binary protobuf');
        return;
      }
      events.frame(toBytes(data));
    });
    ws.on('pong', () => {
      if (this.#pongTimer) clearTimeout(this.#pongTimer);
      this.#pongTimer = null;
    });
    ws.on('close', (code, reason) => {
      this.#stopKeepalive();
      if (this.#done) return;
      this.#done = true;
      const text = reason.toString('utf8');
      events.closed(closeReasonFrom('ws', code, text), text || `closed with code ${code}`);
    });
    ws.on('error', (err) => {
      // ws emits 'close' after 'error'; a frame over maxPayload arrives here first (close code 1009).
      if (this.#done) return;
      if ((err as { code?: string }).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
        events.violation('too_large', 'frame over the size limit');
        return;
      }
      this.#done = true;
      this.#stopKeepalive();
      events.closed('transport_error', err.message);
    });
    this.#pingTimer = setInterval(() => this.#ping(), this.#limits.keepaliveMs);
    this.#pingTimer.unref();
  }

  #ping(): void {
    if (this.#done || this.#pongTimer) return; // one ping at a time; its timer is running
    this.#ws.ping();
    this.#pongTimer = setTimeout(() => {
      this.#pongTimer = null;
      if (this.#done) return;
      this.#done = true;
      this.#stopKeepalive();
      this.#ws.terminate();
      this.#events?.closed('keepalive_timeout', `no pong within ${this.#limits.keepaliveTimeoutMs} ms`);
    }, this.#limits.keepaliveTimeoutMs);
    this.#pongTimer.unref();
  }

  #stopKeepalive(): void {
    if (this.#pingTimer) clearInterval(this.#pingTimer);
    if (this.#pongTimer) clearTimeout(this.#pongTimer);
    this.#pingTimer = this.#pongTimer = null;
  }

  write(frame: Uint8Array): boolean {
    if (this.#done) return false;
    this.#ws.send(frame, { binary: true }, () => this.#afterWrite());
    if (this.#ws.bufferedAmount > HIGH_WATER) {
      this.#needDrain = true;
      return false;
    }
    return true;
  }

  /** Holds the frames of one flush in the TLS socket, so they leave in one write (one TLS record, one syscall). */
  cork(): boolean {
    const socket = this.#socket();
    if (this.#done || !socket) return false;
    socket.cork();
    return true;
  }

  uncork(): void {
    this.#socket()?.uncork();
  }

  /** ws's socket (ws keeps it as `_socket` and corks it itself around each frame's header and payload). */
  #socket(): Duplex | undefined {
    const socket = (this.#ws as unknown as { _socket?: Duplex })._socket;
    return socket && typeof socket.cork === 'function' ? socket : undefined;
  }

  #afterWrite(): void {
    if (this.#needDrain && this.#ws.bufferedAmount <= HIGH_WATER / 2) {
      this.#needDrain = false;
      this.#events?.drain();
    }
  }

  end(reason: LinkCloseReason, message: string): void {
    if (this.#done) return;
    this.#done = true;
    this.#stopKeepalive();
    this.#ws.close(CLOSE_CODES[reason].ws, closeText(reason, message));
    const timer = setTimeout(() => this.#ws.terminate(), CLOSE_GRACE_MS);
    timer.unref();
    this.#ws.once('close', () => clearTimeout(timer));
  }

  destroy(): void {
    if (this.#done) return;
    this.#done = true;
    this.#stopKeepalive();
    this.#ws.terminate();
  }
}

function toBytes(data: Buffer | ArrayBuffer | Buffer[]): Uint8Array {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return new Uint8Array(data);
}
