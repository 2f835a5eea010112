export type { ErrorCode } from './codes.js';
export { PushmeshError, DecryptError, VapidError, isPushmeshError } from './pushmesh-error.js';
