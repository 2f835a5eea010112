/** Reserved topic of a request message (never shown to apps). */
export const RPC_REQUEST_TOPIC = 'pushmesh.req';
/** Reserved topic of a response message (never shown to apps). */
export const RPC_RESPONSE_TOPIC = 'pushmesh.res';
