import { Counter, Gauge, type Registry } from 'prom-client';
import { XDS_TYPE_URLS } from './envoy-protos.js';

const short = (typeUrl: string): string => typeUrl.slice(typeUrl.lastIndexOf('.') + 1);

/** Prometheus metrics of the xDS server, on the node's registry; `type` is Listener, RouteConfiguration, Cluster or ClusterLoadAssignment. */
export class XdsMetrics {
  readonly #responses: Counter<'type'>;
  readonly #acks: Counter<'type'>;
  readonly #nacks: Counter<'type'>;
  readonly refusedConfigs: Counter;
  readonly streams: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.#responses = new Counter({ name: 'pushmesh_xds_responses_total', help: 'xDS DiscoveryResponses sent, by resource type', labelNames: ['type'], registers });
    this.#acks = new Counter({ name: 'pushmesh_xds_acks_total', help: 'xDS responses clients accepted (ACK), by resource type', labelNames: ['type'], registers });
    this.#nacks = new Counter({ name: 'pushmesh_xds_nacks_total', help: 'xDS responses clients rejected (NACK), by resource type', labelNames: ['type'], registers });
    this.refusedConfigs = new Counter({ name: 'pushmesh_xds_configs_refused_total', help: 'Signed configs of the xds namespace whose resources were refused (never served)', registers });
    this.streams = new Gauge({ name: 'pushmesh_xds_streams', help: 'Open xDS client streams', registers });
    for (const t of XDS_TYPE_URLS) for (const c of [this.#responses, this.#acks, this.#nacks]) c.inc({ type: short(t) }, 0);
  }

  response(typeUrl: string): void {
    this.#responses.inc({ type: short(typeUrl) });
  }

  ack(typeUrl: string): void {
    this.#acks.inc({ type: short(typeUrl) });
  }

  nack(typeUrl: string): void {
    this.#nacks.inc({ type: short(typeUrl) });
  }
}
