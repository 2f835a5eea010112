import * as grpc from '@grpc/grpc-js';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { CleanupScope } from '../helpers/temp-dir.js';

const bytes = (b: Buffer): Buffer => b;

/** A real gRPC server on 127.0.0.1 (OS-chosen port) whose `helloworld.Greeter/SayHello` answers `name`. */
export async function startGreeter(scope: CleanupScope, name: string): Promise<number> {
  const server = new grpc.Server();
  server.addService(
    { SayHello: { path: '/helloworld.Greeter/SayHello', requestStream: false, responseStream: false, requestSerialize: bytes, requestDeserialize: bytes, responseSerialize: bytes, responseDeserialize: bytes } },
    { SayHello: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, Buffer.from(name)) },
  );
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  scope.after(() => server.forceShutdown());
  return port;
}

/** The greeter client (greeter-client.ts) in a child process, its xDS server at `xdsPort`. */
export interface GreeterClient {
  /** One call to xds:///greeter: which server answered, or the error. */
  call(): Promise<{ server?: string; error?: string }>;
  /** Calls until `server` answers (bounded); resolves with how many calls it took. */
  callUntil(server: string, ms?: number): Promise<number>;
}

/** How the app reaches its xDS server: the bootstrap's `channel_creds` and extra environment (e.g. the roots TLS verifies against). */
export interface GreeterClientOptions {
  channelCreds?: { type: string; config?: unknown }[];
  env?: Record<string, string>;
}

export function startGreeterClient(scope: CleanupScope, xdsPort: number, opts: GreeterClientOptions = {}): GreeterClient {
  const bootstrap = {
    xds_servers: [{ server_uri: `127.0.0.1:${xdsPort}`, channel_creds: opts.channelCreds ?? [{ type: 'insecure' }], server_features: ['xds_v3'] }],
    node: { id: 'greeter-app', locality: { zone: 'local' } },
  };
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GRPC_') && !k.startsWith('NODE_TEST')) env[k] = v;
  for (const k of Object.keys(env)) if (k.startsWith('GOOGLE_')) delete env[k];
  Object.assign(env, opts.env ?? {});
  env['GRPC_XDS_BOOTSTRAP_CONFIG'] = JSON.stringify(bootstrap);
  const child = spawn(process.execPath, [fileURLToPath(new URL('./greeter-client.js', import.meta.url)), '--app'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const answers: string[] = [];
  const waiters: (() => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => {
    answers.push(l);
    waiters.splice(0).forEach((w) => w());
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
    waiters.splice(0).forEach((w) => w());
  });
  scope.after(async () => {
    if (exited) return;
    const gone = once(child, 'exit');
    process.kill(child.pid!, 'SIGTERM');
    await gone;
  });
  const call = async (): Promise<{ server?: string; error?: string }> => {
    child.stdin!.write('call\n');
    while (answers.length === 0) {
      if (exited) throw new Error(`greeter client exited: ${stderr.trim()}`);
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
    return JSON.parse(answers.shift()!) as { server?: string; error?: string };
  };
  return {
    call,
    async callUntil(server, ms = 30_000) {
      const deadline = Date.now() + ms;
      const seen: string[] = [];
      for (let n = 1; Date.now() < deadline; n++) {
        const a = await call();
        if (a.server === server) return n;
        seen.push(a.server ?? a.error ?? '?');
      }
      throw new Error(`no answer from ${server} within ${ms} ms; answers: ${[...new Set(seen)].join(', ')}`);
    },
  };
}
