/**
 * A gRPC application with no pushmesh code in it: @grpc/grpc-js with
 * @grpc/grpc-js-xds registered, calling `xds:///greeter`. Its xDS server
 * comes from the bootstrap in GRPC_XDS_BOOTSTRAP_CONFIG (set by the test).
 * Each line `call` on stdin makes one call; stdout gets one JSON line per
 * call: {"server": "<what the server answered>"} or {"error": "..."}.
 * Run as a child process so the bootstrap is per test.
 */
import { createInterface } from 'node:readline';
import * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';

const bytes = (b: Buffer): Buffer => b;

// `node --test dist/test/` loads every file under test/: only the child started with --app is the app.
if (process.argv.includes('--app')) serve();

function serve(): void {
  grpcXds.register();
  const client = new grpc.Client('xds:///greeter', grpc.credentials.createInsecure());
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() !== 'call') return;
    client.makeUnaryRequest('/helloworld.Greeter/SayHello', bytes, bytes, Buffer.from('hello'), { deadline: Date.now() + 10_000 }, (err, res) => {
      process.stdout.write(JSON.stringify(err ? { error: err.message } : { server: res!.toString() }) + '\n');
    });
  }).on('close', () => {
    client.close();
    process.exit(0);
  });
}
