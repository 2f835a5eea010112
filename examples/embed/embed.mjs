// A program that embeds two pushmesh nodes (docs/library.md): node B links
// to node A over gRPC, sends it one end-to-end encrypted message, and A's
// program reads it from A's local bus. Run after `npm run build`:
//   node examples/embed/embed.mjs [folder for the two homes]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PeerStore, nodeConfig, startNode } from 'pushmesh';

const given = process.argv[2];
const base = given ?? (await mkdtemp(join(tmpdir(), 'pushmesh-embed-')));

// Settings have the config file's shape (docs/configuration.md); port 0 = any free port.
const a = await startNode(nodeConfig(join(base, 'a'), { local: '127.0.0.1:0', https: 'off', grpc: '127.0.0.1:0' }));
const grpc = a.addresses.grpc;
const b = await startNode(nodeConfig(join(base, 'b'), { local: '127.0.0.1:0', https: 'off', grpc: 'off', peers: [`grpcs://${a.id}@${grpc.host}:${grpc.port}`] }));
console.log(`node A ${a.id}`);
console.log(`node B ${b.id}, linked to A over gRPC`);

// B needs A's card (its public keys) to encrypt for it: what `pushmesh peer add` does.
await new PeerStore(b.config.home).add(a.card());
await b.refreshPeers();

const inbox = a.bus.subscribe('greetings');
const sent = await b.send({ to: a.id, topic: 'greetings', data: { kind: 'json', value: { hello: 'from B' } }, ttl: 60, urgency: 'normal' });
console.log(`B sent ${sent.id} (${sent.status})`);

for await (const ev of inbox) {
  console.log(`A received ${ev.message.id} from ${ev.message.from}: ${JSON.stringify(ev.message.data.value)}`);
  break; // ends the subscription
}

await b.drain();
await a.drain();
if (!given) await rm(base, { recursive: true, force: true });
console.log('both nodes stopped');
