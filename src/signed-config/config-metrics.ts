import { Counter, Gauge, type Registry } from 'prom-client';
import { CONFIG_REFUSALS, type ConfigRefusal } from '../errors/config-refused-error.js';

/**
 * Prometheus metrics of signed configuration, on the node's registry.
 * `source` is `local` (POST /config), `mesh`, `store` (checked again at
 * start) or a channel's name: a handful of values, never per peer.
 */
export class ConfigMetrics {
  readonly accepted: Counter<'source'>;
  readonly duplicates: Counter<'source'>;
  readonly refused: Counter<'reason' | 'source'>;
  readonly publishErrors: Counter<'channel'>;
  readonly undecryptable: Counter;
  readonly kept: Gauge;

  constructor(registry: Registry, keptCount: () => number) {
    const registers = [registry];
    this.accepted = new Counter({ name: 'pushmesh_config_accepted_total', help: 'Signed configs accepted (new versions kept)', labelNames: ['source'], registers });
    this.duplicates = new Counter({ name: 'pushmesh_config_duplicates_total', help: 'Signed configs seen again (same version, same payload)', labelNames: ['source'], registers });
    this.refused = new Counter({ name: 'pushmesh_config_refused_total', help: 'Signed configs refused, by reason', labelNames: ['reason', 'source'], registers });
    this.publishErrors = new Counter({ name: 'pushmesh_config_publish_errors_total', help: 'Signed configs a channel (or the mesh) did not take', labelNames: ['channel'], registers });
    this.undecryptable = new Counter({ name: 'pushmesh_config_undecryptable_total', help: 'Encrypted configs listing this node that did not decrypt', registers });
    this.kept = new Gauge({
      name: 'pushmesh_config_kept',
      help: 'Configs kept (one per namespace and name)',
      registers,
      collect() {
        this.set(keptCount());
      },
    });
    for (const source of ['local', 'mesh']) {
      this.accepted.inc({ source }, 0);
      for (const reason of CONFIG_REFUSALS) this.refused.inc({ reason, source }, 0);
    }
  }

  refuse(reason: ConfigRefusal, source: string): void {
    this.refused.inc({ reason, source });
  }
}
