import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { CLI_PATH } from '../helpers/cli.js';
import { SseParser } from '../helpers/sse-parser.js';

/** A `pushmesh run` process, with the addresses it reported in its "pushmesh node running" log line. */
export interface NodeProcess {
  readonly child: ChildProcess;
  readonly id: string;
  readonly local: string;
  readonly https: string | null;
  readonly grpc: string | null;
  /** Every JSON log line so far. */
  readonly logs: Array<Record<string, unknown>>;
  /** Resolves with the first log line (past or future) that `match` accepts. */
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** SIGTERM (drain) or SIGKILL; resolves when the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

function port(text: unknown): string | null {
  return typeof text === 'string' && text !== 'off' ? text : null;
}

/**
 * Starts `node dist/src/cli/main.js run --home HOME …args` and waits for
 * its "pushmesh node running" line (JSON on stdout). pushmesh's own
 * environment variables from outside are not passed on.
 */
export async function startNode(home: string, args: readonly string[], timeoutMs = 30_000): Promise<NodeProcess> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PUSHMESH_') && !k.startsWith('NODE_TEST')) env[k] = v;
  const child = spawn(process.execPath, [CLI_PATH, 'run', '--home', home, '--log-level', 'debug', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Array<Record<string, unknown>> = [];
  const waiters = new Set<{ match: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }>();
  let stderr = '';
  let buffer = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const text = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        continue;
      }
      logs.push(line);
      for (const w of [...waiters]) {
        if (w.match(line)) {
          waiters.delete(w);
          w.resolve(line);
        }
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  if (process.env['PM_ECHO']) child.stdout!.on('data', (c: Buffer) => { for (const l of c.toString().split('\n')) if (l && !l.startsWith('{')) process.stderr.write('[child] ' + l + '\n'); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const waitForLog = (match: (l: Record<string, unknown>) => boolean, ms = 30_000): Promise<Record<string, unknown>> => {
    const past = logs.find(match);
    if (past) return Promise.resolve(past);
    return new Promise((resolve, reject) => {
      const w = {
        match,
        resolve: (l: Record<string, unknown>) => {
          clearTimeout(timer);
          resolve(l);
        },
      };
      const timer = setTimeout(() => {
        waiters.delete(w);
        reject(new Error(`log line not seen within ${ms} ms; stderr: ${stderr.slice(-500)}; last logs: ${logs.slice(-5).map((l) => l['msg']).join(' | ')}`));
      }, ms);
      waiters.add(w);
      void exited.then((code) => {
        if (!waiters.has(w)) return;
        waiters.delete(w);
        clearTimeout(timer);
        reject(new Error(`node exited (${code}) before the log line; stderr: ${stderr.slice(-1000)}`));
      });
    });
  };

  const running = await waitForLog((l) => l['msg'] === 'pushmesh node running', timeoutMs).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
  return {
    child,
    id: String(running['id']),
    local: String(running['local']),
    https: port(running['https']),
    grpc: port(running['grpc']),
    logs,
    waitForLog,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** A JSON request to a node's local API. */
export function localRequest(node: { local: string }, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request(
      `http://${node.local}${path}`,
      { method, headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {} },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () => {
          let json: unknown = text;
          try {
            json = JSON.parse(text);
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** An SSE subscription to a node's local API: the events received so far, and a way to wait for more. */
export interface SseStream {
  readonly events: Array<Record<string, unknown>>;
  waitFor(count: number, timeoutMs?: number): Promise<Array<Record<string, unknown>>>;
  /** Waits until every ID has arrived (duplicates and others may be among the events: delivery is at least once); their events, in arrival order. */
  waitForIds(ids: readonly string[], timeoutMs?: number): Promise<Array<Record<string, unknown>>>;
  close(): void;
}

export function subscribe(node: { local: string }, path: string): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const events: Array<Record<string, unknown>> = [];
    let notify: (() => void) | null = null;
    const req = request(`http://${node.local}${path}`, { headers: { accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`SSE ${path}: HTTP ${res.statusCode}`));
        res.resume();
        return;
      }
      const parser = new SseParser();
      res.setEncoding('utf8').on('data', (chunk: string) => {
        for (const e of parser.feed(chunk)) {
          try {
            events.push(JSON.parse(e.data) as Record<string, unknown>);
          } catch {
            continue; // not a message
          }
          notify?.();
        }
      });
      const until = <T>(ready: () => T | undefined, what: () => string, timeoutMs: number): Promise<T> =>
        new Promise((done, fail) => {
          const check = (): void => {
            const value = ready();
            if (value !== undefined) {
              clearTimeout(timer);
              notify = null;
              done(value);
            }
          };
          const timer = setTimeout(() => fail(new Error(`SSE ${path}: ${what()} within ${timeoutMs} ms`)), timeoutMs);
          notify = check;
          check();
        });
      resolve({
        events,
        waitFor: (count, timeoutMs = 30_000) =>
          until(
            () => (events.length >= count ? events.slice(0, count) : undefined),
            () => `${events.length} of ${count} events`,
            timeoutMs,
          ),
        waitForIds: (ids, timeoutMs = 30_000) => {
          const firstOf = (): Array<Record<string, unknown>> => {
            const seen = new Set<string>();
            return events.filter((e) => ids.includes(String(e['id'])) && !seen.has(String(e['id'])) && seen.add(String(e['id'])));
          };
          return until(
            () => (firstOf().length === ids.length ? firstOf() : undefined),
            () => `${firstOf().length} of the ${ids.length} messages awaited`,
            timeoutMs,
          );
        },
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** The processes a test suite started; `stopAll` (in `after`) kills those still running, by PID. */
export class NodeGroup {
  readonly #nodes = new Set<NodeProcess>();

  track(n: NodeProcess): NodeProcess {
    this.#nodes.add(n);
    void n.child.once('exit', () => this.#nodes.delete(n));
    return n;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#nodes].map((n) => n.stop('SIGKILL')));
  }
}

/** The `--peer` URL to dial a node's gRPC listener. */
export const grpcUrl = (n: NodeProcess): string => `grpcs://${n.id}@${n.grpc}`;

/** Resolves when `n` logs that its link to `peer` is ready. */
export const linkReady = (n: NodeProcess, peer: NodeProcess, timeoutMs = 60_000): Promise<unknown> =>
  n.waitForLog((l) => l['msg'] === 'peer link ready' && l['peer'] === peer.id, timeoutMs);
