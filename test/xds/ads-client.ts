import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

/** A DiscoveryResponse as proto-loader decodes it (keepCase). */
export interface Response {
  version_info: string;
  resources: { type_url: string; value: Buffer }[];
  type_url: string;
  nonce: string;
}

const require = createRequire(import.meta.url);
const deps = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');

/** Envoy's ADS client stub, from the discovery protos @grpc/grpc-js-xds ships (independent of the node's loader). */
function adsClientConstructor(): grpc.ServiceClientConstructor {
  const def = protoLoader.loadSync('envoy/service/discovery/v3/ads.proto', {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
    includeDirs: ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => join(deps, d)),
  });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { envoy: { service: { discovery: { v3: { AggregatedDiscoveryService: grpc.ServiceClientConstructor } } } } };
  return pkg.envoy.service.discovery.v3.AggregatedDiscoveryService;
}

/** The responses of one duplex stream, taken one at a time by a test (`next`, bounded); a stream error fails the waiting `next`. */
class ResponseQueue<T> {
  readonly #queue: T[] = [];
  readonly #waiters: (() => void)[] = [];
  #error: Error | null = null;

  constructor(call: grpc.ClientDuplexStream<object, T>, readonly what: string) {
    call.on('data', (r: T) => {
      this.#queue.push(r);
      this.#waiters.splice(0).forEach((w) => w());
    });
    call.on('error', (err: Error) => {
      this.#error = err;
      this.#waiters.splice(0).forEach((w) => w());
    });
  }

  async next(ms: number): Promise<T> {
    const deadline = Date.now() + ms;
    while (this.#queue.length === 0) {
      if (this.#error) throw this.#error;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${this.what} within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.#queue.shift()!;
  }

  get pending(): number {
    return this.#queue.length;
  }
}

/**
 * One ADS stream to an xDS server, as a test drives it: `request` sends a
 * DiscoveryRequest, `next` waits for the next response (bounded).
 */
export class AdsTestClient {
  readonly #client: grpc.Client;
  readonly #call: grpc.ClientDuplexStream<object, Response>;
  readonly #responses: ResponseQueue<Response>;

  constructor(address: string, readonly nodeId = 'test-client', credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(), options: grpc.ChannelOptions = {}) {
    const Ctor = adsClientConstructor();
    this.#client = new Ctor(address, credentials, options);
    this.#call = (this.#client as unknown as { StreamAggregatedResources(): grpc.ClientDuplexStream<object, Response> }).StreamAggregatedResources();
    this.#responses = new ResponseQueue(this.#call, 'DiscoveryResponse');
  }

  request(typeUrl: string, names: string[], ack?: { version: string; nonce: string; nack?: string }): void {
    this.#call.write({
      node: { id: this.nodeId },
      type_url: typeUrl,
      resource_names: names,
      version_info: ack?.version ?? '',
      response_nonce: ack?.nonce ?? '',
      ...(ack?.nack !== undefined ? { error_detail: { code: 3, message: ack.nack } } : {}),
    });
  }

  /** ACKs a response (its version and nonce), keeping the subscription `names`. */
  ack(res: Response, names: string[]): void {
    this.request(res.type_url, names, { version: res.version_info, nonce: res.nonce });
  }

  /** NACKs a response: the version stays `keep`. */
  nack(res: Response, names: string[], keep: string, why: string): void {
    this.request(res.type_url, names, { version: keep, nonce: res.nonce, nack: why });
  }

  next(ms = 10_000): Promise<Response> {
    return this.#responses.next(ms);
  }

  /** Responses received and not yet taken. */
  get pending(): number {
    return this.#responses.pending;
  }

  close(): void {
    this.#call.cancel();
    this.#client.close();
  }
}

/** A DeltaDiscoveryResponse as proto-loader decodes it (keepCase). */
export interface DeltaResponse {
  system_version_info: string;
  resources: { name: string; version: string; resource: { type_url: string; value: Buffer } }[];
  type_url: string;
  removed_resources: string[];
  nonce: string;
}

/** One incremental ADS stream (DeltaAggregatedResources), as a test drives it. */
export class DeltaAdsTestClient {
  readonly #client: grpc.Client;
  readonly #call: grpc.ClientDuplexStream<object, DeltaResponse>;
  readonly #responses: ResponseQueue<DeltaResponse>;

  constructor(address: string, readonly nodeId = 'delta-client') {
    const Ctor = adsClientConstructor();
    this.#client = new Ctor(address, grpc.credentials.createInsecure());
    this.#call = (this.#client as unknown as { DeltaAggregatedResources(): grpc.ClientDuplexStream<object, DeltaResponse> }).DeltaAggregatedResources();
    this.#responses = new ResponseQueue(this.#call, 'DeltaDiscoveryResponse');
  }

  request(typeUrl: string, r: { subscribe?: string[]; unsubscribe?: string[]; initial?: Record<string, string>; nonce?: string; nack?: string } = {}): void {
    this.#call.write({
      node: { id: this.nodeId },
      type_url: typeUrl,
      resource_names_subscribe: r.subscribe ?? [],
      resource_names_unsubscribe: r.unsubscribe ?? [],
      initial_resource_versions: r.initial ?? {},
      response_nonce: r.nonce ?? '',
      ...(r.nack !== undefined ? { error_detail: { code: 3, message: r.nack } } : {}),
    });
  }

  /** ACKs a response. */
  ack(res: DeltaResponse): void {
    this.request(res.type_url, { nonce: res.nonce });
  }

  next(ms = 10_000): Promise<DeltaResponse> {
    return this.#responses.next(ms);
  }

  get pending(): number {
    return this.#responses.pending;
  }

  close(): void {
    this.#call.cancel();
    this.#client.close();
  }
}
