/**
 * The browser build's errors are the node's own classes and codes
 * (src/errors/pushmesh-error.ts, src/errors/codes.ts, src/message/bad-message.ts:
 * pure modules shared with the node), so a page can `switch (err.code)` on
 * exactly the codes the node throws.
 */
export type { ErrorCode } from '../../errors/codes.js';
export { DecryptError, PushmeshError, VapidError, isPushmeshError } from '../../errors/pushmesh-error.js';
export { badMessage } from '../../message/bad-message.js';
