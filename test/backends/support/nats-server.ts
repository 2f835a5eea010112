import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProcess, type StartedProcess } from './processes.js';

export const NATS_SERVER = process.env['NATS_SERVER'] ?? '/usr/sbin/nats-server';

export interface NatsServer {
  /** nats://127.0.0.1:PORT */
  readonly url: string;
  readonly process: StartedProcess;
  stop(): Promise<void>;
}

/**
 * Debian's nats-server with JetStream (store in a fresh temp folder; off
 * when `jetstream: false`) on a port it picks itself on 127.0.0.1; ready
 * once it logs that it listens.
 */
export async function startNatsServer(opts: { jetstream?: boolean } = {}): Promise<NatsServer> {
  const store = await mkdtemp(join(tmpdir(), 'pushmesh-nats-'));
  const proc = startProcess(NATS_SERVER, ['-a', '127.0.0.1', '-p', '-1', ...(opts.jetstream === false ? [] : ['-js', '-sd', store])]);
  try {
    const m = await proc.waitFor(/Listening for client connections on 127\.0\.0\.1:(\d+)/, 20_000);
    await proc.waitFor(/Server is ready/, 20_000);
    return {
      url: `nats://127.0.0.1:${m[1]}`,
      process: proc,
      async stop() {
        await proc.stop();
        await rm(store, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await proc.stop();
    await rm(store, { recursive: true, force: true });
    throw err;
  }
}
