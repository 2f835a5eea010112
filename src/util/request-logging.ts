import { LogController } from 'fastify';

/**
 * Fastify's per-request log lines switched off (the node logs what matters
 * itself, and a request line could carry an Authorization header's token).
 */
export function noRequestLogging(): LogController {
  return new LogController({ disableRequestLogging: true });
}
