import type { FrameChannel, FrameChannelEvents } from '../../src/transport/ads/frame-channel.js';
import type { LinkCloseReason } from '../../src/transport/types.js';

/** A frame channel the test drives by hand: it records what the link writes and how it ends. */
export class ScriptedChannel implements FrameChannel {
  events!: FrameChannelEvents;
  written: Uint8Array[] = [];
  ended: LinkCloseReason | null = null;
  start(events: FrameChannelEvents): void {
    this.events = events;
  }
  write(frame: Uint8Array): boolean {
    this.written.push(frame);
    return true;
  }
  end(reason: LinkCloseReason): void {
    this.ended ??= reason;
  }
  destroy(reason: LinkCloseReason): void {
    this.ended ??= reason;
  }
}
