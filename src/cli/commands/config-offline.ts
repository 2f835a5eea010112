import type { KeyObject } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { PushmeshError } from '../../errors/index.js';
import { loadIdentity, parseCardText, parsePrivateKeyPem, type Card } from '../../identity/index.js';
import { ConfigRefusedError, decryptConfigData, signConfig, verifySignedConfig, parseOwner, type VerifiedConfig } from '../../signed-config/index.js';
import { WebPushDecrypter } from '../../webpush/index.js';
import { parseXdsResources } from '../../xds/index.js';
import type { CliContext } from '../context.js';
import { homeFrom } from '../home-option.js';
import { readInput } from '../read-input.js';

/*
 * `pushmesh config sign` and `config verify`, the offline half of
 * `pushmesh config` (src/cli/commands/config.ts registers them): loaded
 * only when one of them runs, as they need the signed-config, identity,
 * YAML and xDS modules the other verbs do not.
 */

export interface SignOptions {
  home?: string;
  namespace: string;
  name: string;
  version: string;
  key?: string;
  encryptTo?: string[];
  xds?: boolean;
}

export interface VerifyOptions {
  home?: string;
  owner?: string;
  decrypt?: boolean;
}

const bad = (message: string): PushmeshError => new PushmeshError('ERR_BAD_ARGUMENT', message);

/** `config sign FILE`: the signed config (compact JWS) on stdout. */
export async function signConfigFile(file: string, o: SignOptions, ctx: CliContext): Promise<void> {
  if (!/^\d{1,16}$/.test(o.version) || !Number.isSafeInteger(Number(o.version))) throw bad(`--version "${o.version}" must be an integer from 0 to 2^53-1`);
  const data = parseData(await readInput(file, 'data file'), file);
  if (o.xds === true || o.namespace === 'xds') parseXdsResources(data); // a bad resource is refused here, with its reason, not at every node
  const key = await signingKey(o, ctx);
  const encryptTo = await Promise.all((o.encryptTo ?? []).map(readCard));
  const jws = await signConfig({ namespace: o.namespace, name: o.name, version: Number(o.version), data, encryptTo }, key);
  ctx.stdout.write(jws + '\n');
}

/** `config verify FILE`: its payload on stdout when the signature is good (and the owner, when asked). */
export async function verifyConfigFile(file: string, o: VerifyOptions, ctx: CliContext): Promise<void> {
  let owner: string | undefined;
  if (o.owner !== undefined) {
    owner = parseOwner(o.owner);
    if (owner === undefined) throw bad(`--owner "${o.owner}" is not a node ID nor a base64url P-256 public key`);
  }
  const jws = (await readInput(file, 'signed config')).trim();
  const verified = await verifySignedConfig(jws);
  if (owner !== undefined && verified.owner !== owner) throw new ConfigRefusedError('unknown_owner', `signed by ${verified.owner}, not by ${owner}`);
  ctx.stdout.write(JSON.stringify(await describe(verified, o, ctx), null, 2) + '\n');
}

function parseData(text: string, file: string): unknown {
  try {
    return parseYaml(text) as unknown;
  } catch (err) {
    throw bad(`${file === '-' ? 'standard input' : file} is neither JSON nor YAML: ${(err as Error).message.split('\n')[0]}`);
  }
}

async function signingKey(o: SignOptions, ctx: CliContext): Promise<KeyObject> {
  if (o.key !== undefined) return parsePrivateKeyPem(await readInput(o.key, 'key file'), o.key).privateKey;
  return (await loadIdentity(homeFrom(o, ctx))).privateKey;
}

async function readCard(file: string): Promise<Card> {
  try {
    return parseCardText(await readInput(file, 'card file'));
  } catch (err) {
    if (err instanceof PushmeshError && err.code === 'ERR_BAD_CARD') throw new PushmeshError('ERR_BAD_CARD', `${file}: ${err.message}`, { cause: err });
    throw err;
  }
}

/** The payload as `config verify` prints it: data in the clear, or who can read it (and, with --decrypt, the data). */
async function describe(v: VerifiedConfig, o: VerifyOptions, ctx: CliContext): Promise<Record<string, unknown>> {
  const { namespace, name, version, iat, encrypted } = v.payload;
  const out: Record<string, unknown> = { namespace, name, version, iat, owner: v.owner };
  if (!encrypted) {
    out['data'] = v.payload.data;
    return out;
  }
  out['encryptedTo'] = encrypted.recipients.map((r) => r.id);
  if (o.decrypt === true) {
    const identity = await loadIdentity(homeFrom(o, ctx));
    const opened = decryptConfigData(encrypted, identity.id, new WebPushDecrypter(identity));
    if (!opened.readable) throw new PushmeshError('ERR_DECRYPT', `cannot open the data: node ${identity.id} ${opened.why === 'not a recipient' ? 'is not a recipient' : 'is listed but its entry does not decrypt'}`);
    out['data'] = opened.data;
  }
  return out;
}
