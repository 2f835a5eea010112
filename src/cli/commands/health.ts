import type { Command } from 'commander';
import { PushmeshError } from '../../errors/index.js';
import type { CliContext } from '../context.js';
import { LocalApiClient, withLocalOptions, type LocalOptions } from '../local-api-client.js';
import { printFields, printJson } from '../output.js';

/** `pushmesh health [--json]`: the running node's GET /healthz; exit 0 while it runs, 1 while it drains or is down. */
export function registerHealth(program: Command, ctx: CliContext): void {
  withLocalOptions(program.command('health'))
    .description('is the running node up: state, uptime, queue, subscribers, links, store (GET /healthz); exit 1 unless running')
    .option('--json', 'print the /healthz object as the local API gives it')
    .action(async (o: LocalOptions & { json?: boolean }) => {
      const api = await LocalApiClient.from(o, ctx);
      const { status, body } = await api.getAnyStatus<Record<string, unknown>>('/healthz');
      if (o.json === true) printJson(ctx, body);
      else {
        printFields(ctx, Object.entries(body).map(([k, v]) => [k, text(v)] as const));
      }
      if (body['ok'] !== true) throw new PushmeshError('ERR_UNAVAILABLE', `the node is not running (state ${text(body['state'] ?? 'unknown')}, HTTP ${status})`);
    });
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}
