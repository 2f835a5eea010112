// A gRPC server with no pushmesh code in it: helloworld.Greeter/SayHello
// answers "hello from NAME". Listens on 127.0.0.1, a free port, and prints
// "listening PORT". Usage: node greeter-server.mjs NAME
import * as grpc from '@grpc/grpc-js';

const name = process.argv[2] ?? 'greeter';
const bytes = (b) => b;
const server = new grpc.Server();
server.addService(
  { SayHello: { path: '/helloworld.Greeter/SayHello', requestStream: false, responseStream: false, requestSerialize: bytes, requestDeserialize: bytes, responseSerialize: bytes, responseDeserialize: bytes } },
  { SayHello: (_call, cb) => cb(null, Buffer.from(`hello from ${name}`)) },
);
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) {
    console.error(`error: ${err.message}`);
    process.exit(1);
  }
  console.log(`listening ${port}`);
});
process.on('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
