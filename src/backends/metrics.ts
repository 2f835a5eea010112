import { Counter, type Registry } from 'prom-client';

export type EventDirection = 'in' | 'out';
/** in: accepted | duplicate | ignored | refused | retry; out: published | retry | failed | dropped | unmapped */
export type EventResult = string;

/**
 * Counters of events crossing backends, on the node's registry. Several
 * users (the bridge, the POST /ce route) share one counter per registry.
 */
export class BackendMetrics {
  readonly events: Counter<'backend' | 'direction' | 'result'>;

  constructor(registry: Registry) {
    const name = 'pushmesh_backend_events_total';
    const existing = registry.getSingleMetric(name) as Counter<'backend' | 'direction' | 'result'> | undefined;
    this.events =
      existing ??
      new Counter({
        name,
        help: 'CloudEvents to and from backends, by backend, direction and result',
        labelNames: ['backend', 'direction', 'result'],
        registers: [registry],
      });
  }

  count(backend: string, direction: EventDirection, result: EventResult): void {
    this.events.inc({ backend, direction, result });
  }
}
