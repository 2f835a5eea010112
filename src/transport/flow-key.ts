import type { WebpushMessage } from '../message/types.js';

/**
 * A flow: one origin's messages to one destination along the jump hosts it
 * chose (`via`, as it reaches this hop). Messages of one flow are handled
 * in order (the link manager's lanes, ADS flow holds); messages with other
 * jump hosts go another way, so a refusal of one (say `no_route` for a
 * jump host nobody knows) does not hold up the others (docs/node.md "No
 * head-of-line stall"). Part of the transport contract.
 */
export function flowKey(wire: Pick<WebpushMessage, 'from' | 'to'> & { via?: readonly string[] }): string {
  const via = wire.via && wire.via.length > 0 ? `\u0000${wire.via.join(',')}` : '';
  return `${wire.from}\u0000${wire.to}${via}`;
}
