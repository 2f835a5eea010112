/**
 * The compliance suite (compliance.ts) for every transport a node can be
 * given: the registry's built-ins and the memory transport. A transport
 * is covered by being listed there; its link-pair setup is in
 * link-pairs.ts, and a registered transport without one fails here.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { MemoryNetwork } from '../../src/transport/memory/memory-network.js';
import { memoryTransport } from '../../src/transport/memory/memory-transport.js';
import { builtinTransports } from '../../src/transport/registry.js';
import { runLinkCompliance } from './compliance.js';
import { LINK_PAIRS } from './link-pairs.js';

const registered = [...builtinTransports(), memoryTransport(new MemoryNetwork())];

describe('transport compliance coverage', () => {
  it('every registered transport has a link-pair setup (test/transport/link-pairs.ts)', () => {
    const missing = registered.filter((t) => !LINK_PAIRS[t.name]?.length).map((t) => t.name);
    assert.deepEqual(missing, [], `registered transports without a compliance setup: ${missing.join(', ')}`);
  });
});

for (const t of registered) for (const entry of LINK_PAIRS[t.name] ?? []) runLinkCompliance(entry.name, entry.setup, entry.caps);
