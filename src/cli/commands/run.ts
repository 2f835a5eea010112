import type { Command } from 'commander';
import type { Logger } from 'pino';
import type { ConfigLayer, NodeConfig } from '../../config/index.js';
import type { PushmeshNode } from '../../node/pushmesh-node.js';
import type { CliContext } from '../context.js';
import { homeFrom, withHomeOption } from '../home-option.js';

interface RunOptions {
  home?: string;
  config?: string;
  local?: string;
  https?: string;
  browserDemo?: boolean;
  grpc?: string;
  xds?: string;
  advertise?: string;
  peer?: string[];
  trustCa?: string;
  cert?: string;
  vapidSubject?: string;
  nats?: string[];
  pubsub?: string;
  trust?: string[];
  service?: string;
  serviceAllow?: string[];
  bridge?: string[];
  logLevel?: string;
  acceptStoreLoss?: boolean;
}

/** Longest a drain on SIGTERM/SIGINT may take before the node stops at once. */
const DRAIN_LIMIT_MS = 20_000;
/** Longest a stop at once (after a drain that took too long, or a second signal) may take. */
const CLOSE_LIMIT_MS = 5_000;

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/**
 * `pushmesh run`: run the node until SIGTERM/SIGINT, then drain and exit 0;
 * SIGHUP reloads the settings (docs/node.md "Reload").
 */
export function registerRun(program: Command, ctx: CliContext): void {
  withHomeOption(program.command('run'))
    .description('run the node (local API, HTTPS Web Push and peer WebSocket, gRPC ADS peer links, outbox, backends)')
    .option('--config <file>', 'YAML config file (default: $PUSHMESH_CONFIG)')
    .option('--local <host:port>', 'local API address (default 127.0.0.1:15004)')
    .option('--https <host:port|off>', 'HTTPS address: Web Push and peer WebSocket (default 0.0.0.0:15443)')
    .option('--browser-demo', 'serve the browser demo page and the pushmesh/browser bundle on the HTTPS port under /browser/ (default off; docs/browser.md)')
    .option('--grpc <host:port|off>', 'gRPC ADS address (default 0.0.0.0:15007)')
    .option('--xds <host:port>', 'serve xDS (Envoy ADS) to local gRPC/Envoy clients from signed configs of namespace xds (plaintext on loopback; any other address needs xds.tls in the config file; default off; docs/xds.md)')
    .option('--advertise <url>', "origin put in the card's endpoint")
    .option('--peer <url>', 'peer to dial: grpcs://[ID@]HOST:PORT or wss://[ID@]HOST:PORT/ws (repeatable); URL|URL|… = alternatives, one link kept up (failover)', collect)
    .option('--trust-ca <file>', 'PEM file of a CA whose certificates peer links accept as well')
    .option('--cert <file>', "the node's certificate, issued by a CA for its key, instead of cert.pem (checked, never written)")
    .option('--vapid-subject <uri>', 'VAPID sub claim: mailto:ADDRESS or an https:// URL (default https://pushmesh.invalid/node/<id>)')
    .option('--nats <url>', 'NATS server (repeatable)', collect)
    .option('--pubsub <project>', 'Google Pub/Sub project')
    .option('--bridge <rule>', 'export topics to a backend: TOPICS=TARGET[,plaintext|encrypted][,recipient=ID] (repeatable; docs/backends.md)', collect)
    .option('--trust <ns=id>', 'node ID allowed to sign config namespace NS (repeatable)', collect)
    .option('--service <url>', 'local HTTP service that allow-listed nodes may call over the mesh (/req/<id>/…)')
    .option('--service-allow <id>', 'node ID allowed to call --service (repeatable)', collect)
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (default info)')
    .option('--accept-store-loss', 'start even if the store is damaged or emptied: move it aside and start empty (docs/node.md "A damaged store"); also PUSHMESH_ACCEPT_STORE_LOSS=1')
    .action(async (options: RunOptions) => {
      // The node and its backends are loaded only now: every other verb starts without them (docs/benchmarks.md "CLI start").
      const [{ layerFromEnv, layerFromFile, parseBridgeSpec, resolveConfig }, { reloadableLogger }, { notifySystemd }, { startNode }] = await Promise.all([
        import('../../config/index.js'),
        import('../../node/log-level.js'),
        import('../../node/sd-notify.js'),
        import('../../node/start-node.js'),
      ]);
      const home = homeFrom(options, ctx);
      const file = options.config ?? ctx.env['PUSHMESH_CONFIG'];
      // Read again on SIGHUP: the same flags and environment, the file as it is now.
      const configure = async (): Promise<NodeConfig> => {
        const layers = [flagLayer(options, parseBridgeSpec), layerFromEnv(ctx.env)];
        if (file) layers.push(await layerFromFile(file));
        const config = resolveConfig(home, layers);
        if (options.acceptStoreLoss === true || ctx.env['PUSHMESH_ACCEPT_STORE_LOSS'] === '1') config.acceptStoreLoss = true;
        return config;
      };
      const config = await configure();
      const logger = reloadableLogger(config.logLevel, { name: 'pushmesh' });
      logger.debug({ config }, 'configuration'); // addresses, limits, trust: nothing secret
      // SIGHUP from now on: before the node runs, the reload waits for the start; while it stops, it is ignored.
      let node: PushmeshNode | null = null;
      let stopping = false;
      let hupWhileStarting = false;
      const reload = (): void => {
        if (stopping) return void logger.info({ signal: 'SIGHUP' }, 'reload ignored: the node is stopping');
        if (!node) return void (hupWhileStarting = true);
        logger.info({ signal: 'SIGHUP', file: file ?? null }, 'reloading the settings');
        void node.reload(configure); // logged and counted by the node; never rejects
      };
      process.on('SIGHUP', reload);
      try {
        node = await startNode(config, { logger }); // backends and fabric too; says 'pushmesh node running' once all are up
        if (hupWhileStarting) reload();
        void notifySystemd({ READY: '1', STATUS: 'running' }, ctx.env, logger); // a Type=notify unit (NOTIFY_SOCKET set)
        await untilSignal(async (signal, count) => {
          if (!stopping) void notifySystemd({ STOPPING: '1' }, ctx.env, logger);
          stopping = true;
          await stop(node!, logger, signal, count);
        });
      } finally {
        process.off('SIGHUP', reload);
      }
    });
}

/**
 * The first SIGTERM/SIGINT drains (at most DRAIN_LIMIT_MS, then stops at
 * once); a second one stops at once. Stopping at once is bounded too
 * (CLOSE_LIMIT_MS): a part that never finishes closing (a backend client
 * waiting on a server that does not answer) cannot keep the process alive.
 */
async function stop(node: PushmeshNode, logger: Logger, signal: NodeJS.Signals, count: number): Promise<void> {
  if (count > 1) {
    logger.info({ signal }, 'stopping now');
    await bounded(node.close(), CLOSE_LIMIT_MS, () => logger.warn({ afterMs: CLOSE_LIMIT_MS }, 'close is taking too long; exiting anyway'));
    return;
  }
  logger.info({ signal }, 'draining: finishing in-flight work (signal again to stop now)');
  const drain = node.drain().then(
    () => true,
    (err: unknown) => {
      logger.error({ err }, 'drain failed; stopping now');
      return false;
    },
  );
  const drained = await bounded(drain, DRAIN_LIMIT_MS, () => logger.warn({ afterMs: DRAIN_LIMIT_MS }, 'drain is taking too long; stopping now'));
  if (drained !== true) {
    await bounded(node.close(), CLOSE_LIMIT_MS, () => logger.warn({ afterMs: CLOSE_LIMIT_MS }, 'close is taking too long; exiting anyway'));
  }
}

/** `work`'s result, or undefined once `ms` have passed (then `onLate` runs); never rejects. */
async function bounded<T>(work: Promise<T>, ms: number, onLate: () => void): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => {
      onLate();
      resolve(undefined);
    }, ms);
  });
  try {
    return await Promise.race([work.catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}

function flagLayer(o: RunOptions, parseBridgeSpec: (spec: string) => NonNullable<ConfigLayer['bridges']>[number]): ConfigLayer {
  const l: ConfigLayer = {};
  if (o.local !== undefined) l.local = o.local;
  if (o.https !== undefined) l.https = o.https;
  if (o.browserDemo === true) l.browserDemo = true;
  if (o.grpc !== undefined) l.grpc = o.grpc;
  if (o.xds !== undefined) l.xds = { listen: o.xds };
  if (o.advertise !== undefined) l.advertise = o.advertise;
  if (o.peer !== undefined) l.peers = o.peer;
  if (o.trustCa !== undefined) l.trustCa = o.trustCa;
  if (o.cert !== undefined) l.certFile = o.cert;
  if (o.vapidSubject !== undefined) l.vapidSubject = o.vapidSubject;
  if (o.nats !== undefined) l.nats = o.nats;
  if (o.pubsub !== undefined) l.pubsub = o.pubsub;
  if (o.trust !== undefined) l.trust = o.trust;
  if (o.bridge !== undefined) l.bridges = o.bridge.map(parseBridgeSpec);
  if (o.logLevel !== undefined) l.logLevel = o.logLevel;
  if (o.service !== undefined || o.serviceAllow !== undefined) {
    l.service = { ...(o.service !== undefined ? { target: o.service } : {}), ...(o.serviceAllow !== undefined ? { allow: o.serviceAllow } : {}) };
  }
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
