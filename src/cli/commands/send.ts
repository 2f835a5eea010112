import type { Command } from 'commander';
import { formatHostPort, parseHostPort, DEFAULT_LOCAL_PORT } from '../../config/index.js';
import { PushmeshError } from '../../errors/index.js';
import type { CliContext } from '../context.js';
import { withHomeOption } from '../home-option.js';

interface SendOptions {
  home?: string;
  to?: string;
  topic: string;
  data?: string;
  ttl?: string;
  urgency?: string;
  replace?: string;
  local?: string;
}

/** `pushmesh send --to ID --topic T [--data JSON]`: send through the running node's local API. */
export function registerSend(program: Command, ctx: CliContext): void {
  withHomeOption(program.command('send'))
    .description("send a message through the running node's local API")
    .option('--to <id>', 'destination node ID (default: this node\'s own apps)')
    .requiredOption('--topic <topic>', 'message topic')
    .option('--data <json>', 'JSON payload (default null); text that is not JSON is sent as text')
    .option('--ttl <seconds>', 'time to live')
    .option('--urgency <u>', 'very-low|low|normal|high')
    .option('--replace <key>', 'RFC 8030 Topic: replaces an undelivered message with the same key')
    .option('--local <host:port>', `the node's local API (default $PUSHMESH_LOCAL or 127.0.0.1:${DEFAULT_LOCAL_PORT})`)
    .action(async (o: SendOptions) => {
      const hp = parseHostPort(o.local ?? ctx.env['PUSHMESH_LOCAL'] ?? `127.0.0.1:${DEFAULT_LOCAL_PORT}`, '127.0.0.1', 'local API address');
      if (!hp) throw new PushmeshError('ERR_BAD_ARGUMENT', 'the local API address cannot be "off"');
      const q = new URLSearchParams();
      for (const [k, v] of [['to', o.to], ['ttl', o.ttl], ['urgency', o.urgency], ['replace', o.replace]] as const) if (v !== undefined) q.set(k, v);
      let body = o.data ?? 'null';
      let type = 'application/json';
      try {
        JSON.parse(body);
      } catch {
        type = 'text/plain; charset=utf-8';
        body = o.data!;
      }
      const url = `http://${formatHostPort(hp)}/msg/${encodeURIComponent(o.topic)}${q.size ? `?${q}` : ''}`;
      let res: Response;
      try {
        res = await ctx.fetch(url, { method: 'POST', headers: { 'content-type': type }, body, signal: AbortSignal.timeout(15_000) });
      } catch (err) {
        throw new PushmeshError('ERR_UNAVAILABLE', `no node answering at ${formatHostPort(hp)} (is "pushmesh run" running?)`, { cause: err });
      }
      const text = await res.text();
      if (!res.ok) {
        let reason = text;
        try {
          reason = (JSON.parse(text) as { error: { message: string } }).error.message;
        } catch {
          /* keep the raw text */
        }
        throw new PushmeshError(res.status === 400 || res.status === 415 ? 'ERR_BAD_ARGUMENT' : 'ERR_UNAVAILABLE', `node refused the message (HTTP ${res.status}): ${reason}`);
      }
      ctx.stdout.write(text.trim() + '\n');
    });
}
