/**
 * Load generator process of the `e2e` bench (bench/e2e.ts): N senders,
 * each on its own keep-alive connection to node A's local API, send 1 KiB
 * JSON messages to node B as fast as A answers them. Each message carries
 * `{r: run, s: sender, q: seq, t: send time}` so the reader on B can check
 * order per sender and measure latency. `t` is `process.hrtime` in ns
 * (CLOCK_MONOTONIC on Linux: the same clock in every process).
 *
 * Modes: `post` (one `POST /msg/<topic>?to=B` per message), `batch` (one
 * `POST /msgs` of `batch` messages, JSON array), `ws` (app WebSocket
 * `/ws`, `window` send frames in flight per connection).
 *
 * Usage: node e2e-load.js '<json LoadSpec>'; prints one JSON LoadReport line.
 */
import { Agent, request } from 'node:http';
import { WebSocket } from 'ws';

export interface LoadSpec {
  host: string;
  port: number;
  to: string;
  topic: string;
  run: number;
  mode: 'post' | 'batch' | 'ws';
  connections: number;
  /** Messages per POST /msgs (mode batch). */
  batch: number;
  /** Send frames in flight per connection (mode ws). */
  window: number;
  /** Stop after this many messages in all… */
  total: number;
  /** …or after this many ms of sending, whichever comes first. */
  ms: number;
}

export interface LoadReport {
  /** Messages answered 202 / `sent`, per sender (seq 0 … n-1, in order). */
  accepted: number[];
  refused: number;
  errors: string[];
  /** hrtime ns of the first send and of the last answer. */
  startNs: number;
  endNs: number;
  /** CPU of this process while sending, µs. */
  cpuUs: number;
}

const PAD = 'x'.repeat(940); // the whole JSON body is ≈ 1 KiB
const nowNs = (): number => Number(process.hrtime.bigint());

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2]!) as LoadSpec;
  const accepted = new Array<number>(spec.connections).fill(0);
  const errors: string[] = [];
  let refused = 0;
  let claimed = 0;
  const deadline = nowNs() + spec.ms * 1e6;
  /** Claims up to `n` messages of the total; 0 when done. */
  const claim = (n: number): number => {
    if (nowNs() > deadline) return 0;
    const k = Math.min(n, spec.total - claimed);
    claimed += Math.max(0, k);
    return Math.max(0, k);
  };
  const body = (s: number, q: number): Record<string, unknown> => ({ r: spec.run, s, q, t: nowNs(), pad: PAD });
  const fail = (why: string): void => {
    refused++;
    if (errors.length < 5) errors.push(why);
  };

  const cpu0 = process.cpuUsage();
  const startNs = nowNs();
  if (spec.mode === 'ws') await Promise.all(Array.from({ length: spec.connections }, (_, s) => wsSender(s)));
  else {
    const agent = new Agent({ keepAlive: true, maxSockets: spec.connections });
    await Promise.all(Array.from({ length: spec.connections }, (_, s) => httpSender(s, agent)));
    agent.destroy();
  }
  const endNs = nowNs();
  const cpu = process.cpuUsage(cpu0);
  const report: LoadReport = { accepted, refused, errors, startNs, endNs, cpuUs: cpu.user + cpu.system };
  process.stdout.write(`${JSON.stringify(report)}\n`);

  function post(agent: Agent, path: string, contentType: string, text: string): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = request({ host: spec.host, port: spec.port, path, method: 'POST', agent, headers: { 'content-type': contentType } }, (res) => {
        let answer = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (answer += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: answer }));
      });
      req.on('error', reject);
      req.end(text);
    });
  }

  async function httpSender(s: number, agent: Agent): Promise<void> {
    let q = 0;
    for (;;) {
      const n = claim(spec.mode === 'batch' ? spec.batch : 1);
      if (n === 0) return;
      if (spec.mode === 'post') {
        const r = await post(agent, `/msg/${spec.topic}?to=${spec.to}&ttl=120`, 'application/json', JSON.stringify(body(s, q)));
        if (r.status !== 202) return fail(`POST answered ${r.status}: ${r.text.slice(0, 200)}`);
        q++;
      } else {
        const msgs = Array.from({ length: n }, (_, i) => ({ topic: spec.topic, to: spec.to, ttl: 120, data: body(s, q + i) }));
        const r = await post(agent, '/msgs', 'application/json', JSON.stringify(msgs));
        if (r.status !== 202) return fail(`POST /msgs answered ${r.status}: ${r.text.slice(0, 200)}`);
        const results = (JSON.parse(r.text) as { results: Array<{ id?: string; error?: unknown }> }).results;
        const bad = results.findIndex((x) => x.id === undefined);
        if (bad >= 0) return fail(`POST /msgs: message ${bad} refused: ${JSON.stringify(results[bad])}`);
        q += n;
      }
      accepted[s] = q;
    }
  }

  async function wsSender(s: number): Promise<void> {
    const ws = new WebSocket(`ws://${spec.host}:${spec.port}/ws?topic=e2e-load-none`);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    let q = 0;
    let inFlight = 0;
    let done = false;
    await new Promise<void>((resolve) => {
      const finish = (): void => {
        if (done) return;
        done = true;
        ws.close();
        resolve();
      };
      const pump = (): void => {
        while (inFlight < spec.window) {
          if (claim(1) === 0) {
            if (inFlight === 0) finish();
            return;
          }
          ws.send(JSON.stringify({ type: 'send', ref: q, topic: spec.topic, to: spec.to, ttl: 120, data: body(s, q) }));
          q++;
          inFlight++;
        }
      };
      ws.on('message', (raw) => {
        const frame = JSON.parse(String(raw)) as { type: string; ref?: number };
        if (frame.type === 'message') return;
        inFlight--;
        if (frame.type !== 'sent') {
          fail(`ws answered ${String(raw).slice(0, 200)}`);
          return finish();
        }
        accepted[s] = Math.max(accepted[s]!, (frame.ref ?? -1) + 1);
        pump();
      });
      ws.on('close', finish);
      ws.on('error', (err) => {
        fail(`ws error: ${err.message}`);
        finish();
      });
      pump();
    });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
