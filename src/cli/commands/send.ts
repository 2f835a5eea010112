import { InvalidArgumentError, type Command } from 'commander';
import type { SendResult } from '../../core/index.js';
import { PushmeshError, isPushmeshError } from '../../errors/index.js';
import { parseSendObject } from '../../local-api/send-object.js';
import type { CliContext } from '../context.js';
import { LocalApiClient, withLocalOptions, type LocalOptions } from '../local-api-client.js';
import { NodeAnswerError } from '../node-answer-error.js';
import { printJson } from '../output.js';

interface SendOptions extends LocalOptions {
  to?: string;
  topic: string;
  data?: string;
  base64?: boolean;
  ttl?: string;
  urgency?: string;
  replace?: string;
  via?: string[];
  receipt?: boolean;
  meta?: Record<string, string>;
  json?: boolean;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), ...value.split(',')];

function collectMeta(pair: string, previous: Record<string, string> | undefined): Record<string, string> {
  const eq = pair.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError('expected KEY=VALUE');
  const key = pair.slice(0, eq);
  const out = { ...(previous ?? {}) };
  if (Object.prototype.hasOwnProperty.call(out, key)) throw new InvalidArgumentError(`"${key}" given twice`);
  out[key] = pair.slice(eq + 1);
  return out;
}

/**
 * `pushmesh send --topic T [--to ID|VIP6] [--data JSON] …`: send through the
 * running node's local API (`POST /msgs`, one message: every option of
 * `POST /msg/<topic>` plus `meta`). Checked here as the node checks it
 * (usage errors exit 2); prints `{"id","status"}`.
 */
export function registerSend(program: Command, ctx: CliContext): void {
  withLocalOptions(program.command('send'))
    .description("send a message through the running node's local API; prints {\"id\",\"status\"}")
    .requiredOption('--topic <topic>', 'message topic')
    .option('--to <node>', "destination: node ID or VIP6 address (default: this node's own apps)")
    .option('--data <json>', 'payload: a JSON value (default null); text that is not JSON is sent as a JSON string')
    .option('--base64', '--data is base64: send those bytes')
    .option('--ttl <seconds>', 'seconds the message may wait for delivery (default 86400, or the node\'s maxTtl if lower)')
    .option('--urgency <u>', 'very-low|low|normal|high (default normal)')
    .option('--replace <key>', 'RFC 8030 Topic: replaces an undelivered message with the same key to the same destination')
    .option('--via <node>', 'jump host (node ID or VIP6), in order; repeat, or separate with commas', collect)
    .option('--receipt', 'ask the destination for a delivery receipt (see "pushmesh status")')
    .option('--meta <key=value>', 'a string to carry in the message\'s meta; repeat for more', collectMeta)
    .option('--json', 'the same {"id","status"} (every verb takes --json)')
    .action(async (o: SendOptions) => {
      const item = sendItem(o);
      const api = await LocalApiClient.from(o, ctx);
      const answer = await api.post<{ results: (SendResult | { error: { code: string; message: string } })[] }>('/msgs', JSON.stringify([item]), 'application/json');
      const result = answer.results[0];
      if (result === undefined) throw new PushmeshError('ERR_IO', `${api.base} answered POST /msgs without a result`);
      if ('error' in result) {
        const { code, message } = result.error;
        throw new NodeAnswerError(202, code, `node refused the message: ${message} (${code})`);
      }
      printJson(ctx, result);
    });
}

/** The `POST /msgs` item for the options, checked by the node's own parser (a bad value is a usage error, named by its option). */
function sendItem(o: SendOptions): Record<string, unknown> {
  let data: unknown = null;
  if (o.data !== undefined) {
    if (o.base64 === true) data = o.data;
    else {
      try {
        data = JSON.parse(o.data);
      } catch {
        data = o.data;
      }
    }
  } else if (o.base64 === true) throw new PushmeshError('ERR_BAD_ARGUMENT', '--base64 needs --data');
  const item: Record<string, unknown> = { topic: o.topic, data };
  if (o.base64 === true) item['encoding'] = 'base64';
  if (o.to !== undefined) item['to'] = o.to;
  if (o.ttl !== undefined) item['ttl'] = o.ttl;
  if (o.urgency !== undefined) item['urgency'] = o.urgency;
  if (o.replace !== undefined) item['replace'] = o.replace;
  if (o.via !== undefined) item['via'] = o.via.join(',');
  if (o.receipt === true) item['receipt'] = true;
  if (o.meta !== undefined) item['meta'] = o.meta;
  try {
    parseSendObject(item, { maxTtl: Number.MAX_SAFE_INTEGER });
  } catch (err) {
    if (isPushmeshError(err) && err.code === 'ERR_BAD_ARGUMENT') {
      throw new PushmeshError('ERR_BAD_ARGUMENT', err.message.replace(/^"(to|ttl|urgency|replace|via|topic|data)"/, (_m, f: string) => `--${f}`), { cause: err });
    }
    throw err;
  }
  return item;
}
