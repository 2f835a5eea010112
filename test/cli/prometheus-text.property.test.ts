import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { parsePrometheusText } from '../../src/cli/prometheus-text.js';
import { onlyTyped } from '../helpers/typed-errors.js';

const name = fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,20}$/);
const labelName = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,10}$/);
const escape = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const sample = fc.record({
  name,
  labels: fc.dictionary(labelName, fc.string({ maxLength: 12 }), { maxKeys: 3 }),
  value: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.constantFrom(NaN, Infinity, -Infinity)),
});
const valueText = (v: number): string => (Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v));

describe("the CLI's Prometheus text parser (fast-check)", () => {
  it('samples written in the text format (any label values, escapes, comments) read back the same', () => {
    fc.assert(
      fc.property(fc.array(sample, { maxLength: 8 }), fc.boolean(), (samples, ts) => {
        const text = samples
          .map((s) => {
            const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${escape(v)}"`);
            return `# HELP ${s.name} help text\n# TYPE ${s.name} gauge\n${s.name}${labels.length ? `{${labels.join(',')}}` : ''} ${valueText(s.value)}${ts ? ' 1700000000000' : ''}`;
          })
          .join('\n');
        const got = parsePrometheusText(text);
        assert.equal(got.length, samples.length);
        got.forEach((g, i) => {
          assert.equal(g.name, samples[i]!.name);
          assert.deepEqual(g.labels, { ...samples[i]!.labels });
          const want = samples[i]!.value; // -0 is written "0": === takes them as equal
          assert.ok(g.value === want || (Number.isNaN(g.value) && Number.isNaN(want)), `${g.value} for ${want}`);
        });
      }),
    );
  });

  it('any text: samples or ERR_BAD_MESSAGE, nothing else thrown', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'ab_{}=",\\n 1.e+-#IN\n'.split('')), maxLength: 60 }), (text) => {
        onlyTyped(['ERR_BAD_MESSAGE'], () => parsePrometheusText(text));
      }),
      { numRuns: 2000 },
    );
  });

  it("reads prom-client's own output (counters, gauges, histograms with le=\"+Inf\")", async () => {
    const registry = new Registry();
    new Counter({ name: 'x_total', help: 'h', labelNames: ['via'], registers: [registry] }).inc({ via: 'a "quoted"\nline' }, 3);
    new Gauge({ name: 'g', help: 'h', registers: [registry] }).set(-1.5);
    new Histogram({ name: 'lat_seconds', help: 'h', buckets: [0.1], registers: [registry] }).observe(0.05);
    const got = parsePrometheusText(await registry.metrics());
    assert.deepEqual(got.find((m) => m.name === 'x_total'), { name: 'x_total', labels: { via: 'a "quoted"\nline' }, value: 3 });
    assert.equal(got.find((m) => m.name === 'g')?.value, -1.5);
    assert.deepEqual(got.find((m) => m.name === 'lat_seconds_bucket' && m.labels['le'] === '+Inf')?.value, 1);
  });
});
