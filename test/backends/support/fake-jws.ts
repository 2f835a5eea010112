/**
 * A string shaped like a signed config (compact JWS) claiming a
 * namespace, name and version. Channels never verify, so the signature
 * is junk; what matters is that each one is distinct.
 */
export function fakeSignedConfig(namespace: string, name: string, version: number): string {
  const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'ES256', typ: 'pushmesh-config+jws' })}.${b64({ namespace, name, version, data: { v: version } })}.${Buffer.from(`sig-${namespace}-${name}-${version}`).toString('base64url')}`;
}

/** Collects what a channel subscription delivers and resolves when a predicate holds. */
export class Collector {
  readonly items: string[] = [];
  readonly #waiters = new Set<() => void>();

  readonly push = (s: string): void => {
    this.items.push(s);
    for (const w of [...this.#waiters]) w();
  };

  until(pred: (items: string[]) => boolean, timeoutMs: number): Promise<void> {
    if (pred(this.items)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`condition not met within ${timeoutMs} ms; got ${this.items.length} items`));
      }, timeoutMs);
      const check = (): void => {
        if (!pred(this.items)) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      this.#waiters.add(check);
    });
  }
}

/** The version a fake (or real) signed config claims. */
export function versionOf(jws: string): { namespace: string; name: string; version: number } {
  return JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString()) as { namespace: string; name: string; version: number };
}
