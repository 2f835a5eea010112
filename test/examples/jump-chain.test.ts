import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { printedMessages, runExampleOnce } from './run-example.js';

describe('examples/jump-chain/run.sh', { timeout: 180_000 }, () => {
  it('sends a message across two relays and shows it at B with its path (ONCE=1)', async () => {
    const { code, out } = await runExampleOnce('jump-chain');
    assert.equal(code, 0, out);
    const [got] = printedMessages<{ data: { text: string }; path: string[] }>(out);
    assert.ok(got, out);
    const msg = got[0]!;
    assert.equal(msg.data.text, 'hello across two relays');
    assert.equal(msg.path.length, 2, 'crossed R1 and R2');
    assert.match(out, /the relays' logs do not contain the text/);
  });
});
