export type { ErrorCode } from './codes.js';
export { PushmeshError, DecryptError, VapidError, isPushmeshError } from './pushmesh-error.js';
export { BackendError, isRetryable } from './backend-error.js';
export { ChallengeRefusal, type ChallengeRefusalReason } from './challenge-refusal.js';
export { CONFIG_REFUSALS, ConfigRefusedError, isConfigRefused, type ConfigRefusal } from './config-refused-error.js';
export { NACK_REASONS, type NackReason } from './nack-reason.js';
export { NackError } from './nack-error.js';
