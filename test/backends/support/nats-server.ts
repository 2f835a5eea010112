import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProcess, type StartedProcess } from './processes.js';

export const NATS_SERVER = process.env['NATS_SERVER'] ?? '/usr/sbin/nats-server';

export interface NatsServer {
  /** nats://127.0.0.1:PORT */
  readonly url: string;
  /** The running process (a new one after `restart()`). */
  readonly process: StartedProcess;
  /** Stops it for good (by PID) and removes its store. */
  stop(): Promise<void>;
  /** Stops the process with `signal` (by PID), keeping its store and port for `restart()`. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port with the same store; resolves once it is ready. */
  restart(): Promise<void>;
}

const READY_MS = 20_000;

/**
 * Debian's nats-server with JetStream (store in a fresh temp folder; off
 * when `jetstream: false`) on a port it picks itself on 127.0.0.1; ready
 * once it logs that it listens. `kill()` and `restart()` take it down and
 * bring it back on the same port with the same store.
 */
export async function startNatsServer(opts: { jetstream?: boolean } = {}): Promise<NatsServer> {
  const store = await mkdtemp(join(tmpdir(), 'pushmesh-nats-'));
  const args = (port: number): string[] => ['-a', '127.0.0.1', '-p', String(port), ...(opts.jetstream === false ? [] : ['-js', '-sd', store])];
  let proc = startProcess(NATS_SERVER, args(-1));
  try {
    const m = await proc.waitFor(/Listening for client connections on 127\.0\.0\.1:(\d+)/, READY_MS);
    await proc.waitFor(/Server is ready/, READY_MS);
    const port = Number(m[1]);
    return {
      url: `nats://127.0.0.1:${port}`,
      get process() {
        return proc;
      },
      async stop() {
        await proc.stop();
        await rm(store, { recursive: true, force: true });
      },
      async kill(signal = 'SIGKILL') {
        await proc.stop(signal);
      },
      async restart() {
        await proc.stop();
        proc = startProcess(NATS_SERVER, args(port));
        await proc.waitFor(/Server is ready/, READY_MS);
      },
    };
  } catch (err) {
    await proc.stop();
    await rm(store, { recursive: true, force: true });
    throw err;
  }
}

/** One server of a cluster; `kill()`/`restart()` as for a single server. */
export interface NatsClusterMember extends NatsServer {
  /** Its server name (`-n`), as JetStream reports it. */
  readonly name: string;
  readonly running: boolean;
}

export interface NatsCluster {
  readonly members: readonly NatsClusterMember[];
  /** Every member's client URL. */
  readonly urls: string[];
  /** Stops every member (by PID) and removes their stores. */
  stop(): Promise<void>;
}

/**
 * `size` nats-servers (default 3) forming one cluster with JetStream on
 * 127.0.0.1: each with its own client and route port (free loopback
 * ports picked up front, so a restarted member comes back on the same
 * ones), its own store folder, `--cluster`, `--routes` to the others and
 * one `--cluster_name`. Resolves once every member is ready and the
 * JetStream meta group has a leader (streams can be created).
 */
export async function startNatsCluster(opts: { size?: number; name?: string } = {}): Promise<NatsCluster> {
  const size = opts.size ?? 3;
  const clusterName = opts.name ?? 'pushmesh-test';
  const ports = await freePorts(size * 2);
  const root = await mkdtemp(join(tmpdir(), 'pushmesh-nats-cluster-'));
  const clientPort = (i: number): number => ports[i]!;
  const routePort = (i: number): number => ports[size + i]!;
  const argsOf = (i: number): string[] => [
    '-a', '127.0.0.1', '-p', String(clientPort(i)), '-n', `n${i + 1}`,
    '-js', '-sd', join(root, `n${i + 1}`),
    '--cluster_name', clusterName,
    '--cluster', `nats://127.0.0.1:${routePort(i)}`,
    '--routes', Array.from({ length: size }, (_, j) => j).filter((j) => j !== i).map((j) => `nats://127.0.0.1:${routePort(j)}`).join(','),
  ];
  const procs: StartedProcess[] = [];
  const members: NatsClusterMember[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(procs.map((p) => p.stop()));
    await rm(root, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < size; i++) procs.push(startProcess(NATS_SERVER, argsOf(i)));
    await Promise.all(procs.map((p) => p.waitFor(/Server is ready/, READY_MS)));
    await Promise.any(procs.map((p) => p.waitFor(/JetStream cluster new metadata leader|Self is new JetStream cluster metadata leader/, READY_MS)));
  } catch (err) {
    await stopAll();
    throw err;
  }
  for (let i = 0; i < size; i++) {
    let running = true;
    members.push({
      name: `n${i + 1}`,
      url: `nats://127.0.0.1:${clientPort(i)}`,
      get process() {
        return procs[i]!;
      },
      get running() {
        return running;
      },
      async stop() {
        running = false;
        await procs[i]!.stop();
      },
      async kill(signal = 'SIGKILL') {
        running = false;
        await procs[i]!.stop(signal);
      },
      async restart() {
        await procs[i]!.stop();
        procs[i] = startProcess(NATS_SERVER, argsOf(i));
        await procs[i]!.waitFor(/Server is ready/, READY_MS);
        running = true;
      },
    });
  }
  return { members, urls: members.map((m) => m.url), stop: stopAll };
}

/** `n` distinct free TCP ports on 127.0.0.1 (all held open at once while they are picked). */
async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = createServer();
      servers.push(s);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(0, '127.0.0.1', () => resolve());
      });
    }
    return servers.map((s) => (s.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}
