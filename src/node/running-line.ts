import { formatHostPort, type HostPort } from '../config/index.js';
import type { NodeId } from '../identity/types.js';
import type { NodeAddresses } from './start-options.js';

/**
 * The fields of "pushmesh node running", the line scripts and supervisors
 * wait for: the node's ID, where it listens (`off` for a server it does
 * not run), its peers, endpoint and queue, and what is connected
 * (backends and fabric as its starter says; the signed-config channels).
 */
export function runningLine(
  node: { id: NodeId; peers: number; endpoint: string | undefined; queued: number; configChannels: readonly string[] },
  addresses: NodeAddresses,
  connected: { backends?: readonly string[]; fabric?: boolean },
): Record<string, unknown> {
  const where = (hp: HostPort | null): string => (hp ? formatHostPort(hp) : 'off');
  const { local, https, grpc, xds } = addresses;
  const { id, peers, endpoint, queued, configChannels } = node;
  return { id, local: formatHostPort(local), https: where(https), grpc: where(grpc), xds: where(xds), peers, endpoint, queued, backends: connected.backends ?? [], fabric: connected.fabric ?? false, configChannels };
}
