import { InvalidArgumentError, type Command } from 'commander';
import type { DeliveryStatus } from '../../core/index.js';
import { PushmeshError } from '../../errors/index.js';
import type { CliContext } from '../context.js';
import { LocalApiClient, withLocalOptions, type LocalOptions } from '../local-api-client.js';
import { printFields, printJson, printTable, timeText } from '../output.js';

/** What a message ID looks like (the node's IDs are 22 base64url characters; other senders' may differ). */
const MESSAGE_ID = /^[A-Za-z0-9._~-]{1,128}$/;
/** Most statuses `GET /statuses` lists. */
const MAX_RECENT = 1000;

interface StatusOptions extends LocalOptions {
  json?: boolean;
  recent?: number;
}

function parseRecent(text: string): number {
  const n = Number(text);
  if (!/^\d{1,4}$/.test(text) || n < 1 || n > MAX_RECENT) throw new InvalidArgumentError(`expected a whole number from 1 to ${MAX_RECENT}`);
  return n;
}

/**
 * `pushmesh status [<message-id>] [--recent N] [--json]`: where a message
 * this node sent stands (GET /msg/status/<id>), or, without an ID, the
 * latest delivery statuses (GET /statuses?recent=N).
 */
export function registerStatus(program: Command, ctx: CliContext): void {
  withLocalOptions(program.command('status'))
    .description('where a message this node sent stands: queued, sent, delivered, expired, rejected or replaced (GET /msg/status/<id>); without an ID, the latest ones (GET /statuses)')
    .argument('[message-id]', 'the ID "pushmesh send" printed (default: list the latest)')
    .option('--recent <n>', `without an ID: how many of the latest to list, 1-${MAX_RECENT} (default 20)`, parseRecent)
    .option('--json', 'print what the local API gives: the status object, or {"statuses":[…]}')
    .action(async (id: string | undefined, o: StatusOptions) => {
      if (id === undefined) return listRecent(o, ctx);
      if (o.recent !== undefined) throw new PushmeshError('ERR_BAD_ARGUMENT', '--recent lists the latest statuses: give it without a message ID');
      if (!MESSAGE_ID.test(id)) throw new PushmeshError('ERR_BAD_ARGUMENT', `${JSON.stringify(id.slice(0, 64))} is not a message ID (1-128 characters of A-Z a-z 0-9 . _ ~ -)`);
      const api = await LocalApiClient.from(o, ctx);
      const st = await api.get<DeliveryStatus>(`/msg/status/${encodeURIComponent(id)}`);
      if (o.json === true) return printJson(ctx, st);
      const fields: [string, string][] = [
        ['id', st.id],
        ['to', st.to],
        ['state', st.state],
      ];
      if (st.reason !== undefined) fields.push(['reason', st.reason]);
      fields.push(['receipt', st.receipt ? 'asked' : 'no'], ['updated', timeText(st.updated)]);
      printFields(ctx, fields);
    });
}

async function listRecent(o: StatusOptions, ctx: CliContext): Promise<void> {
  const api = await LocalApiClient.from(o, ctx);
  const answer = await api.get<{ statuses: DeliveryStatus[] }>(`/statuses${o.recent === undefined ? '' : `?recent=${o.recent}`}`);
  if (o.json === true) return printJson(ctx, answer);
  const rows = answer.statuses.map((s) => [s.id, s.state, s.to, timeText(s.updated), s.receipt ? 'asked' : 'no', s.reason ?? '']);
  printTable(ctx, ['ID', 'STATE', 'TO', 'UPDATED', 'RECEIPT', 'REASON'], rows);
}
