import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { layerFromEnv, layerFromText, resolveConfig } from '../../src/config/load.js';
import { isPushmeshError } from '../../src/errors/index.js';

describe('config: reqInlineTypes (/req answers served inline when asked)', () => {
  it('defaults to none; the file and PUSHMESH_REQ_INLINE_TYPES set it, lowercased', () => {
    assert.deepEqual(resolveConfig('/tmp/h', []).reqInlineTypes, []);
    assert.deepEqual(resolveConfig('/tmp/h', [layerFromText('reqInlineTypes: [image/PNG, application/json]', 'f')]).reqInlineTypes, ['image/png', 'application/json']);
    assert.deepEqual(resolveConfig('/tmp/h', [layerFromEnv({ PUSHMESH_REQ_INLINE_TYPES: 'image/png, text/plain' }), layerFromText('reqInlineTypes: [image/gif]', 'f')]).reqInlineTypes, ['image/png', 'text/plain']);
  });

  it('refuses what is not one media type', () => {
    for (const bad of ['image/*', '*/*', 'text/html; charset=utf-8', 'html', '']) {
      assert.throws(() => resolveConfig('/tmp/h', [{ reqInlineTypes: [bad] }]), (e: unknown) => isPushmeshError(e) && e.code === 'ERR_CONFIG', bad);
    }
    assert.throws(() => layerFromText('reqInlineTypes: image/png', 'f'), (e: unknown) => isPushmeshError(e) && e.code === 'ERR_CONFIG');
  });
});
