/**
 * pushmesh/browser: a browser tab as a pushmesh node (docs/browser.md).
 *
 *   import { connect } from 'pushmesh/browser';
 *   const node = await connect('wss://relay.example.net:15443/ws');
 *   node.id, node.card                         // this tab's node ID and card
 *   node.on('message', (m) => …)               // {id, from, to, topic, time, meta, data, encoding, path}
 *   node.on('status', (s) => …)                // {id, to, state: queued|sent|delivered|expired|rejected, reason?}
 *   await node.addCard(cardOfTheOtherNode)     // needed once per destination
 *   const { id } = await node.send(to, 'chat', { text: 'hi' }, { receipt: true })
 *
 * Browsers only (WebCrypto, IndexedDB, WebSocket); no Node APIs.
 */
export {
  connect,
  PushmeshClient,
  RECEIPT_TOPIC,
  type ConnectOptions,
  type DeliveryState,
  type DeliveryStatus,
  type ReceivedMessage,
  type SendOptions,
} from './client.js';
export { parseRelayUrl, LinkError, type LinkStateEvent, type LinkEndReason, type NackReason, type Outcome } from './link.js';
export { parseCard, parseCardText, type Card } from './core/card.js';
export { PushmeshError, isPushmeshError } from './core/errors.js';
export { isNodeId, nodeIdOf, type NodeId } from './core/node-id.js';
export { deleteStoredIdentity } from './core/key-store.js';
