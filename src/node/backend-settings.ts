import type { NodeConfig } from '../config/index.js';
import { PushmeshError } from '../errors/index.js';

/** A config that names backends, given to a start that does not start them (`PushmeshNode.start`): refused, not ignored. */
export function refuseIgnoredBackends(config: NodeConfig, startedByCaller: boolean): void {
  if (startedByCaller) return;
  const named = [config.nats.length > 0 ? 'nats' : '', config.pubsub ? 'pubsub' : '', config.backends.bridges.length > 0 ? 'bridges' : '', config.backends.webhooks.length > 0 ? 'webhooks' : ''].filter(Boolean);
  if (named.length === 0) return;
  throw new PushmeshError('ERR_CONFIG', `the config names backends (${named.join(', ')}), which PushmeshNode.start does not start: use startNode() from "pushmesh" (it starts them), or start them yourself and pass { backends: 'caller' }`);
}
