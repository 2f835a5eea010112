/**
 * Stable error codes. Callers switch on `err.code`; messages are for people.
 * Add codes freely; never change the meaning of an existing one.
 */
export type ErrorCode =
  | 'ERR_DECRYPT'
  | 'ERR_ENCRYPT'
  | 'ERR_PAYLOAD_TOO_LARGE'
  | 'ERR_BAD_KEY'
  | 'ERR_VAPID_MISSING'
  | 'ERR_VAPID_INVALID'
  | 'ERR_IDENTITY_EXISTS'
  | 'ERR_IDENTITY_MISSING'
  | 'ERR_IDENTITY_INVALID'
  | 'ERR_KEY_PERMISSIONS'
  | 'ERR_BAD_CARD'
  | 'ERR_BAD_MESSAGE'
  | 'ERR_BAD_ARGUMENT'
  | 'ERR_CONFIG'
  | 'ERR_NOT_FOUND'
  | 'ERR_FORBIDDEN'
  | 'ERR_UNSUPPORTED'
  | 'ERR_QUEUE_FULL'
  /** The node's store cannot be written (disk full, I/O error): new work is refused until a write succeeds again; `cause` is the SQLite error. */
  | 'ERR_STORAGE_FULL'
  /** The node's store is damaged or was emptied (zero-length file, missing WAL after an unclean stop, failed integrity check): start-up refused. */
  | 'ERR_STORE_DAMAGED'
  | 'ERR_UNAVAILABLE'
  | 'ERR_LISTEN'
  | 'ERR_IO'
  | 'ERR_TIMEOUT'
  | 'ERR_ABORTED'
  | 'ERR_BAD_SIGNATURE'
  /** A signed configuration was refused; `ConfigRefusedError.reason` says why. */
  | 'ERR_CONFIG_REFUSED'
  | 'ERR_BAD_EVENT'
  | 'ERR_BACKEND'
  /** A peer link closed (or was never up) before the operation finished; the outcome is unknown. */
  | 'ERR_LINK_CLOSED'
  /** A peer failed authentication or authorization (no key proof, wrong node ID, refused by policy). */
  | 'ERR_PEER_REFUSED'
  // Codes only HTTP answers carry (`{"error":{"code","message"}}`); never a PushmeshError's.
  /** 400: a request that is not HTTP at all (bad framing or header bytes), or a WebSocket upgrade without our subprotocol. */
  | 'ERR_BAD_REQUEST'
  /** 431: request headers too large. */
  | 'ERR_HEADERS_TOO_LARGE'
  /** 500: an unexpected failure; the details stay in the node's log. */
  | 'ERR_INTERNAL';
