import type { Command } from 'commander';
import { pino } from 'pino';
import { layerFromEnv, layerFromFile, resolveConfig, type ConfigLayer } from '../../config/index.js';
import { PushmeshError } from '../../errors/index.js';
import { parsePeerUrl } from '../../links/peer-url.js';
import { PushmeshNode } from '../../node/pushmesh-node.js';
import type { CliContext } from '../context.js';
import { homeFrom, withHomeOption } from '../home-option.js';

interface RunOptions {
  home?: string;
  config?: string;
  local?: string;
  https?: string;
  grpc?: string;
  advertise?: string;
  peer?: string[];
  trustCa?: string;
  nats?: string[];
  pubsub?: string;
  trust?: string[];
  logLevel?: string;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** `pushmesh run`: run the node until SIGTERM/SIGINT, then drain and exit 0. */
export function registerRun(program: Command, ctx: CliContext): void {
  withHomeOption(program.command('run'))
    .description('run the node (local API, HTTPS Web Push and peer WebSocket, gRPC ADS peer links, outbox)')
    .option('--config <file>', 'YAML config file (default: $PUSHMESH_CONFIG)')
    .option('--local <host:port>', 'local API address (default 127.0.0.1:15004)')
    .option('--https <host:port|off>', 'HTTPS address: Web Push and peer WebSocket (default 0.0.0.0:15443)')
    .option('--grpc <host:port|off>', 'gRPC ADS address (default 0.0.0.0:15007)')
    .option('--advertise <url>', "origin put in the card's endpoint")
    .option('--peer <url>', 'peer to dial: grpcs://[ID@]HOST:PORT or wss://[ID@]HOST:PORT/ws (repeatable)', collect)
    .option('--trust-ca <file>', 'PEM file of a CA whose certificates peer links accept as well')
    .option('--nats <url>', 'NATS server (repeatable)', collect)
    .option('--pubsub <project>', 'Google Pub/Sub project')
    .option('--trust <ns=id>', 'node ID allowed to sign config namespace NS (repeatable)', collect)
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (default info)')
    .action(async (options: RunOptions) => {
      const home = homeFrom(options, ctx);
      const flags = flagLayer(options);
      const file = options.config ?? ctx.env['PUSHMESH_CONFIG'];
      const layers = [flags, layerFromEnv(ctx.env)];
      if (file) layers.push(await layerFromFile(file));
      const config = resolveConfig(home, layers);
      for (const url of config.peers) parsePeerUrl(url); // a bad peer URL is refused before anything opens
      for (const [what, given] of [
        ['NATS (--nats)', config.nats.length > 0],
        ['Pub/Sub (--pubsub)', config.pubsub !== null],
      ] as const) {
        if (given) throw new PushmeshError('ERR_UNSUPPORTED', `${what} are not available in this version of pushmesh yet`);
      }
      const logger = pino({ name: 'pushmesh', level: config.logLevel });
      const node = await PushmeshNode.start(config, logger);
      await untilSignal(async (signal, count) => {
        if (count === 1) {
          logger.info({ signal }, 'draining: finishing in-flight work (signal again to stop now)');
          await node.drain();
        } else {
          await node.close();
        }
      });
    });
}

function flagLayer(o: RunOptions): ConfigLayer {
  const l: ConfigLayer = {};
  if (o.local !== undefined) l.local = o.local;
  if (o.https !== undefined) l.https = o.https;
  if (o.grpc !== undefined) l.grpc = o.grpc;
  if (o.advertise !== undefined) l.advertise = o.advertise;
  if (o.peer !== undefined) l.peers = o.peer;
  if (o.trustCa !== undefined) l.trustCa = o.trustCa;
  if (o.nats !== undefined) l.nats = o.nats;
  if (o.pubsub !== undefined) l.pubsub = o.pubsub;
  if (o.trust !== undefined) l.trust = o.trust;
  if (o.logLevel !== undefined) l.logLevel = o.logLevel;
  return l;
}

/** Resolves once the shutdown handler has finished after SIGTERM/SIGINT. */
function untilSignal(onSignal: (signal: NodeJS.Signals, count: number) => Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    let count = 0;
    const handler = (signal: NodeJS.Signals): void => {
      count++;
      onSignal(signal, count).then(
        () => {
          process.off('SIGTERM', handler);
          process.off('SIGINT', handler);
          resolve();
        },
        reject,
      );
    };
    process.on('SIGTERM', handler);
    process.on('SIGINT', handler);
  });
}
