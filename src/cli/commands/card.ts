import type { Command } from 'commander';
import { cardFor, normalizeOrigin } from '../../identity/index.js';
import { advertisedOrigin, DEFAULT_ADVERTISE } from '../advertise.js';
import type { CliContext } from '../context.js';
import { homeFrom, withHomeOption } from '../home-option.js';
import { openHomeIdentity } from '../open-home-identity.js';

interface CardOptions {
  home?: string;
  advertise?: string;
}

/** `pushmesh card [--advertise URL]`: print this node's card JSON. */
export function registerCard(program: Command, ctx: CliContext): void {
  withHomeOption(program.command('card'))
    .description("print this node's card (its Web Push subscription and ID) as JSON")
    .option('--advertise <url>', `origin of the card's endpoint (default: $PUSHMESH_ADVERTISE or ${DEFAULT_ADVERTISE})`)
    .action(async (options: CardOptions) => {
      const origin = normalizeOrigin(advertisedOrigin(options.advertise, ctx)); // check before creating anything
      const identity = await openHomeIdentity(homeFrom(options, ctx), ctx);
      ctx.stdout.write(JSON.stringify(cardFor(identity, origin), null, 2) + '\n');
    });
}
