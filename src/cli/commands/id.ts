import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { homeFrom, withHomeOption } from '../home-option.js';
import { openHomeIdentity } from '../open-home-identity.js';
import { printJson } from '../output.js';

interface IdOptions {
  home?: string;
  vip6?: boolean;
  json?: boolean;
}

/** `pushmesh id [--vip6]`: print the node ID (or its VIP6 address). */
export function registerId(program: Command, ctx: CliContext): void {
  withHomeOption(program.command('id'))
    .description('print the node ID (creating the identity on first use)')
    .option('--vip6', 'print the VIP6 address (fd00::/64 + key) instead')
    .option('--json', 'print {"id","vip6"}')
    .action(async (options: IdOptions) => {
      const identity = await openHomeIdentity(homeFrom(options, ctx), ctx);
      if (options.json === true) return printJson(ctx, { id: identity.id, vip6: identity.vip6 });
      ctx.stdout.write((options.vip6 === true ? identity.vip6 : identity.id) + '\n');
    });
}
