import { readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { PushmeshError } from '../errors/index.js';
import { ensureHome, homeLayout, writeFileAtomic } from '../home/index.js';
import { SECRET_FILE_MODE } from './file-modes.js';
import { errnoCode, ioError } from './files.js';
import { isNodeId } from './node-id.js';
import { parseCard, parseCardText } from './parse-card.js';
import type { Card, NodeId } from './types.js';

const CARD_SUFFIX = '.json';

/**
 * Known peers' cards, one `<node-id>.json` file each under `home/peers/`.
 * Every card is validated when added and again when read back.
 */
export class PeerStore {
  readonly dir: string;
  readonly #home: string;

  constructor(home: string) {
    this.#home = home;
    this.dir = homeLayout(home).peersDir;
  }

  /** Validate and remember a card, replacing any card with the same ID. */
  async add(card: unknown): Promise<Card> {
    const valid = parseCard(card);
    await ensureHome(this.#home);
    const path = this.#pathOf(valid.id);
    try {
      await writeFileAtomic(path, JSON.stringify(valid, null, 2) + '\n', { mode: SECRET_FILE_MODE });
    } catch (err) {
      throw ioError('write', path, err);
    }
    return valid;
  }

  /** The card of `id`, or undefined if unknown. A stored card that no longer validates is ERR_BAD_CARD. */
  async get(id: NodeId): Promise<Card | undefined> {
    const path = this.#pathOf(checkId(id));
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return undefined;
      throw ioError('read', path, err);
    }
    return readStored(text, path, id);
  }

  /**
   * All known cards, sorted by ID. A stored card that no longer validates
   * is ERR_BAD_CARD, unless `onInvalid` is given: then it is reported there
   * and skipped, so one bad file cannot take the others down.
   */
  async list(onInvalid?: (id: NodeId, err: PushmeshError) => void): Promise<Card[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return [];
      throw ioError('list', this.dir, err);
    }
    const ids = names
      .filter((n) => n.endsWith(CARD_SUFFIX))
      .map((n) => n.slice(0, -CARD_SUFFIX.length))
      .filter(isNodeId)
      .sort();
    const cards: Card[] = [];
    for (const id of ids) {
      let card: Card | undefined;
      try {
        card = await this.get(id);
      } catch (err) {
        if (!onInvalid || !(err instanceof PushmeshError) || err.code !== 'ERR_BAD_CARD') throw err;
        onInvalid(id, err);
      }
      if (card !== undefined) cards.push(card);
    }
    return cards;
  }

  /** Forget `id`. Returns false if it was not known. */
  async remove(id: NodeId): Promise<boolean> {
    const path = this.#pathOf(checkId(id));
    try {
      await unlink(path);
      return true;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return false;
      throw ioError('remove', path, err);
    }
  }

  #pathOf(id: NodeId): string {
    return join(this.dir, id + CARD_SUFFIX);
  }
}

function checkId(id: string): NodeId {
  if (!isNodeId(id)) throw new PushmeshError('ERR_BAD_ARGUMENT', `${JSON.stringify(id)} is not a full node ID (52 base32 characters)`);
  return id;
}

function readStored(text: string, path: string, id: NodeId): Card {
  let card: Card;
  try {
    card = parseCardText(text);
  } catch (err) {
    throw new PushmeshError('ERR_BAD_CARD', `${path}: ${(err as Error).message}`, { cause: err });
  }
  if (card.id !== id) throw new PushmeshError('ERR_BAD_CARD', `${path}: holds the card of ${card.id}`);
  return card;
}
