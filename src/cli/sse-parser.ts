import { PushmeshError } from '../errors/index.js';

/** One Server-Sent Event as the stream gave it. */
export interface SseEvent {
  /** `event:` field; `message` when absent. */
  event: string;
  /** `id:` field, when the event had one. */
  id?: string;
  /** `data:` lines joined with `\n`. */
  data: string;
}

/** Largest event (its data and pending line) the parser keeps before it gives up on the stream. */
export const MAX_SSE_EVENT_CHARS = 1 << 20;

/**
 * The event stream format (WHATWG HTML §9.2.6) over text arriving in
 * chunks cut anywhere: lines end in CRLF, LF or CR; `:` lines are
 * comments; `field: value` (one leading space dropped); a blank line ends
 * an event, which is dispatched when it has data. Unknown fields are
 * ignored. An event or line over MAX_SSE_EVENT_CHARS is ERR_BAD_MESSAGE.
 */
export class SseParser {
  #pending = '';
  #data: string[] | null = null;
  #dataChars = 0;
  #event = '';
  #id: string | undefined;
  /** The chunk ended in CR: an LF starting the next one belongs to that line end. */
  #skipLf = false;

  /** Feeds `chunk`; returns the events it completed. */
  push(chunk: string): SseEvent[] {
    let text = chunk;
    if (this.#skipLf && text.startsWith('\n')) text = text.slice(1);
    this.#skipLf = false;
    const out: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.#line(this.#pending + text.slice(start, i), out);
      this.#pending = '';
      if (c === 13) {
        if (i + 1 < text.length) {
          if (text.charCodeAt(i + 1) === 10) i++;
        } else this.#skipLf = true;
      }
      start = i + 1;
    }
    this.#pending += text.slice(start);
    if (this.#pending.length + this.#dataChars > MAX_SSE_EVENT_CHARS) throw new PushmeshError('ERR_BAD_MESSAGE', `an event of the stream is longer than ${MAX_SSE_EVENT_CHARS} characters`);
    return out;
  }

  #line(line: string, out: SseEvent[]): void {
    if (line === '') {
      if (this.#data !== null) {
        const ev: SseEvent = { event: this.#event || 'message', data: this.#data.join('\n') };
        if (this.#id !== undefined) ev.id = this.#id;
        out.push(ev);
      }
      this.#data = null;
      this.#dataChars = 0;
      this.#event = '';
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') {
      (this.#data ??= []).push(value);
      this.#dataChars += value.length + 1;
      if (this.#dataChars > MAX_SSE_EVENT_CHARS) throw new PushmeshError('ERR_BAD_MESSAGE', `an event of the stream is longer than ${MAX_SSE_EVENT_CHARS} characters`);
    } else if (field === 'event') this.#event = value;
    else if (field === 'id' && !value.includes('\0')) this.#id = value;
  }
}
