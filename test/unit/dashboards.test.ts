/**
 * docs/grafana-dashboard.json and docs/alerts.yaml name only metrics (and labels) the bridge exports:
 * every expression is parsed and its names are compared with the exposition of the bridge's own
 * registry, the same text `GET /metrics` serves.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { createMetrics } from '../../src/observability/metrics.js';

const docs = (name: string): string => readFileSync(new URL(`../../docs/${name}`, import.meta.url), 'utf8');

/** Words that can stand where a metric name stands but are PromQL syntax. */
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool']);
const KEYWORDS_BINARY = new Set(['and', 'or', 'unless', 'offset', 'inf', 'nan', 'atan2']);
/** Labels Prometheus adds or histograms carry, not declared by the bridge. */
const OUTSIDE_LABELS = new Set(['instance', 'job', 'le', '__name__']);
const NAME = /(?<![\w:])([a-zA-Z_:][\w:]*)(?![\w:])/g;

/** Metric names and label names an expression uses. Grafana variables and strings are left out. */
export function namesIn(expr: string): { metrics: string[]; labels: string[] } {
  const labels: string[] = [];
  let text = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\$\{?\w+\}?/g, ' ');
  text = text.replace(/\{([^}]*)\}/g, (_match, matchers: string) => {
    for (const m of matchers.matchAll(/([a-zA-Z_]\w*)\s*(=~|!~|!=|=)/g)) labels.push(m[1] ?? '');
    return ' ';
  });
  text = text.replace(
    /\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g,
    (_m, _k, list: string) => {
      labels.push(
        ...list
          .split(',')
          .map((l) => l.trim())
          .filter(Boolean),
      );
      return ' ';
    },
  );
  text = text.replace(/\[[^\]]*\]/g, ' ');
  const metrics: string[] = [];
  for (const m of text.matchAll(NAME)) {
    const word = m[1] ?? '';
    const rest = text.slice((m.index ?? 0) + word.length);
    if (/^\s*\(/.test(rest)) continue; // a function or aggregation
    if (KEYWORDS.has(word) || KEYWORDS_BINARY.has(word.toLowerCase())) continue;
    metrics.push(word);
  }
  return { metrics, labels };
}

/** Exported series names (histograms as _bucket/_sum/_count) with their label names. */
async function exported(): Promise<Map<string, Set<string>>> {
  const metrics = createMetrics();
  const byName = new Map<string, Set<string>>();
  for (const line of (await metrics.registry.metrics()).split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (!type) continue;
    const [, name = '', kind] = type;
    const metric = metrics.registry.getSingleMetric(name) as unknown as { labelNames?: string[] } | undefined;
    const labels = new Set(metric?.labelNames ?? []);
    const series = kind === 'histogram' ? ['_bucket', '_sum', '_count'].map((s) => name + s) : [name];
    if (kind === 'summary') series.push(`${name}_sum`, `${name}_count`);
    for (const s of series) byName.set(s, labels);
  }
  return byName;
}

interface Expression {
  where: string;
  expr: string;
}

function dashboardExpressions(): Expression[] {
  const dashboard = JSON.parse(docs('grafana-dashboard.json')) as {
    panels: { title: string; type: string; targets?: { expr: string }[] }[];
    templating: { list: { name: string; query: unknown }[] };
  };
  const out: Expression[] = [];
  for (const panel of dashboard.panels) {
    if (panel.type === 'row') continue;
    expect(panel.targets?.length, `panel "${panel.title}" has no query`).toBeGreaterThan(0);
    for (const t of panel.targets ?? []) out.push({ where: `panel "${panel.title}"`, expr: t.expr });
  }
  for (const variable of dashboard.templating.list) {
    const query = (variable.query as { query?: string } | string | undefined) ?? '';
    const text = typeof query === 'string' ? query : (query.query ?? '');
    const values = /^label_values\(\s*([\w:]+)\s*,\s*(\w+)\s*\)$/.exec(text);
    // label_values(metric, label) is Grafana's, not PromQL: check it as a selector.
    if (values)
      out.push({ where: `variable $${variable.name}`, expr: `sum by (${values[2]}) (${values[1]})` });
  }
  return out;
}

function alertExpressions(): Expression[] {
  const file = parseYaml(docs('alerts.yaml')) as {
    groups: { name: string; rules: { alert?: string; expr?: string; labels?: { severity?: string } }[] }[];
  };
  const out: Expression[] = [];
  for (const group of file.groups) {
    for (const rule of group.rules) {
      expect(rule.alert, `a rule of group ${group.name} has no name`).toBeTruthy();
      expect(['critical', 'warning', 'info']).toContain(rule.labels?.severity);
      out.push({ where: `alert ${rule.alert}`, expr: String(rule.expr ?? '') });
    }
  }
  return out;
}

describe('namesIn', () => {
  it('finds metric names and label names, and nothing of the syntax around them', () => {
    expect(
      namesIn(
        'histogram_quantile(0.99, sum by (le) (rate(a_seconds_bucket{x=~"$c", y!="b c"}[$__rate_interval]))) ' +
          '/ on(instance) group_left max without (z) (b_total offset 5m) > bool 1 and absent(c)',
      ),
    ).toEqual({ metrics: ['a_seconds_bucket', 'b_total', 'c'], labels: ['x', 'y', 'le', 'instance', 'z'] });
  });
});

describe.each([
  ['docs/grafana-dashboard.json', dashboardExpressions],
  ['docs/alerts.yaml', alertExpressions],
])('%s', (_file, expressions) => {
  it('names only metrics and labels the bridge exports', async () => {
    const known = await exported();
    const list = expressions();
    const used = new Set<string>();
    const problems: string[] = [];
    for (const { where, expr } of list) {
      const { metrics, labels } = namesIn(expr);
      if (metrics.length === 0) problems.push(`${where}: no metric in "${expr}"`);
      const allowed = new Set(OUTSIDE_LABELS);
      for (const name of metrics) {
        used.add(name);
        const own = known.get(name);
        if (!own) problems.push(`${where}: ${name} is not exported`);
        for (const l of own ?? []) allowed.add(l);
      }
      for (const label of labels)
        if (!allowed.has(label)) problems.push(`${where}: no metric has label ${label}`);
    }
    expect(problems).toEqual([]);
    // A parser that found nothing must not pass: both files cover a good part of the metrics.
    expect(used.size).toBeGreaterThanOrEqual(10);
  });
});
