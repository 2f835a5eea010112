import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { PushmeshError } from '../../errors/index.js';
import { fetchCard, FETCH_CARD_TIMEOUT_MS, isNodeId, parseCardText, PeerStore, type Card } from '../../identity/index.js';
import type { CliContext } from '../context.js';
import { homeFrom, withHomeOption } from '../home-option.js';

interface AddOptions {
  home?: string;
  id?: string;
  timeout: number;
}

interface ListOptions {
  home?: string;
  json?: boolean;
}

/** `pushmesh peer add|list|remove`: the cards of known peers. */
export function registerPeer(program: Command, ctx: CliContext): void {
  const peer = program.command('peer').description("manage known peers' cards");

  withHomeOption(peer.command('add'))
    .description("remember a peer's card, from a file or a running node's GET /id; prints its ID")
    .argument('<source>', 'card JSON file, or http(s) URL of a running node')
    .option('--id <node-id>', 'refuse the card unless it has this node ID')
    .option('--timeout <ms>', 'time limit for fetching a URL', parsePositiveInt, FETCH_CARD_TIMEOUT_MS)
    .action(async (source: string, options: AddOptions) => {
      const card = await readCard(source, options, ctx);
      if (options.id !== undefined && card.id !== options.id) {
        throw new PushmeshError('ERR_BAD_CARD', `card from ${source} has node ID ${card.id}, not ${options.id}`);
      }
      await new PeerStore(homeFrom(options, ctx)).add(card);
      ctx.stdout.write(card.id + '\n');
    });

  withHomeOption(peer.command('list'))
    .description('list known peers: node ID and endpoint, one per line')
    .option('--json', 'print the cards as a JSON array')
    .action(async (options: ListOptions) => {
      const cards = await new PeerStore(homeFrom(options, ctx)).list();
      if (options.json === true) ctx.stdout.write(JSON.stringify(cards, null, 2) + '\n');
      else for (const card of cards) ctx.stdout.write(`${card.id} ${card.endpoint}\n`);
    });

  withHomeOption(peer.command('remove'))
    .description('forget a peer')
    .argument('<node-id>', 'full node ID of the peer')
    .action(async (id: string, options: { home?: string }) => {
      if (!isNodeId(id)) throw new PushmeshError('ERR_BAD_ARGUMENT', `${JSON.stringify(id)} is not a full node ID (52 base32 characters)`);
      if (!(await new PeerStore(homeFrom(options, ctx)).remove(id))) {
        throw new PushmeshError('ERR_NOT_FOUND', `no known peer ${id}`);
      }
    });
}

async function readCard(source: string, options: AddOptions, ctx: CliContext): Promise<Card> {
  if (/^https?:\/\//i.test(source)) return fetchCard(source, { timeoutMs: options.timeout, fetch: ctx.fetch });
  let text: string;
  try {
    text = await readFile(source, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code ?? String(err);
    throw new PushmeshError('ERR_BAD_ARGUMENT', `cannot read card file ${source} (${code})`, { cause: err });
  }
  try {
    return parseCardText(text);
  } catch (err) {
    throw new PushmeshError('ERR_BAD_CARD', `${source}: ${(err as Error).message}`, { cause: err });
  }
}

function parsePositiveInt(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}
