// A gRPC application with no pushmesh code in it: @grpc/grpc-js with the
// xds:/// resolver of @grpc/grpc-js-xds. Its xDS server (the local pushmesh
// node) is named by the bootstrap in GRPC_XDS_BOOTSTRAP or
// GRPC_XDS_BOOTSTRAP_CONFIG. Calls xds:///greeter once a second and prints
// who answered; with --until NAME, calls until "hello from NAME" answers
// (30 s at most), prints it and exits 0.
import * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';

grpcXds.register();
const until = process.argv.indexOf('--until') >= 0 ? process.argv[process.argv.indexOf('--until') + 1] : undefined;
const client = new grpc.Client('xds:///greeter', grpc.credentials.createInsecure());
const bytes = (b) => b;
const call = () =>
  new Promise((resolve) =>
    client.makeUnaryRequest('/helloworld.Greeter/SayHello', bytes, bytes, Buffer.from('hi'), { deadline: Date.now() + 10_000 }, (err, res) => resolve(err ? `error: ${err.details || err.message}` : res.toString())),
  );
const deadline = Date.now() + 30_000;
for (;;) {
  const answer = await call();
  if (until === undefined) console.log(`xds:///greeter → ${answer}`);
  else if (answer === `hello from ${until}`) {
    console.log(`xds:///greeter → ${answer}`);
    client.close();
    process.exit(0);
  } else if (Date.now() > deadline) {
    console.error(`error: no answer from ${until} within 30 s (last: ${answer})`);
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, until === undefined ? 1000 : 100));
}
