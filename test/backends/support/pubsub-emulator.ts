import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProcess, type StartedProcess } from './processes.js';

export interface PubSubEmulator {
  /** 127.0.0.1:PORT, what PUBSUB_EMULATOR_HOST wants. */
  readonly host: string;
  readonly process: StartedProcess;
  stop(): Promise<void>;
}

/** A port the OS says is free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = srv.address() as { port: number };
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/**
 * The Pub/Sub emulator that ships with the image (`gcloud beta emulators
 * pubsub start`, Java), in a process group of its own, on a free port;
 * ready once it says it listens and answers HTTP. Startup takes 5–30 s.
 */
export async function startPubSubEmulator(): Promise<PubSubEmulator> {
  const dataDir = await mkdtemp(join(tmpdir(), 'pushmesh-pubsub-'));
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const proc = startProcess('gcloud', ['beta', 'emulators', 'pubsub', 'start', `--host-port=127.0.0.1:${port}`, `--data-dir=${dataDir}`, '--quiet'], { group: true });
    try {
      await proc.waitFor(/Server started, listening on (\d+)/, 90_000);
      const deadline = Date.now() + 30_000;
      for (;;) {
        const ok = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.ok, () => false);
        if (ok) break;
        if (Date.now() > deadline) throw new Error('the Pub/Sub emulator does not answer');
        await new Promise((r) => setTimeout(r, 200));
      }
      return {
        host: `127.0.0.1:${port}`,
        process: proc,
        async stop() {
          await proc.stop();
          await rm(dataDir, { recursive: true, force: true });
        },
      };
    } catch (err) {
      await proc.stop();
      // Another program took the port between freePort() and the emulator binding it: try once more.
      if (attempt < 2 && /Address already in use|BindException/i.test(proc.output())) continue;
      await rm(dataDir, { recursive: true, force: true });
      throw err;
    }
  }
}
