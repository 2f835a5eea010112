import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { PeerStore, cardFor, openIdentity } from '../../src/identity/index.js';
import { tempHome } from '../helpers/temp-dir.js';

/** An endpoint nothing answers at: devices' cards carry it (they are reachable only through relays). */
export const NOWHERE = 'https://127.0.0.1:9';

/**
 * Homes and `pushmesh run` arguments for two relays sharing a NATS
 * fabric and two devices A and B that know each other's cards (and
 * nothing else): relays listen on gRPC (and HTTPS with `relayHttps`) with
 * `backends.nats.fabric: true`; devices listen on nothing.
 */
export async function fabricMesh(t: TestContext, natsUrl: string, opts: { relayHttps?: boolean } = {}): Promise<{
  homes: { a: string; b: string; r1: string; r2: string };
  relay: string[];
  device: string[];
}> {
  const [a, b, r1, r2] = await Promise.all([tempHome(t), tempHome(t), tempHome(t), tempHome(t)]);
  const idA = (await openIdentity(a)).identity;
  const idB = (await openIdentity(b)).identity;
  await new PeerStore(a).add(cardFor(idB, NOWHERE));
  await new PeerStore(b).add(cardFor(idA, NOWHERE));
  const config = join(r1, '..', 'fabric.yaml');
  await writeFile(config, ['backends:', '  nats:', '    fabric: true', ''].join('\n'));
  return {
    homes: { a, b, r1, r2 },
    relay: ['--local', '127.0.0.1:0', '--https', opts.relayHttps ? '127.0.0.1:0' : 'off', '--grpc', '127.0.0.1:0', '--config', config, '--nats', natsUrl],
    device: ['--local', '127.0.0.1:0', '--https', 'off', '--grpc', 'off', '--advertise', NOWHERE],
  };
}
