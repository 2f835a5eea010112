import type { Command } from 'commander';
import { PushmeshError } from '../../errors/index.js';
import type { CliContext } from '../context.js';
import { LocalApiClient, withLocalOptions, type LocalOptions } from '../local-api-client.js';
import { printFields, printJson } from '../output.js';

/** `pushmesh health [--json]`: the running node's GET /healthz; exit 0 while it runs, 1 while it drains or is down. */
export function registerHealth(program: Command, ctx: CliContext): void {
  withLocalOptions(program.command('health'))
    .description('is the running node up: state, uptime, queue, subscribers, links, store, certificate (GET /healthz); exit 1 unless running')
    .option('--json', 'print the /healthz object as the local API gives it')
    .action(async (o: LocalOptions & { json?: boolean }) => {
      const api = await LocalApiClient.from(o, ctx);
      const { status, body } = await api.getAnyStatus<Record<string, unknown>>('/healthz');
      if (o.json === true) printJson(ctx, body);
      else printFields(ctx, Object.entries(body).map(([k, v]) => [k, k === 'certificate' ? certificateText(v) : text(v)] as const));
      if (body['ok'] !== true) throw new PushmeshError('ERR_UNAVAILABLE', `the node is not running (state ${text(body['state'] ?? 'unknown')}, HTTP ${status})`);
    });
}

/** `ca, ends 2027-01-01T00:00:00.000Z (12 days left), EXPIRING SOON: have it renewed`; another shape as JSON. */
export function certificateText(v: unknown): string {
  const c = v as { kind?: unknown; notAfter?: unknown; daysLeft?: unknown; expiringSoon?: unknown } | null;
  if (!c || typeof c !== 'object' || typeof c.kind !== 'string' || typeof c.notAfter !== 'string' || typeof c.daysLeft !== 'number') return text(v);
  const left = c.daysLeft < 0 ? `ended ${-c.daysLeft} days ago` : `${c.daysLeft} days left`;
  const soon = c.expiringSoon !== true ? '' : c.kind === 'ca' ? ', EXPIRING SOON: have it renewed (pushmesh cert request)' : ', EXPIRING SOON: a restart after it ends makes a new one';
  return `${c.kind}, ends ${c.notAfter} (${left})${soon}`;
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}
