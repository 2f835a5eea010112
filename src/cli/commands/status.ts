import type { Command } from 'commander';
import type { DeliveryStatus } from '../../core/index.js';
import { PushmeshError } from '../../errors/index.js';
import type { CliContext } from '../context.js';
import { LocalApiClient, withLocalOptions, type LocalOptions } from '../local-api-client.js';
import { printFields, printJson, timeText } from '../output.js';

/** What a message ID looks like (the node's IDs are 22 base64url characters; other senders' may differ). */
const MESSAGE_ID = /^[A-Za-z0-9._~-]{1,128}$/;

/** `pushmesh status <message-id> [--json]`: where a message this node sent stands (GET /msg/status/<id>). */
export function registerStatus(program: Command, ctx: CliContext): void {
  withLocalOptions(program.command('status'))
    .description('where a message this node sent stands: queued, sent, delivered, expired, rejected or replaced (GET /msg/status/<id>)')
    .argument('<message-id>', 'the ID "pushmesh send" printed')
    .option('--json', 'print the status object as the local API gives it')
    .action(async (id: string, o: LocalOptions & { json?: boolean }) => {
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
