import { PushmeshError } from '../errors/index.js';

/** One sample of the Prometheus text format. */
export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  /** The value as a number (`NaN`, `+Inf`, `-Inf` included). */
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

/**
 * The samples of a Prometheus text exposition (version 0.0.4): one per
 * line that is not blank or a `#` comment, `name{label="value",…} value
 * [timestamp]`, label values with `\\`, `\"` and `\n` escapes. A line
 * that is not a sample is ERR_BAD_MESSAGE naming its number.
 */
export function parsePrometheusText(text: string): MetricSample[] {
  const out: MetricSample[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const bad = (why: string): PushmeshError => new PushmeshError('ERR_BAD_MESSAGE', `metrics line ${i + 1}: ${why}`);
    const name = NAME.exec(line)?.[0];
    if (name === undefined) throw bad('no metric name');
    let rest = line.slice(name.length);
    const labels: Record<string, string> = {};
    if (rest.startsWith('{')) {
      rest = rest.slice(1);
      for (;;) {
        rest = rest.trimStart();
        if (rest.startsWith('}')) {
          rest = rest.slice(1);
          break;
        }
        const label = LABEL_NAME.exec(rest)?.[0];
        if (label === undefined || !rest.slice(label.length).startsWith('="')) throw bad('bad label');
        rest = rest.slice(label.length + 2);
        let value = '';
        let j = 0;
        for (; j < rest.length && rest[j] !== '"'; j++) {
          if (rest[j] !== '\\') {
            value += rest[j];
            continue;
          }
          const next = rest[++j];
          if (next === 'n') value += '\n';
          else if (next === '\\' || next === '"') value += next;
          else throw bad('bad escape in a label value');
        }
        if (j >= rest.length) throw bad('unterminated label value');
        labels[label] = value;
        rest = rest.slice(j + 1).trimStart();
        if (rest.startsWith(',')) rest = rest.slice(1);
        else if (!rest.startsWith('}')) throw bad('expected , or } after a label');
      }
    }
    const fields = rest.trim().split(/\s+/);
    if (fields.length < 1 || fields.length > 2 || fields[0] === '') throw bad('expected a value (and an optional timestamp)');
    const value = parseValue(fields[0]!);
    if (value === undefined || (fields[1] !== undefined && !/^-?\d+$/.test(fields[1]))) throw bad('not a number');
    out.push({ name, labels, value });
  });
  return out;
}

function parseValue(text: string): number | undefined {
  if (text === 'NaN') return NaN;
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}
