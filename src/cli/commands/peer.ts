import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { PushmeshError } from '../../errors/index.js';
import { FETCH_CARD_TIMEOUT_MS } from '../../identity/fetch-card.js';
import type { Card } from '../../identity/index.js';
import { notice, type CliContext } from '../context.js';
import { printJson } from '../output.js';
import { homeFrom, withHomeOption } from '../home-option.js';

interface AddOptions {
  home?: string;
  id?: string;
  timeout: number;
  json?: boolean;
}

/** A card read for `peer add`, and how it was checked. */
interface ReadCard {
  card: Card;
  verified: string;
}

interface ListOptions {
  home?: string;
  json?: boolean;
}

/** `pushmesh peer add|list|remove`: the cards of known peers. */
export function registerPeer(program: Command, ctx: CliContext): void {
  const peer = program.command('peer').description("manage known peers' cards");

  withHomeOption(peer.command('add'))
    .description("remember a peer's card, from a file or a running node's GET /id; prints its ID (and on stderr its endpoint, VIP6 and how the card was checked)")
    .argument('<source>', 'card JSON file, or http(s) URL of a running node')
    .option('--id <node-id>', 'refuse the card unless it has this node ID')
    .option('--timeout <ms>', 'time limit for fetching a URL', parsePositiveInt, FETCH_CARD_TIMEOUT_MS)
    .option('--json', 'print {"id","endpoint","vip6","verified"} instead')
    .action(async (source: string, options: AddOptions) => {
      const [{ PeerStore, vip6FromPublicKey }, { fromBase64Url }] = await Promise.all([identityModule(), import('../../util/base64url.js')]);
      const { card, verified } = await readCard(source, options, ctx);
      if (options.id !== undefined && card.id !== options.id) {
        throw new PushmeshError('ERR_BAD_CARD', `card from ${source} has node ID ${card.id}, not ${options.id}`);
      }
      await new PeerStore(homeFrom(options, ctx)).add(card);
      const checked = options.id === undefined ? verified : `${verified}; its ID is the --id given`;
      const vip6 = vip6FromPublicKey(fromBase64Url(card.keys.p256dh));
      if (options.json === true) return printJson(ctx, { id: card.id, endpoint: card.endpoint, vip6, verified: checked });
      ctx.stdout.write(card.id + '\n');
      notice(ctx, `added peer ${card.id}: endpoint ${card.endpoint || '(none: reached over links only)'}, VIP6 ${vip6}; ${checked}`);
    });

  withHomeOption(peer.command('list'))
    .description('list the peer cards stored in the home folder: node ID and endpoint, one per line (live links: "pushmesh peers")')
    .option('--json', 'print the cards as a JSON array')
    .action(async (options: ListOptions) => {
      const { PeerStore } = await identityModule();
      const cards = await new PeerStore(homeFrom(options, ctx)).list();
      if (options.json === true) ctx.stdout.write(JSON.stringify(cards, null, 2) + '\n');
      else for (const card of cards) ctx.stdout.write(`${card.id} ${card.endpoint}\n`);
    });

  withHomeOption(peer.command('remove'))
    .description('forget a peer')
    .argument('<node-id>', 'full node ID of the peer')
    .action(async (id: string, options: { home?: string }) => {
      const { isNodeId, PeerStore } = await identityModule();
      if (!isNodeId(id)) throw new PushmeshError('ERR_BAD_ARGUMENT', `${JSON.stringify(id)} is not a full node ID (52 base32 characters)`);
      if (!(await new PeerStore(homeFrom(options, ctx)).remove(id))) {
        throw new PushmeshError('ERR_NOT_FOUND', `no known peer ${id}`);
      }
    });
}

/** The identity module (cards, the peer store): loaded when a peer verb runs, not at every CLI start. */
const identityModule = () => import('../../identity/index.js');

async function readCard(source: string, options: AddOptions, ctx: CliContext): Promise<ReadCard> {
  const { cardUrl, fetchCard, parseCardText } = await identityModule();
  if (/^https?:\/\//i.test(source)) {
    let how: 'certificate-key' | 'ca' | undefined;
    const card = await fetchCard(source, { timeoutMs: options.timeout, fetch: ctx.fetch, onVerified: (h) => (how = h) });
    const url = cardUrl(source).href;
    const verified =
      how === 'certificate-key'
        ? `fetched from ${url}: the server's TLS certificate holds the card's key`
        : how === 'ca'
          ? `fetched from ${url}: the server's TLS certificate is signed by a trusted CA for ${cardUrl(source).host}`
          : `fetched from ${url} over plain HTTP (not authenticated: use https:// or --id)`;
    return { card, verified: `${verified}; its ID matches its key` };
  }
  let text: string;
  try {
    text = await readFile(source, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code ?? String(err);
    throw new PushmeshError('ERR_BAD_ARGUMENT', `cannot read card file ${source} (${code})`, { cause: err });
  }
  try {
    return { card: parseCardText(text), verified: `read from the file ${source}; its ID matches its key (the file is trusted as given)` };
  } catch (err) {
    throw new PushmeshError('ERR_BAD_CARD', `${source}: ${(err as Error).message}`, { cause: err });
  }
}

function parsePositiveInt(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}
