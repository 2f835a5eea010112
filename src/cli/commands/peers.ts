import type { Command } from 'commander';
import type { PeerInfo } from '../../core/index.js';
import type { CliContext } from '../context.js';
import { LocalApiClient, withLocalOptions, type LocalOptions } from '../local-api-client.js';
import { printJson, printTable, timeText } from '../output.js';

interface PeersOptions extends LocalOptions {
  json?: boolean;
  linked?: boolean;
}

/**
 * `pushmesh peers [--linked] [--json]`: the peers as the running node sees
 * them (GET /peers): live links first, then known peers without a link.
 * (`pushmesh peer list` lists the cards stored in the home folder, without
 * a running node.)
 */
export function registerPeers(program: Command, ctx: CliContext): void {
  withLocalOptions(program.command('peers'))
    .description('live links and known peers of the running node, with counters (GET /peers); stored cards: "pushmesh peer list"')
    .option('--linked', 'only peers with a link up now')
    .option('--json', 'print {"peers":[…]} as the local API gives it')
    .action(async (o: PeersOptions) => {
      const api = await LocalApiClient.from(o, ctx);
      const answer = await api.get<{ peers: PeerInfo[] }>('/peers');
      const peers = o.linked === true ? answer.peers.filter((p) => p.connected) : answer.peers;
      if (o.json === true) return printJson(ctx, { peers });
      const rows = peers.map((p) => [
        p.id,
        p.connected ? 'up' : '-',
        p.transport,
        p.direction ?? '-',
        (p.connected ? (p.address ?? p.endpoint) : p.endpoint) || '-',
        timeText(p.since),
        String(p.queued),
        String(p.sent),
        String(p.received),
      ]);
      printTable(ctx, ['ID', 'LINK', 'TRANSPORT', 'DIRECTION', 'ADDRESS', 'SINCE', 'QUEUED', 'SENT', 'RECEIVED'], rows);
    });
}
