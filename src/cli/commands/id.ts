import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { homeFrom, withHomeOption } from '../home-option.js';
import { openHomeIdentity } from '../open-home-identity.js';

interface IdOptions {
  home?: string;
  vip6?: boolean;
}

/** `pushmesh id [--vip6]`: print the node ID (or its VIP6 address). */
export function registerId(program: Command, ctx: CliContext): void {
  withHomeOption(program.command('id'))
    .description('print the node ID (creating the identity on first use)')
    .option('--vip6', 'print the VIP6 address (fd00::/64 + key) instead')
    .action(async (options: IdOptions) => {
      const identity = await openHomeIdentity(homeFrom(options, ctx), ctx);
      ctx.stdout.write((options.vip6 === true ? identity.vip6 : identity.id) + '\n');
    });
}
