import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { Server, ServerCredentials, type MethodDefinition, type ServerDuplexStream, type ServiceDefinition } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type protobuf from 'protobufjs';
import type { HostPort, XdsTlsConfig } from '../config/types.js';
import { PushmeshError } from '../errors/index.js';
import type { SignedConfigApi } from '../signed-config/types.js';
import { AdsStream, type DiscoveryRequest, type DiscoveryResponse } from './ads-stream.js';
import { DeltaAdsStream, type DeltaDiscoveryRequest, type DeltaDiscoveryResponse } from './delta-stream.js';
import { envoyRoot } from './envoy-protos.js';
import { XdsSnapshotBuilder, type XdsSnapshot } from './snapshot.js';
import { XdsMetrics } from './xds-metrics.js';

export interface XdsServerOptions {
  listen: HostPort;
  /** Namespace of the signed configs whose resources are served. */
  namespace: string;
  signedConfig: Pick<SignedConfigApi, 'list' | 'onUpdate'>;
  registry: Registry;
  logger: Logger;
  /** Names this control plane in responses (`control_plane.identifier`). */
  identifier: string;
  /** TLS, or mTLS with a client CA (docs/xds.md "TLS"); null or absent: plaintext. */
  tls?: XdsTlsConfig | null;
}

const ADS_PATH = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';
const DELTA_PATH = '/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources';

/** An open client stream of either protocol variant: the server pushes each new snapshot to it. */
interface ClientStream {
  update(snapshot: XdsSnapshot): void;
}

type AnyCall = ServerDuplexStream<DiscoveryRequest, DiscoveryResponse> | ServerDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;

/** A drain waits this long for clients to end their streams before cutting them. */
const DRAIN_MS = 2_000;

/**
 * The node's xDS server (docs/xds.md): Envoy's Aggregated Discovery
 * Service, state of the world, on its own gRPC server and port (not the
 * peer-link ADS of src/transport/grpc), serving the resources of the
 * signed configs of one namespace to gRPC and Envoy clients.
 */
export class XdsServer {
  /** Its name among the parts of a node (docs/node.md "Parts of a node"). */
  readonly name = 'xds server';
  readonly #opts: XdsServerOptions;
  readonly #log: Logger;
  readonly #streams = new Map<AnyCall, ClientStream>();
  #metrics: XdsMetrics | undefined;
  #builder: XdsSnapshotBuilder;
  #snapshot: XdsSnapshot | undefined;
  #server: Server | undefined;
  #unsubscribe: (() => void) | undefined;
  #address: HostPort | null = null;

  constructor(opts: XdsServerOptions) {
    this.#opts = opts;
    this.#log = opts.logger;
    this.#builder = new XdsSnapshotBuilder(opts.namespace, opts.logger);
  }

  /** Where it listens (the port actually bound); null before start. */
  get address(): HostPort | null {
    return this.#address;
  }

  /** The snapshot served now. */
  get snapshot(): XdsSnapshot | undefined {
    return this.#snapshot;
  }

  async start(): Promise<void> {
    const credentials = this.#opts.tls ? await tlsCredentials(this.#opts.tls) : ServerCredentials.createInsecure();
    const root = envoyRoot();
    const metrics = (this.#metrics = new XdsMetrics(this.#opts.registry));
    this.#snapshot = this.#build();
    this.#unsubscribe = this.#opts.signedConfig.onUpdate((view) => {
      if (view.namespace === this.#opts.namespace) this.refresh();
    });
    const server = (this.#server = new Server());
    server.addService(adsService(root), {
      StreamAggregatedResources: (call: ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>) => this.#stream(call, metrics),
      DeltaAggregatedResources: (call: ServerDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>) => this.#deltaStream(call, metrics),
    });
    const { host, port } = this.#opts.listen;
    const target = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    let bound: number;
    try {
      bound = await new Promise<number>((resolve, reject) => {
        server.bindAsync(target, credentials, (err, p) => (err ? reject(new PushmeshError('ERR_LISTEN', `xDS server cannot listen on ${target}: ${err.message}`, { cause: err })) : resolve(p)));
      });
    } catch (err) {
      this.close();
      throw err;
    }
    this.#address = { host, port: bound };
    this.#log.info({ xds: `${target.replace(/:\d+$/, '')}:${bound}`, namespace: this.#opts.namespace, tls: tlsMode(this.#opts.tls), version: this.#snapshot.version, configs: this.#snapshot.configs.size }, 'xds server listening');
  }

  #build(): XdsSnapshot {
    return this.#builder.build(this.#opts.signedConfig.list(), () => this.#metrics?.refusedConfigs.inc());
  }

  /**
   * Builds the snapshot again from the kept configs and pushes what
   * changed. Called on every config update of the namespace; call it also
   * after the signed-config trust list changed (a reload), which can
   * forget kept configs without an update event.
   */
  refresh(): void {
    if (!this.#server) return;
    const before = this.#snapshot?.version;
    const snapshot = (this.#snapshot = this.#build());
    if (snapshot.version === before) return;
    this.#log.info({ version: snapshot.version, configs: Object.fromEntries(snapshot.configs), clients: this.#streams.size }, 'xds snapshot changed');
    for (const s of this.#streams.values()) s.update(snapshot);
  }

  #stream(call: ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>, metrics: XdsMetrics): void {
    const stream = new AdsStream(this.#snapshot!, {
      send: (res) => {
        metrics.response(res.type_url);
        call.write({ ...res, control_plane: { identifier: this.#opts.identifier } } as DiscoveryResponse);
        this.#log.debug({ client: stream.node, type: res.type_url, version: res.version_info, nonce: res.nonce, resources: res.resources.length }, 'xds response sent');
      },
      acked: (t) => metrics.ack(t),
      nacked: (t) => metrics.nack(t),
    }, this.#log);
    call.on('data', (req: DiscoveryRequest) => stream.onRequest(req));
    this.#track(call, stream, metrics);
  }

  #deltaStream(call: ServerDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>, metrics: XdsMetrics): void {
    const stream = new DeltaAdsStream(this.#snapshot!, {
      send: (res) => {
        metrics.response(res.type_url);
        call.write({ ...res, control_plane: { identifier: this.#opts.identifier } } as DeltaDiscoveryResponse);
        this.#log.debug({ client: stream.node, delta: true, type: res.type_url, version: res.system_version_info, nonce: res.nonce, resources: res.resources.length, removed: res.removed_resources.length }, 'xds response sent');
      },
      acked: (t) => metrics.ack(t),
      nacked: (t) => metrics.nack(t),
    }, this.#log);
    call.on('data', (req: DeltaDiscoveryRequest) => stream.onRequest(req));
    this.#track(call, stream, metrics);
  }

  /** Counts a client stream and pushes snapshots to it until it ends. */
  #track(call: AnyCall, stream: ClientStream, metrics: XdsMetrics): void {
    this.#streams.set(call, stream);
    metrics.streams.inc();
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      this.#streams.delete(call);
      metrics.streams.dec();
    };
    call.on('end', () => {
      end();
      call.end();
    });
    call.on('error', end);
    call.on('cancelled', end);
    call.on('close', end);
  }

  /** Ends the clients' streams and waits (bounded) for the server to stop. */
  async drain(): Promise<void> {
    const server = this.#server;
    if (!server) return this.close();
    this.#unsubscribe?.();
    for (const call of this.#streams.keys()) call.end();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, DRAIN_MS);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.close();
  }

  close(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#server?.forceShutdown();
    this.#server = undefined;
    this.#streams.clear();
  }
}

/** How the server is reached: `plaintext`, `tls` or `mtls` (client certificates required). */
export function tlsMode(tls: XdsTlsConfig | null | undefined): 'plaintext' | 'tls' | 'mtls' {
  if (!tls) return 'plaintext';
  return tls.clientCaFile ? 'mtls' : 'tls';
}

async function readPem(what: string, path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as { code?: string }).code ?? (err as Error).message;
    throw new PushmeshError('ERR_CONFIG', `xds.tls: cannot read the ${what} file ${path} (${code})`, { cause: err });
  }
}

/**
 * The server credentials of `tls`: its certificate and key (checked to be
 * PEM and to belong together), and with a client CA, client certificates
 * required and verified against it. Any problem is ERR_CONFIG naming the
 * file, so a node refuses to start rather than serve without them.
 */
async function tlsCredentials(tls: XdsTlsConfig): Promise<ServerCredentials> {
  const [cert, key, ca] = await Promise.all([
    readPem('certificate', tls.certFile),
    readPem('private key', tls.keyFile),
    tls.clientCaFile ? readPem('client CA', tls.clientCaFile) : Promise.resolve(null),
  ]);
  const check = (what: string, path: string, fn: () => unknown): void => {
    try {
      fn();
    } catch (err) {
      throw new PushmeshError('ERR_CONFIG', `xds.tls: the ${what} file ${path} is not usable: ${(err as Error).message}`, { cause: err });
    }
  };
  check('certificate', tls.certFile, () => new X509Certificate(cert));
  check('private key', tls.keyFile, () => createPrivateKey(key));
  if (ca) check('client CA', tls.clientCaFile!, () => new X509Certificate(ca));
  check('certificate and key', `${tls.certFile} / ${tls.keyFile}`, () => createSecureContext({ cert, key, ...(ca ? { ca } : {}) }));
  return ServerCredentials.createSsl(ca, [{ cert_chain: cert, private_key: key }], ca !== null);
}

/** The ADS service for grpc-js, its messages encoded and decoded with Envoy's own definitions. */
function adsService(root: protobuf.Root): ServiceDefinition {
  const Req = root.lookupType('envoy.service.discovery.v3.DiscoveryRequest');
  const Res = root.lookupType('envoy.service.discovery.v3.DiscoveryResponse');
  const method: MethodDefinition<DiscoveryRequest, DiscoveryResponse> = {
    path: ADS_PATH,
    requestStream: true,
    responseStream: true,
    requestSerialize: (m) => Buffer.from(Req.encode(Req.fromObject(m as object)).finish()),
    requestDeserialize: (b) => Req.toObject(Req.decode(b), { defaults: false, arrays: true }) as DiscoveryRequest,
    responseSerialize: (m) => Buffer.from(Res.encode(Res.fromObject(m as object)).finish()),
    responseDeserialize: (b) => Res.toObject(Res.decode(b), { arrays: true }) as DiscoveryResponse,
  };
  const DReq = root.lookupType('envoy.service.discovery.v3.DeltaDiscoveryRequest');
  const DRes = root.lookupType('envoy.service.discovery.v3.DeltaDiscoveryResponse');
  const delta: MethodDefinition<DeltaDiscoveryRequest, DeltaDiscoveryResponse> = {
    path: DELTA_PATH,
    requestStream: true,
    responseStream: true,
    requestSerialize: (m) => Buffer.from(DReq.encode(DReq.fromObject(m as object)).finish()),
    requestDeserialize: (b) => DReq.toObject(DReq.decode(b), { defaults: false, arrays: true, objects: true }) as DeltaDiscoveryRequest,
    responseSerialize: (m) => Buffer.from(DRes.encode(DRes.fromObject(m as object)).finish()),
    responseDeserialize: (b) => DRes.toObject(DRes.decode(b), { arrays: true }) as DeltaDiscoveryResponse,
  };
  return { StreamAggregatedResources: method, DeltaAggregatedResources: delta };
}
