import { CloudEvent } from 'cloudevents';
import { PushmeshError } from '../errors/index.js';
import { SPEC_VERSION } from './constants.js';
import { validationReason } from './validation-reason.js';
import type { ParsedEvent } from './types.js';

/**
 * Runs the SDK's validation (the CloudEvents 1.0 JSON schema and the
 * attribute-name rule) over the attributes exactly as they arrived.
 * `new CloudEvent()` would first invent an `id` and a `time` for an event
 * that lacks them, hiding the error, so the SDK's `validate` is applied
 * to the attributes themselves. Throws ERR_BAD_EVENT with the SDK's reason.
 */
export function validateAttributes(attributes: Record<string, unknown>): ParsedEvent['attributes'] {
  const version = attributes['specversion'];
  if (version === undefined) throw new PushmeshError('ERR_BAD_EVENT', 'invalid CloudEvent: event must have required property \'specversion\'');
  if (version !== SPEC_VERSION) {
    throw new PushmeshError('ERR_BAD_EVENT', `invalid CloudEvent: specversion ${JSON.stringify(version).slice(0, 20)} is not supported (pushmesh reads CloudEvents ${SPEC_VERSION})`);
  }
  try {
    CloudEvent.prototype.validate.call(attributes as unknown as CloudEvent<undefined>);
  } catch (err) {
    throw new PushmeshError('ERR_BAD_EVENT', `invalid CloudEvent: ${validationReason(err)}`, { cause: err });
  }
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || (typeof value === 'object' && !(value instanceof Date))) {
      throw new PushmeshError('ERR_BAD_EVENT', `invalid CloudEvent: attribute "${name}" must be a string, integer or boolean`);
    }
    if (typeof value === 'number' && !Number.isSafeInteger(value)) {
      throw new PushmeshError('ERR_BAD_EVENT', `invalid CloudEvent: attribute "${name}" is a number that is not an integer`);
    }
  }
  return attributes as ParsedEvent['attributes'];
}
