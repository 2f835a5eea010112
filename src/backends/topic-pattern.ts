/**
 * A bridge rule's topic pattern: a glob over the whole topic, where `*`
 * matches any run of characters (dots included) and `?` one character;
 * everything else matches itself. `*` alone matches every topic.
 */
export class TopicPattern {
  readonly source: string;
  readonly #re: RegExp;

  constructor(pattern: string) {
    this.source = pattern;
    const body = [...pattern].map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&'))).join('');
    this.#re = new RegExp(`^${body}$`, 's');
  }

  matches(topic: string): boolean {
    return this.#re.test(topic);
  }
}
