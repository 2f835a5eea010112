import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { layerFromEnv, layerFromText, resolveConfig } from '../../src/config/index.js';
import { isPushmeshError } from '../../src/errors/index.js';

/** The relay's opt-in for the browser demo (docs/browser.md, docs/configuration.md). */
describe('browserDemo setting', () => {
  it('is off by default; on from the file, the environment or a higher layer', () => {
    assert.equal(resolveConfig('/h', []).browserDemo, false);
    assert.equal(resolveConfig('/h', [layerFromText('browserDemo: true', 'f')]).browserDemo, true);
    assert.equal(resolveConfig('/h', [layerFromEnv({ PUSHMESH_BROWSER_DEMO: '1' })]).browserDemo, true);
    assert.equal(resolveConfig('/h', [layerFromEnv({ PUSHMESH_BROWSER_DEMO: 'off' }), layerFromText('browserDemo: true', 'f')]).browserDemo, false);
  });

  it('property: a file value that is not a boolean is ERR_CONFIG naming the key', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.array(fc.boolean(), { maxLength: 2 })), (v) => {
        try {
          layerFromText(JSON.stringify({ browserDemo: v }), 'f');
          assert.fail('accepted');
        } catch (err) {
          assert.ok(isPushmeshError(err) && err.code === 'ERR_CONFIG', String(err));
          assert.match((err as Error).message, /browserDemo/);
        }
      }),
    );
  });

  it('an environment value that is not a boolean is ERR_CONFIG', () => {
    assert.throws(() => layerFromEnv({ PUSHMESH_BROWSER_DEMO: 'maybe' }), (err: unknown) => isPushmeshError(err) && err.code === 'ERR_CONFIG');
  });
});
