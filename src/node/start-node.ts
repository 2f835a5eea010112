import { createFabric, startBackends } from '../../adapters/index.js';
import { layerFromObject, resolveConfig, type NodeConfig } from '../config/index.js';
import { PushmeshNode, type NodeStartOptions } from './pushmesh-node.js';
import { silentLogger } from './silent-logger.js';

/**
 * Starts everything `pushmesh run` starts: the node, then the backends
 * its config names (NATS, Google Pub/Sub, HTTP webhooks, bridge rules),
 * the signed-config channels over them, and the scale-out fabric
 * (`backends.nats.fabric`). They are parts of the node from then on:
 * `node.drain()` and `node.close()` stop them with it. A backend that
 * cannot start stops the node and fails the start. Only then the
 * "pushmesh node running" line (unless `announce: false`), naming the
 * backends, the fabric and the config channels started. The logger is
 * optional (silent when not given).
 */
export async function startNode(config: NodeConfig, opts: Omit<NodeStartOptions, 'backends'> = {}): Promise<PushmeshNode> {
  const logger = opts.logger ?? silentLogger();
  const node = await PushmeshNode.start(config, logger, { ...opts, announce: false, backends: 'caller' });
  const connected = { backends: [] as string[], fabric: false };
  try {
    const bridge = await startBackends(node, config, logger);
    if (bridge) {
      node.adopt({ name: 'backends', drain: () => bridge.drain(), close: () => bridge.close() });
      // Signed configs travel over every backend too (NATS: last per subject; Pub/Sub: retained), verified on arrival.
      for (const ch of bridge.configChannels()) node.signedConfig.addChannel(ch);
      connected.backends = bridge.adapters.map((a) => a.name);
    }
    // Scale-out (backends.nats.fabric): relays share a JetStream for nodes they have no route to. It outlives the links
    // and the outbox at a stop (placed after the mesh routing that uses it).
    const fabric = await createFabric(config, logger, { name: `pushmesh-${node.id.slice(0, 12)}` });
    if (fabric) {
      node.adopt({ name: 'fabric', close: () => fabric.close() }, 'mesh routing');
      node.useFabric(fabric);
      connected.fabric = true;
    }
  } catch (err) {
    await node.close();
    throw err;
  }
  if (opts.announce !== false) node.announce(connected); // only now: a bad bridge or an unreachable backend ends the start before this line
  return node;
}

/**
 * A node's config from its home and settings of the config file's shape
 * (docs/configuration.md), over the defaults: `nodeConfig('./home', {
 * local: '127.0.0.1:0', https: 'off', peers: [...] })`. An unknown
 * setting or a wrong type is ERR_CONFIG, as in a file.
 */
export function nodeConfig(home: string, settings: Record<string, unknown> = {}): NodeConfig {
  return resolveConfig(home, [layerFromObject(settings, 'node settings')]);
}
