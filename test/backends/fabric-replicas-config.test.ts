/** `backends.nats.fabricReplicas`: how many servers keep the fabric's stream (docs/backends.md, "Scale-out"). */
import { strict as assert } from 'node:assert';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { defaultConfig, layerFromFile, resolveConfig } from '../../src/config/index.js';
import { fabricStreamConfig } from '../../adapters/nats/fabric-resources.js';
import { pushmeshError } from '../helpers/errors.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('fabric replicas setting', () => {
  it('defaults to 1 (one nats-server); the file can set it; the stream is created with it', async (t) => {
    assert.equal(defaultConfig('/nonexistent').backends.nats.fabricReplicas, 1);
    const dir = await tempDir(t);
    const file = join(dir, 'c.yaml');
    await writeFile(file, 'backends:\n  nats:\n    fabric: true\n    fabricReplicas: 3\n');
    const cfg = resolveConfig(dir, [await layerFromFile(file)]);
    assert.equal(cfg.backends.nats.fabricReplicas, 3);
    const stream = fabricStreamConfig({ stream: 'S', subjects: 'p.fabric.node.>', maxAgeSeconds: 60, maxPerNode: 10, duplicateWindowMs: 1000, ackWaitMs: 5000, maxAckPending: 1, replicas: 3 });
    assert.equal(stream.num_replicas, 3);
  });

  it('refuses a count JetStream cannot have', async (t) => {
    const dir = await tempDir(t);
    for (const v of ['0', '6', '1.5', '"three"']) {
      const file = join(dir, `r${Math.random()}.yaml`);
      await writeFile(file, `backends: { nats: { fabricReplicas: ${v} } }`);
      await assert.rejects(layerFromFile(file), pushmeshError('ERR_CONFIG', /fabricReplicas|non-negative integer/), v);
    }
  });
});
