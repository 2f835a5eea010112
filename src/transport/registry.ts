import { grpcTransport } from './grpc/grpc-transport.js';
import { httpsPushTransport } from './https/https-transport.js';
import type { Transport } from './transport.js';
import { wsTransport } from './ws/ws-transport.js';

/**
 * The transports a node has unless it is given others
 * (`PushmeshNode.start(…, { transports })`). A new transport is one
 * folder under src/transport/ and one line here; the compliance suite
 * (test/transport/compliance.test.ts) runs every transport listed.
 * The memory transport is not listed: it needs a network shared by the
 * nodes of one process (`memoryTransport(net, …)`), given by tests.
 */
export function builtinTransports(): Transport[] {
  return [
    grpcTransport(), // grpcs://ID@HOST:PORT, listens on --grpc
    wsTransport(), // wss://ID@HOST:PORT/ws, listens on the HTTPS server
    httpsPushTransport(), // pushes to https: card endpoints
  ];
}
