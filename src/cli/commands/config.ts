import type { Command } from 'commander';
import { PushmeshError } from '../../errors/index.js';
import { CONFIG_MEDIA_TYPE, isConfigName, NAME_RULE } from '../../signed-config/names.js';
import type { ConfigView } from '../../signed-config/types.js';
import type { CliContext } from '../context.js';
import { withHomeOption } from '../home-option.js';
import { LocalApiClient, withLocalOptions, type LocalOptions } from '../local-api-client.js';
import { printFields, printJson, printTable, timeText } from '../output.js';
import { readInput } from '../read-input.js';
import type { SignOptions, VerifyOptions } from './config-offline.js';

interface PublishOptions extends LocalOptions {
  home?: string;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];
const bad = (message: string): PushmeshError => new PushmeshError('ERR_BAD_ARGUMENT', message);

/**
 * `pushmesh config sign|verify|publish`: signed configuration
 * (docs/signed-config.md). Signing and checking offline (signed config,
 * identity, YAML, xDS checks) are loaded when those verbs run.
 */
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
    .action(async (file: string, o: SignOptions) => (await import('./config-offline.js')).signConfigFile(file, o, ctx));

  withHomeOption(config.command('verify'))
    .description('check a signed config (file, or - for stdin); prints its payload, exits 0 only when the signature is good')
    .argument('<signed-file>', 'the signed config (compact JWS)')
    .option('--owner <id>', 'also require this signer (node ID or base64url public key)')
    .option('--decrypt', "open encrypted data with this node's key (--home)")
    .action(async (file: string, o: VerifyOptions) => (await import('./config-offline.js')).verifyConfigFile(file, o, ctx));

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
