import type { Command } from 'commander';
import type { KeyObject } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { PushmeshError } from '../../errors/index.js';
import { loadIdentity, parseCardText, parsePrivateKeyPem, type Card } from '../../identity/index.js';
import {
  CONFIG_MEDIA_TYPE,
  ConfigRefusedError,
  decryptConfigData,
  signConfig,
  verifySignedConfig,
  parseOwner,
  type VerifiedConfig,
} from '../../signed-config/index.js';
import { isConfigName, NAME_RULE } from '../../signed-config/names.js';
import type { ConfigView } from '../../signed-config/types.js';
import { WebPushDecrypter } from '../../webpush/index.js';
import { parseXdsResources } from '../../xds/index.js';
import type { CliContext } from '../context.js';
import { homeFrom, withHomeOption } from '../home-option.js';
import { LocalApiClient, withLocalOptions, type LocalOptions } from '../local-api-client.js';
import { printFields, printJson, printTable, timeText } from '../output.js';
import { readInput } from '../read-input.js';

interface SignOptions {
  home?: string;
  namespace: string;
  name: string;
  version: string;
  key?: string;
  encryptTo?: string[];
  xds?: boolean;
}

interface VerifyOptions {
  home?: string;
  owner?: string;
  decrypt?: boolean;
}

interface PublishOptions extends LocalOptions {
  home?: string;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];
const bad = (message: string): PushmeshError => new PushmeshError('ERR_BAD_ARGUMENT', message);

/** `pushmesh config sign|verify|publish`: signed configuration (docs/signed-config.md). */
export function registerConfig(program: Command, ctx: CliContext): void {
  const config = program.command('config').description('sign, verify and publish signed configuration');

  withHomeOption(config.command('sign'))
    .description('sign config data (JSON or YAML file, - for stdin) and print the signed config (compact JWS)')
    .argument('<file>', 'the data: a JSON or YAML file, or - for standard input')
    .requiredOption('--namespace <ns>', 'namespace (the trust unit: receivers trust owners per namespace)')
    .requiredOption('--name <name>', 'config name within the namespace')
    .requiredOption('--version <n>', 'version, an integer >= 0; receivers keep only increasing versions')
    .option('--key <pem>', "P-256 private key to sign with (PKCS#8 or SEC1 PEM; default: the node's own key)")
    .option('--encrypt-to <card>', 'encrypt the data to the node of this card file (repeat for each recipient)', collect)
    .option('--xds', 'check the data as xDS resources, {"resources": [ … ]} (always done for namespace xds; docs/xds.md)')
    .action(async (file: string, o: SignOptions) => {
      if (!/^\d{1,16}$/.test(o.version) || !Number.isSafeInteger(Number(o.version))) throw bad(`--version "${o.version}" must be an integer from 0 to 2^53-1`);
      const data = parseData(await readInput(file, 'data file'), file);
      if (o.xds === true || o.namespace === 'xds') parseXdsResources(data); // a bad resource is refused here, with its reason, not at every node
      const key = await signingKey(o, ctx);
      const encryptTo = await Promise.all((o.encryptTo ?? []).map(readCard));
      const jws = await signConfig({ namespace: o.namespace, name: o.name, version: Number(o.version), data, encryptTo }, key);
      ctx.stdout.write(jws + '\n');
    });

  withHomeOption(config.command('verify'))
    .description('check a signed config (file, or - for stdin); prints its payload, exits 0 only when the signature is good')
    .argument('<signed-file>', 'the signed config (compact JWS)')
    .option('--owner <id>', 'also require this signer (node ID or base64url public key)')
    .option('--decrypt', "open encrypted data with this node's key (--home)")
    .action(async (file: string, o: VerifyOptions) => {
      let owner: string | undefined;
      if (o.owner !== undefined) {
        owner = parseOwner(o.owner);
        if (owner === undefined) throw bad(`--owner "${o.owner}" is not a node ID nor a base64url P-256 public key`);
      }
      const jws = (await readInput(file, 'signed config')).trim();
      const verified = await verifySignedConfig(jws);
      if (owner !== undefined && verified.owner !== owner) throw new ConfigRefusedError('unknown_owner', `signed by ${verified.owner}, not by ${owner}`);
      ctx.stdout.write(JSON.stringify(await describe(verified, o, ctx), null, 2) + '\n');
    });

  withLocalOptions(config.command('publish'))
    .description('hand a signed config to the running node (POST /config), which verifies and publishes it')
    .argument('<signed-file>', 'the signed config (compact JWS), or - for standard input')
    .action(async (file: string, o: PublishOptions) => {
      const { base } = await LocalApiClient.from(o, ctx);
      const jws = (await readInput(file, 'signed config')).trim();
      let res: Response;
      try {
        res = await ctx.fetch(`${base}/config`, { method: 'POST', headers: { 'content-type': CONFIG_MEDIA_TYPE }, body: jws, signal: AbortSignal.timeout(30_000) });
      } catch (err) {
        throw new PushmeshError('ERR_UNAVAILABLE', `no node answering at ${base} (is "pushmesh run" running?)`, { cause: err });
      }
      const text = await res.text();
      if (!res.ok) {
        let reason = `HTTP ${res.status}`;
        try {
          reason = (JSON.parse(text) as { error: { message: string } }).error.message;
        } catch {
          /* keep the status */
        }
        throw new PushmeshError(res.status === 503 ? 'ERR_UNAVAILABLE' : 'ERR_CONFIG_REFUSED', `node refused the config: ${reason}`);
      }
      ctx.stdout.write(text.trim() + '\n');
    });

  registerConfigReads(config, ctx);
}

/** `pushmesh config list|get`: the signed configs the running node keeps (GET /config, GET /config/<ns>/<name>). */
function registerConfigReads(config: Command, ctx: CliContext): void {
  withLocalOptions(config.command('list'))
    .description('the signed configs the running node keeps: namespace, name, version, owner (GET /config)')
    .option('--json', 'print {"configs":[…]} as the local API gives it')
    .action(async (o: LocalOptions & { json?: boolean }) => {
      const answer = await (await LocalApiClient.from(o, ctx)).get<{ configs: ConfigView[] }>('/config');
      if (o.json === true) return printJson(ctx, answer);
      printTable(ctx, ['NAMESPACE', 'NAME', 'VERSION', 'OWNER', 'DATA'], answer.configs.map((v) => [v.namespace, v.name, String(v.version), v.owner, dataState(v)]));
    });

  withLocalOptions(config.command('get'))
    .description('the latest verified config NS/NAME the running node keeps, and its data (GET /config/<ns>/<name>)')
    .argument('<namespace>', 'namespace')
    .argument('<name>', 'config name')
    .option('--json', 'print the config object as the local API gives it')
    .action(async (ns: string, name: string, o: LocalOptions & { json?: boolean }) => {
      if (!isConfigName(ns) || !isConfigName(name)) throw bad(`namespace and name must be ${NAME_RULE}`);
      const view = await (await LocalApiClient.from(o, ctx)).get<ConfigView>(`/config/${ns}/${name}`);
      if (o.json === true) return printJson(ctx, view);
      printFields(ctx, [
        ['namespace', view.namespace],
        ['name', view.name],
        ['version', String(view.version)],
        ['owner', view.owner],
        ['signed', timeText(view.iat * 1000)],
        ['data', view.readable ? JSON.stringify(view.data) : dataState(view)],
      ]);
    });
}

function dataState(v: ConfigView): string {
  if (!v.encrypted) return 'clear';
  return v.readable ? 'encrypted, readable here' : 'encrypted, not for this node';
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
