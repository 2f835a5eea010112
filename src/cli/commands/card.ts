import type { Command } from 'commander';
import { PushmeshError } from '../../errors/index.js';
import { advertisedOrigin, DEFAULT_ADVERTISE } from '../advertise.js';
import type { CliContext } from '../context.js';
import { homeFrom, withHomeOption } from '../home-option.js';
import { LocalApiClient, type LocalOptions } from '../local-api-client.js';
import { openHomeIdentity } from '../open-home-identity.js';
import { printJson } from '../output.js';

interface CardOptions extends LocalOptions {
  home?: string;
  advertise?: string;
  running?: boolean;
}

/** `pushmesh card [--advertise URL]`: print this node's card JSON; `--running`: the running node's GET /id. */
export function registerCard(program: Command, ctx: CliContext): void {
  withHomeOption(program.command('card'))
    .description("print this node's card (its Web Push subscription and ID) as JSON")
    .option('--advertise <url>', `origin of the card's endpoint (default: $PUSHMESH_ADVERTISE or ${DEFAULT_ADVERTISE})`)
    .option('--running', "the running node's card as it serves it (GET /id: the card plus its vip6), not the home's")
    .option('--local <addr>', 'with --running: the node\'s local API, HOST:PORT or http://… (default: $PUSHMESH_LOCAL, else local: of --config, else 127.0.0.1:15004)')
    .option('--config <file>', "with --running: the node's config file (default $PUSHMESH_CONFIG), for its local: setting")
    .action(async (options: CardOptions) => {
      if (options.running === true) {
        if (options.advertise !== undefined) throw new PushmeshError('ERR_BAD_ARGUMENT', '--advertise makes a card from the home: not with --running');
        return printJson(ctx, await (await LocalApiClient.from(options, ctx)).get<unknown>('/id'));
      }
      if (options.local !== undefined || options.config !== undefined) throw new PushmeshError('ERR_BAD_ARGUMENT', '--local and --config ask the running node: add --running');
      const { cardFor, normalizeOrigin } = await import('../../identity/index.js'); // loaded when the verb runs (CLI start)
      const origin = normalizeOrigin(advertisedOrigin(options.advertise, ctx)); // check before creating anything
      const identity = await openHomeIdentity(homeFrom(options, ctx), ctx);
      ctx.stdout.write(JSON.stringify(cardFor(identity, origin), null, 2) + '\n');
    });
}
