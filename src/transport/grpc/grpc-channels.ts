import type { ClientDuplexStream, ServerDuplexStream, StatusObject } from '@grpc/grpc-js';
import type { FrameChannel, FrameChannelEvents } from '../ads/frame-channel.js';
import { CLOSE_CODES, closeReasonFrom, closeText } from '../close-codes.js';
import type { LinkCloseReason } from '../types.js';

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

type ServerCall = ServerDuplexStream<Buffer, Buffer>;
type ClientCall = ClientDuplexStream<Buffer, Buffer>;

/** The listening side of an ADS gRPC stream as a frame channel: frames are gRPC messages. */
export class GrpcServerChannel implements FrameChannel {
  readonly #call: ServerCall;
  #done = false;

  constructor(call: ServerCall) {
    this.#call = call;
  }

  start(events: FrameChannelEvents): void {
    const call = this.#call;
    const closed = (reason: LinkCloseReason, message: string): void => {
      if (this.#done) return;
      this.#done = true;
      events.closed(reason, message);
    };
    call.on('data', (frame: Buffer) => {
      if (!this.#done) events.frame(frame);
    });
    call.on('drain', () => events.drain());
    call.on('end', () => {
      closed('normal', 'client ended the stream');
      call.end(); // answer the half-close with status OK
    });
    call.on('cancelled', () => closed('normal', 'client cancelled the stream'));
    call.on('close', () => closed('transport_error', 'stream closed'));
    call.on('error', () => undefined); // statuses we send come back here; nothing to do
  }

  write(frame: Uint8Array): boolean {
    if (this.#done) return false;
    return this.#call.write(asBuffer(frame));
  }

  end(reason: LinkCloseReason, message: string): void {
    if (this.#done) return;
    this.#done = true;
    if (reason === 'normal') this.#call.end();
    else this.#call.emit('error', { code: CLOSE_CODES[reason].grpc, details: closeText(reason, message, 1024) });
  }

  destroy(reason: LinkCloseReason, message: string): void {
    this.end(reason, message);
  }
}

/** The dialing side of an ADS gRPC stream as a frame channel. */
export class GrpcClientChannel implements FrameChannel {
  readonly #call: ClientCall;
  #done = false;
  /** The stream's final status, once known. */
  readonly status: Promise<StatusObject>;

  constructor(call: ClientCall) {
    this.#call = call;
    this.status = new Promise((resolve) => call.on('status', resolve));
    call.on('error', () => undefined); // the status event says it all
  }

  start(events: FrameChannelEvents): void {
    const call = this.#call;
    call.on('data', (frame: Buffer) => {
      if (!this.#done) events.frame(frame);
    });
    call.on('drain', () => events.drain());
    void this.status.then((s) => {
      if (this.#done) return;
      this.#done = true;
      events.closed(s.code === 0 ? 'normal' : closeReasonFrom('grpc', s.code, s.details), s.details);
    });
  }

  write(frame: Uint8Array): boolean {
    if (this.#done) return false;
    return this.#call.write(asBuffer(frame));
  }

  /** A client cannot send a status: it half-closes after a normal end and cancels otherwise. */
  end(reason: LinkCloseReason): void {
    if (this.#done) return;
    this.#done = true;
    if (reason === 'normal') this.#call.end();
    else this.#call.cancel();
  }

  destroy(): void {
    if (this.#done) return;
    this.#done = true;
    this.#call.cancel();
  }
}
