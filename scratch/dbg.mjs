import { pino } from 'pino';
import { memoryLinkPair } from '/work/wt/transports/dist/src/transport/memory/memory-transport.js';
import { makeNode } from '/work/wt/transports/dist/test/message/nodes.js';
const a = makeNode(), b = makeNode();
const t = setTimeout(()=>console.log('stuck'), 2000);
try { const p = await memoryLinkPair({id:a.id, card:a.card},{id:b.id, card:b.card},{logger: pino({level:'debug'})}); console.log('ok', p.client.peerCard?.id===b.id); } catch(e) { console.log('err', e); }
clearTimeout(t);
