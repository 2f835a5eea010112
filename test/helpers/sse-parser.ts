/** One Server-Sent Event as received (`event` is `message` when the server sent no `event:` line, as browsers dispatch it). */
export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/**
 * Incremental parser of an SSE stream as the WHATWG spec reads it: lines
 * end in LF or CRLF, a blank line ends an event, `:` lines are comments,
 * `data:` lines join with LF, one space after the colon is dropped; an
 * event without data is not dispatched; no (or an empty) `event:` line is `message`. Feed it text as it arrives.
 */
export class SseParser {
  #buffer = '';
  #current: SseEvent = { event: 'message', data: '' };
  #hasData = false;

  /** The events completed by `chunk`. */
  feed(chunk: string): SseEvent[] {
    this.#buffer += chunk;
    const out: SseEvent[] = [];
    let nl: number;
    while ((nl = this.#buffer.indexOf('\n')) >= 0) {
      const line = this.#buffer.slice(0, nl).replace(/\r$/, '');
      this.#buffer = this.#buffer.slice(nl + 1);
      if (line === '') {
        if (this.#hasData) out.push(this.#current);
        this.#current = { event: 'message', data: '' };
        this.#hasData = false;
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') {
        this.#current.data = this.#hasData ? `${this.#current.data}\n${value}` : value;
        this.#hasData = true;
      } else if (field === 'id') this.#current.id = value;
      else if (field === 'event') this.#current.event = value === '' ? 'message' : value;
    }
    return out;
  }
}
