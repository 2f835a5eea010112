import { isSystemTopic } from '../message/system-topic.js';
import type { Message } from '../message/types.js';

type Handler = (msg: Message) => void | Promise<void>;

/**
 * Routes received messages on reserved topics to the part of the node that
 * speaks that protocol, instead of to apps. A reserved topic nobody handles
 * is dropped (and reported), never shown to apps.
 */
export class SystemTopics {
  readonly #handlers = new Map<string, Handler>();
  readonly #onError: (topic: string, err: unknown) => void;

  constructor(onError: (topic: string, err: unknown) => void) {
    this.#onError = onError;
  }

  on(topic: string, handler: Handler): void {
    if (!isSystemTopic(topic)) throw new Error(`"${topic}" is not a reserved topic`);
    this.#handlers.set(topic, handler);
  }

  /** True when `msg` was a system message (handled or dropped); false when it is for apps. */
  dispatch(msg: Message): boolean {
    if (!isSystemTopic(msg.topic)) return false;
    const h = this.#handlers.get(msg.topic);
    if (!h) {
      this.#onError(msg.topic, new Error('no handler for this reserved topic'));
      return true;
    }
    try {
      const r = h(msg);
      if (r) r.catch((err: unknown) => this.#onError(msg.topic, err));
    } catch (err) {
      this.#onError(msg.topic, err);
    }
    return true;
  }
}
