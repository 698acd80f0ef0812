/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4),
 * for tests that scrape /metrics. Hand-written on purpose: the one parser on
 * npm (parse-prometheus-text-format 1.1.1) merges every labelled series of a
 * histogram into one sample and drops its labels, count and sum, so it cannot
 * check per-route latency. This one refuses any line it does not understand,
 * a sample without a TYPE, and a repeated series.
 */
export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface PromFamily {
  readonly name: string;
  readonly type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  readonly help: string;
  readonly samples: PromSample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: -?\\d+)?$`);
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(?:,|$)/y;

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const match = LABEL.exec(text);
    if (!match) throw new Error(`bad labels in: ${line}`);
    labels[match[1]!] = match[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

/** The families of an exposition, by name; a histogram's `_bucket`, `_sum` and `_count` samples are its own. */
export function parsePrometheus(text: string): Map<string, PromFamily> {
  const families = new Map<string, PromFamily>();
  const seen = new Set<string>();
  const help = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (kind === 'HELP') help.set(name, rest);
      else families.set(name, { name, type: rest as PromFamily['type'], help: help.get(name) ?? '', samples: [] });
      continue;
    }
    if (line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const [, name, labelText, valueText] = match as unknown as [string, string, string | undefined, string];
    // Values are Go floats as Prometheus parses them (strconv.ParseFloat): NaN and Inf in any case
    // (prom-client writes `Nan` for a gauge with no samples yet).
    const special = /^([+-]?)(inf|nan)$/i.exec(valueText);
    const value = special ? (special[2]!.toLowerCase() === 'nan' ? Number.NaN : special[1] === '-' ? -Infinity : Infinity) : Number(valueText);
    if (Number.isNaN(value) && !special) throw new Error(`bad value in: ${line}`);
    const family = families.get(name) ?? families.get(name.replace(/_(bucket|sum|count)$/, ''));
    if (!family) throw new Error(`sample before its TYPE: ${line}`);
    const series = `${name}{${labelText ?? ''}}`;
    if (seen.has(series)) throw new Error(`repeated series: ${series}`);
    seen.add(series);
    family.samples.push({ name, labels: parseLabels(labelText ?? '', line), value });
  }
  return families;
}

/** The values of samples named `name` whose labels include every one of `labels`. */
export function values(families: Map<string, PromFamily>, name: string, labels: Record<string, string> = {}): number[] {
  const family = families.get(name) ?? families.get(name.replace(/_(bucket|sum|count)$/, ''));
  if (!family) throw new Error(`no metric ${name}`);
  return family.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).map((s) => s.value);
}
