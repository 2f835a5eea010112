import type { Command } from 'commander';
import type { RouteEntry } from '../../core/index.js';
import type { CliContext } from '../context.js';
import { LocalApiClient, withLocalOptions, type LocalOptions } from '../local-api-client.js';
import { printJson, printTable, timeText } from '../output.js';

/** `pushmesh routes [--json]`: the running node's route table (GET /routes). */
export function registerRoutes(program: Command, ctx: CliContext): void {
  withLocalOptions(program.command('routes'))
    .description("the running node's route table: destination, next hop, hops, kind, link up, expiry (GET /routes)")
    .option('--json', 'print {"routes":[…]} as the local API gives it')
    .action(async (o: LocalOptions & { json?: boolean }) => {
      const api = await LocalApiClient.from(o, ctx);
      const answer = await api.get<{ routes: RouteEntry[] }>('/routes');
      if (o.json === true) return printJson(ctx, answer);
      const rows = answer.routes.map((r) => [r.dest, r.next, String(r.hops), r.kind, r.up ? 'up' : 'down', r.expires === null ? 'with link' : timeText(r.expires)]);
      printTable(ctx, ['DEST', 'NEXT', 'HOPS', 'KIND', 'LINK', 'EXPIRES'], rows);
    });
}
