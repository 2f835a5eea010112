import { socketAddress } from '../socket-address.js';
import type { Transport } from '../transport.js';
import { PEER_WS_PATH } from './subprotocol.js';
import { WsDialer } from './ws-dialer.js';
import { WsListener } from './ws-listener.js';

/** WebSocket (`pushmesh.ads.v2`): dials `wss://[ID@]HOST:PORT/ws`, listens on the node's HTTPS server (`GET /ws`). */
export function wsTransport(): Transport {
  return {
    name: 'wss',
    schemes: ['wss:'],
    address: (url) => socketAddress(url, PEER_WS_PATH, `the path must be ${PEER_WS_PATH}`),
    dialer: (options) => new WsDialer(options),
    listensOn: 'https-server',
    listen: async (place, options) => {
      if (place.on !== 'https-server') throw new Error(`the WebSocket transport listens on the HTTPS server, not on ${place.on}`);
      return new WsListener(place.server, options);
    },
  };
}
