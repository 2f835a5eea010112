/**
 * A transport's name, as links, `GET /peers` and metrics show it. The
 * built-in ones are listed; a transport plug-in brings its own name
 * (src/transport/transport.ts), without a change here.
 */
export type TransportKind = 'grpc' | 'wss' | 'https' | 'memory' | (string & Record<never, never>);
