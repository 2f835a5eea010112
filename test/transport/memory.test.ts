import { pino } from 'pino';
import { memoryLinkPair } from '../../src/transport/memory/memory-transport.js';
import { makeNode } from '../message/nodes.js';
import { runLinkCompliance } from './compliance.js';

const logger = pino({ level: 'silent' });

runLinkCompliance(
  'memory',
  async (limits) => {
    const aNode = makeNode();
    const bNode = makeNode();
    const { client, server } = await memoryLinkPair({ id: aNode.id, card: aNode.card }, { id: bNode.id, card: bNode.card }, { logger, ...(limits ? { limits } : {}) });
    return {
      a: client,
      b: server,
      aNode,
      bNode,
      teardown: async () => {
        client.close();
        server.close();
      },
    };
  },
  { sessions: true, cards: true, clearIds: true, orderedFlows: true },
);
