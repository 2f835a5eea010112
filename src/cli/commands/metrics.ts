import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { LocalApiClient, withLocalOptions, type LocalOptions } from '../local-api-client.js';
import { printJson } from '../output.js';
import { parsePrometheusText } from '../prometheus-text.js';

interface MetricsOptions extends LocalOptions {
  json?: boolean;
}

/**
 * `pushmesh metrics [PREFIX] [--json]`: the running node's GET /metrics
 * (Prometheus text), only the metrics whose name starts with PREFIX.
 */
export function registerMetrics(program: Command, ctx: CliContext): void {
  withLocalOptions(program.command('metrics'))
    .description("the running node's Prometheus metrics (GET /metrics), or those whose name starts with PREFIX")
    .argument('[prefix]', 'only metrics whose name starts with this (e.g. pushmesh_messages)')
    .option('--json', 'print {"metrics":[{"name","labels","value"}]} (NaN and ±Inf as strings)')
    .action(async (prefix: string | undefined, o: MetricsOptions) => {
      const api = await LocalApiClient.from(o, ctx);
      const text = await (await api.request('/metrics', { headers: { accept: 'text/plain' } })).text();
      const wanted = (name: string): boolean => prefix === undefined || name.startsWith(prefix);
      if (o.json === true) {
        const metrics = parsePrometheusText(text)
          .filter((m) => wanted(m.name))
          .map((m) => ({ ...m, value: Number.isFinite(m.value) ? m.value : String(m.value).replace('Infinity', 'Inf') }));
        return printJson(ctx, { metrics });
      }
      for (const line of text.split('\n')) {
        if (line === '') continue;
        const name = line.startsWith('# ') ? (line.split(' ')[2] ?? '') : line;
        if (wanted(name)) ctx.stdout.write(line + '\n');
      }
    });
}
