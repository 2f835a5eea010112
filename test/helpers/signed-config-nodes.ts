import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { CLI_PATH } from './cli.js';

/** One JSON log line of a node (pino). */
export type LogLine = Record<string, unknown> & { msg?: string };

/** A `pushmesh run` process on 127.0.0.1 with OS-chosen ports. */
export interface RunningNode {
  readonly home: string;
  readonly pid: number;
  /** Node ID (from its start line). */
  readonly id: string;
  /** `http://127.0.0.1:PORT` of its local API. */
  readonly localUrl: string;
  /** Its card's endpoint (https://127.0.0.1:PORT/push/ID). */
  readonly endpoint: string;
  readonly logs: LogLine[];
  /** Resolves with the first log line (already seen or to come) that `match` accepts. */
  waitForLog(match: (line: LogLine) => boolean, what: string, timeoutMs?: number): Promise<LogLine>;
  /** SIGTERM (drain), SIGKILL if it does not exit in time; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export interface SpawnNodeOptions {
  home: string;
  /** `--trust NS=ID` values. */
  trust?: string[];
  extraArgs?: string[];
  startTimeoutMs?: number;
}

/**
 * Starts `node dist/src/cli/main.js run` as a real process: local API and
 * HTTPS on 127.0.0.1 port 0, gRPC off; waits for its "pushmesh node
 * running" log line and reads the addresses from it.
 */
export async function spawnNode(opts: SpawnNodeOptions): Promise<RunningNode> {
  const args = [CLI_PATH, 'run', '--home', opts.home, '--local', '127.0.0.1:0', '--https', '127.0.0.1:0', '--grpc', 'off', '--log-level', 'debug'];
  for (const t of opts.trust ?? []) args.push('--trust', t);
  args.push(...(opts.extraArgs ?? []));
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PUSHMESH_') && !k.startsWith('NODE_TEST')) env[k] = v;
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: LogLine[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  let exited: number | null | undefined;
  let rest = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    rest += chunk;
    const lines = rest.split('\n');
    rest = lines.pop() ?? '';
    for (const text of lines) {
      try {
        logs.push(JSON.parse(text) as LogLine);
      } catch {
        logs.push({ msg: text });
      }
    }
    for (const w of [...waiters]) w();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.once('exit', (code) => {
    exited = code;
    for (const w of [...waiters]) w();
  });

  const waitForLog = (match: (line: LogLine) => boolean, what: string, timeoutMs = 30_000): Promise<LogLine> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const hit = logs.find(match);
        if (hit) {
          done();
          resolve(hit);
          return true;
        }
        if (exited !== undefined) {
          done();
          reject(new Error(`node exited (${exited}) before ${what}: ${stderr.trim()}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${what}; stderr: ${stderr.trim()}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        waiters.delete(listener);
      };
      const listener = (): void => void check();
      waiters.add(listener);
      check();
    });

  let started: LogLine;
  try {
    started = await waitForLog((l) => l.msg === 'pushmesh node running', 'the node to start', opts.startTimeoutMs ?? 30_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    home: opts.home,
    pid: child.pid!,
    id: String(started['id']),
    localUrl: `http://${String(started['local'])}`,
    endpoint: String(started['endpoint']),
    logs,
    waitForLog,
    stop: () => stopChild(child, () => exited),
  };
}

async function stopChild(child: ChildProcess, exited: () => number | null | undefined): Promise<number | null> {
  if (exited() !== undefined) return exited() ?? null;
  const gone = once(child, 'exit');
  process.kill(child.pid!, 'SIGTERM');
  const timer = setTimeout(() => {
    if (exited() === undefined) process.kill(child.pid!, 'SIGKILL');
  }, 15_000);
  try {
    const [code] = (await gone) as [number | null];
    return code;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Opens `GET <localUrl>/config/<ns>/<name>` as SSE and resolves with the
 * first config event whose version is at least `version`.
 */
export async function waitForConfigEvent(
  localUrl: string,
  ns: string,
  name: string,
  version: number,
  timeoutMs = 30_000,
): Promise<Record<string, unknown>> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error(`no ${ns}/${name}@${version} event at ${localUrl} within ${timeoutMs} ms`)), timeoutMs);
  try {
    const res = await fetch(`${localUrl}/config/${ns}/${name}`, { headers: { accept: 'text/event-stream' }, signal: ac.signal });
    if (res.status !== 200 || !res.body) throw new Error(`SSE answered ${res.status}`);
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = event.split('\n').find((l) => l.startsWith('data: '));
        if (!event.includes('event: config') || !data) continue;
        const view = JSON.parse(data.slice(6)) as Record<string, unknown>;
        if (typeof view['version'] === 'number' && view['version'] >= version) return view;
      }
    }
    throw new Error('SSE stream ended');
  } catch (err) {
    if (ac.signal.aborted) throw ac.signal.reason;
    throw err;
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
}

/** The value of one Prometheus sample line from `GET /metrics`, 0 when absent. */
export async function metricValue(localUrl: string, sample: string): Promise<number> {
  const text = await (await fetch(`${localUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(sample + ' '));
  return line ? Number(line.slice(sample.length + 1)) : 0;
}
