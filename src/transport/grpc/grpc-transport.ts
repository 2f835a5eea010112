import { socketAddress } from '../socket-address.js';
import type { Transport } from '../transport.js';
import { GrpcDialer } from './grpc-dialer.js';
import { GrpcListener } from './grpc-listener.js';

/** gRPC ADS over mutual TLS: dials `grpcs://[ID@]HOST:PORT`, listens on a socket of its own (`--grpc`). */
export function grpcTransport(): Transport {
  return {
    name: 'grpc',
    schemes: ['grpcs:'],
    address: (url) => socketAddress(url, '', 'a grpcs:// URL has no path'),
    dialer: (options) => new GrpcDialer(options),
    listensOn: 'socket',
    listen: async (place, options) => {
      if (place.on !== 'socket') throw new Error(`the gRPC transport listens on a socket, not on ${place.on}`);
      return GrpcListener.start({ ...options, host: place.host, port: place.port });
    },
  };
}
