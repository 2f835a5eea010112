/** Reserved topic of a delivery receipt between nodes (never shown to apps). */
export const RECEIPT_TOPIC = 'pushmesh.receipt';
/** Reserved topic of the status notices a node gives its own apps on their streams. */
export const STATUS_TOPIC = 'pushmesh.status';

/** The JSON `data` of a `pushmesh.receipt` message. */
export interface ReceiptData {
  v: 1;
  /** ID of the message received. */
  re: string;
  state: 'delivered';
  /** When an app at the destination took it, Unix ms. */
  time: number;
}
