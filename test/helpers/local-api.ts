/** Small clients of a node's local API for tests (plain fetch on 127.0.0.1). */

export interface JsonAnswer {
  status: number;
  json: Record<string, unknown>;
}

/** `POST {local}/msg/{topic}?{query}` with a JSON body (or a raw body and content type). */
export async function postMessage(
  local: string,
  topic: string,
  query: Record<string, string | number>,
  body: unknown,
  opts: { contentType?: string; raw?: string | Buffer } = {},
): Promise<JsonAnswer> {
  const q = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]));
  const res = await fetch(`${local}/msg/${encodeURIComponent(topic)}${q.size ? `?${q}` : ''}`, {
    method: 'POST',
    headers: { 'content-type': opts.contentType ?? 'application/json' },
    body: opts.raw ?? JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** GET a JSON route of the local API. */
export async function getJson(url: string): Promise<JsonAnswer> {
  const res = await fetch(url);
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/**
 * The value of one Prometheus sample in `GET /metrics` text, e.g.
 * metricValue(text, 'pushmesh_messages_in_total', { via: 'local' }); 0 when absent.
 */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const part of (m[2] ?? '').match(/[a-zA-Z_]+="[^"]*"/g) ?? []) {
      const eq = part.indexOf('=');
      got[part.slice(0, eq)] = part.slice(eq + 2, -1);
    }
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return 0;
}

export async function metrics(local: string): Promise<string> {
  return (await fetch(`${local}/metrics`)).text();
}

/**
 * Polls `probe` until it returns a value that `ok` accepts (for state that
 * has no event to wait on, such as a queue depth); fails after `timeoutMs`.
 */
export async function eventually<T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  for (;;) {
    last = await probe();
    if (ok(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
