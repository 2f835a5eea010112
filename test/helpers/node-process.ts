import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import type { Card } from '../../src/identity/types.js';
import { CLI_PATH } from './cli.js';
import { openSse, type SseClient } from './sse.js';
import { tempHome, type CleanupScope } from './temp-dir.js';

/** One pino log line of a node, parsed. */
export type LogRecord = Record<string, unknown> & { msg?: string; level?: number };

export interface NodeExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnNodeOptions {
  /** Home folder; default a fresh temporary one (removed after the test when `scope` is given). */
  home?: string;
  /** `--local`; default 127.0.0.1:0. */
  local?: string;
  /** `--https`; default 127.0.0.1:0 ("off" to switch it off). */
  https?: string;
  /** `--grpc`; default off (tests must never listen on the default ports). */
  grpc?: string;
  /** `--log-level`; default the CLI's own (info). */
  logLevel?: string;
  /** Written to a file and passed as `--config FILE`. */
  configYaml?: string;
  /** More arguments after `run`. `--local`, `--https` and `--grpc` here replace the options above. */
  args?: readonly string[];
  /** Arguments for node itself, before the script (e.g. `--cpu-prof`). */
  nodeArgs?: readonly string[];
  /** Extra environment (pushmesh's own variables from the outer environment are never inherited). */
  env?: Record<string, string | undefined>;
  /** Stops the node (SIGKILL if still running) after the test or suite. */
  scope?: CleanupScope;
  /** How long to wait for the "pushmesh node running" line. Default 30 s. */
  startTimeoutMs?: number;
}

/**
 * A `pushmesh run` child process, as tests see it: its PID, the addresses
 * it actually bound (read from its "pushmesh node running" log line), its
 * card and certificate, its log, and ways to stop it.
 */
export interface NodeProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly home: string;
  readonly id: string;
  /** Local API base URL, `http://127.0.0.1:PORT`. */
  readonly local: string;
  /** HTTPS base URL, `https://127.0.0.1:PORT`, or null when off. */
  readonly https: string | null;
  readonly httpsPort: number | null;
  /** gRPC listener address, `127.0.0.1:PORT`, or null when off. */
  readonly grpc: string | null;
  readonly card: Card;
  /** The node's self-signed certificate (PEM), for clients that want to trust it. */
  readonly certPem: string;
  /** Every parsed log line so far (stdout). */
  readonly logs: LogRecord[];
  /** Everything written on stderr so far. */
  stderr(): string;
  /** Resolves with the first log line (past or future) that `match` accepts. */
  waitForLog(match: (r: LogRecord) => boolean, timeoutMs?: number): Promise<LogRecord>;
  /** Resolves when the process has exited. */
  readonly exited: Promise<NodeExit>;
  /** Sends `signal` (default SIGTERM) to the PID and waits for the exit. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<NodeExit>;
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<NodeExit>;
}

/** Environment for a child pushmesh: the outer one without PUSHMESH_* and node:test variables. */
export function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PUSHMESH_') && !k.startsWith('NODE_TEST')) env[k] = v;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Log lines and stderr of a child, with waiters on log lines. */
class ChildOutput {
  readonly logs: LogRecord[] = [];
  stderr = '';
  #partial = '';
  #waiters: { match: (r: LogRecord) => boolean; resolve: (r: LogRecord) => void }[] = [];

  constructor(child: ChildProcess) {
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => this.#onStdout(chunk));
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => (this.stderr += chunk));
  }

  #onStdout(chunk: string): void {
    const lines = (this.#partial + chunk).split('\n');
    this.#partial = lines.pop()!;
    for (const line of lines) {
      if (line.trim() === '') continue;
      let rec: LogRecord;
      try {
        rec = JSON.parse(line) as LogRecord;
      } catch {
        rec = { msg: line, raw: true };
      }
      this.logs.push(rec);
      this.#waiters = this.#waiters.filter((w) => {
        if (!w.match(rec)) return true;
        w.resolve(rec);
        return false;
      });
    }
  }

  waitFor(match: (r: LogRecord) => boolean, exited: Promise<NodeExit>, timeoutMs: number, what: string): Promise<LogRecord> {
    const seen = this.logs.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; stderr: ${this.stderr}`)), timeoutMs);
      const waiter = {
        match,
        resolve: (r: LogRecord) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      const fail = (err: Error): void => {
        clearTimeout(timer);
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(err);
      };
      this.#waiters.push(waiter);
      void exited.then((e) => fail(new Error(`node exited (${e.code ?? e.signal}) while waiting for ${what}; stderr: ${this.stderr.trim()}`)));
    });
  }
}

/** Starts `node dist/src/cli/main.js run …` and waits until it logs "pushmesh node running". */
export async function spawnNode(opts: SpawnNodeOptions = {}): Promise<NodeProcess> {
  const home = opts.home ?? (await tempHome(opts.scope));
  const extra = opts.args ?? [];
  const args = ['run', '--home', home];
  for (const [flag, value] of [['--local', opts.local ?? '127.0.0.1:0'], ['--https', opts.https ?? '127.0.0.1:0'], ['--grpc', opts.grpc ?? 'off']] as const) {
    if (!extra.includes(flag)) args.push(flag, value);
  }
  if (opts.logLevel !== undefined) args.push('--log-level', opts.logLevel);
  if (opts.configYaml !== undefined) {
    const file = join(home + '.config.yaml');
    await writeFile(file, opts.configYaml);
    args.push('--config', file);
  }
  args.push(...extra);
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), CLI_PATH, ...args], { env: childEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<NodeExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const out = new ChildOutput(child);
  const stop = async (signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000): Promise<NodeExit> => {
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, signal);
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // Where it stopped: its last log lines and stderr, for the post-mortem.
        const last = out.logs.slice(-6).map((r) => JSON.stringify(r).slice(0, 300)).join('\n');
        reject(new Error(`node ${child.pid} did not exit within ${timeoutMs} ms of ${signal}; last log lines:\n${last}\nstderr: ${out.stderr.slice(-2000)}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([exited, limit]);
    } finally {
      clearTimeout(timer);
    }
  };
  opts.scope?.after(async () => {
    if (child.exitCode === null && child.signalCode === null) await stop('SIGKILL');
  });

  let running: LogRecord;
  try {
    running = await out.waitFor((r) => r.msg === 'pushmesh node running', exited, opts.startTimeoutMs ?? 30_000, '"pushmesh node running"');
  } catch (err) {
    if (child.exitCode === null && child.signalCode === null) await stop('SIGKILL');
    throw err;
  }
  const local = `http://${String(running['local'])}`;
  const address = (v: unknown): string | null => (typeof v === 'string' && v !== 'off' ? v : null);
  const httpsAddr = address(running['https']);
  const card = (await (await fetch(`${local}/id`)).json()) as Card;
  const certPem = await readFile(join(home, 'cert.pem'), 'utf8');
  return {
    child,
    pid: child.pid!,
    home,
    id: card.id,
    local,
    https: httpsAddr === null ? null : `https://${httpsAddr}`,
    httpsPort: httpsAddr === null ? null : Number(httpsAddr.slice(httpsAddr.lastIndexOf(':') + 1)),
    grpc: address(running['grpc']),
    card,
    certPem,
    logs: out.logs,
    stderr: () => out.stderr,
    waitForLog: (match, timeoutMs = 30_000) => out.waitFor(match, exited, timeoutMs, 'a log line'),
    exited,
    stop,
    kill: () => stop('SIGKILL'),
  };
}

/** spawnNode as the mesh tests call it: `run --home HOME --log-level debug …args`, the addresses given in `args`. */
export function startNode(home: string, args: readonly string[], startTimeoutMs = 30_000): Promise<NodeProcess> {
  return spawnNode({ home, args, logLevel: 'debug', startTimeoutMs });
}

/** The processes a test suite started; `stopAll` (in `after`) kills those still running, by PID. */
export class NodeGroup {
  readonly #nodes = new Set<NodeProcess>();

  track(n: NodeProcess): NodeProcess {
    this.#nodes.add(n);
    void n.exited.then(() => this.#nodes.delete(n));
    return n;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#nodes].map((n) => n.kill()));
  }
}

/** The `--peer` URL to dial a node's gRPC listener. */
export const grpcUrl = (n: NodeProcess): string => `grpcs://${n.id}@${n.grpc}`;

/** Resolves when `n` logs that its link to `peer` is ready (a debug line). */
export const linkReady = (n: NodeProcess, peer: NodeProcess, timeoutMs = 60_000): Promise<unknown> =>
  n.waitForLog((l) => l['msg'] === 'peer link ready' && l['peer'] === peer.id, timeoutMs);

/** A JSON request to a node's local API; `json` is the text when the answer is not JSON. */
export function localRequest(node: { local: string }, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request(
      `${node.local}${path}`,
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

/** An app's SSE stream of a node's messages (`path`: `/msg`, `/msg/TOPIC`, …). */
export function subscribe(node: { local: string }, path: string): Promise<SseClient> {
  return openSse(`${node.local}${path}`);
}
