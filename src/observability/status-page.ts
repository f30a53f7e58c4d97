/**
 * The status page on the metrics address: `GET /` serves one self-contained HTML page (inline CSS and
 * script, no external asset, so it works offline and behind a port-forward), which refreshes itself
 * from `GET /status.json` every two seconds.
 */
import { jsonReply, type HttpRoute } from './http-server.js';
import type { StatusReport } from './status-report.js';

/** A report is reused for this long, so that several open pages cost one set of database reads. */
const REPORT_REUSE_MS = 1000;

/** The page. Values from the report are inserted with `textContent` only, never as HTML. */
export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ws-manager-bridge status</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1d2433; background: #f6f7f9; }
  h1 { font-size: 1.3rem; margin: 0 0 .25rem; }
  h2 { font-size: 1rem; margin: 1.5rem 0 .5rem; }
  .meta, .muted { color: #5b6475; }
  #error { display: none; background: #fde2e1; color: #8a1c16; padding: .5rem .75rem; border-radius: 4px; }
  table { border-collapse: collapse; background: #fff; min-width: 40rem; }
  th, td { text-align: left; padding: .35rem .75rem; border-bottom: 1px solid #e3e6eb; }
  th { font-weight: 600; background: #eef0f4; }
  .state-streaming { color: #17683a; font-weight: 600; }
  .state-backoff, .state-refused { color: #a3330e; font-weight: 600; }
  .phase { display: inline-block; margin-right: .6rem; }
  .charts { display: flex; gap: 1.5rem; flex-wrap: wrap; }
  figure { margin: 0; background: #fff; padding: .5rem .75rem; border: 1px solid #e3e6eb; }
  figcaption { font-weight: 600; }
  svg polyline { fill: none; stroke: #2f5fd0; stroke-width: 2; }
  svg line { stroke: #c9ced8; }
  svg circle { fill: #2f5fd0; }
  #warnings li { margin: .25rem 0; font-family: ui-monospace, monospace; font-size: 12px; }
  .level-error, .level-fatal { color: #8a1c16; }
  .level-warn { color: #8a5a00; }
  .big { font-size: 1.4rem; font-weight: 600; }
</style>
</head>
<body>
<h1>ws-manager-bridge</h1>
<div class="meta">replica <span id="replica">…</span> · bridge <span id="bridge">…</span> ·
  updated <span id="generated">never</span> · refreshes every 2 s</div>
<p id="error"></p>
<h2>Clusters</h2>
<table id="clusters">
  <thead><tr><th>cluster</th><th>stream</th><th>last update</th><th>lease holder</th><th>instances per phase (not stopped)</th></tr></thead>
  <tbody></tbody>
</table>
<h2>Rates (10 s samples)</h2>
<div class="charts">
  <figure><figcaption>status updates/s: <span id="updates-now">–</span></figcaption>
    <svg id="chart-updates" width="320" height="90" viewBox="0 0 320 90" role="img" aria-label="status updates per second"></svg></figure>
  <figure><figcaption>commits/s: <span id="commits-now">–</span></figcaption>
    <svg id="chart-commits" width="320" height="90" viewBox="0 0 320 90" role="img" aria-label="commits per second"></svg></figure>
</div>
<h2>Notifications pending</h2>
<div class="big" id="pending">–</div>
<h2>Last warnings <span class="muted" id="warnings-total"></span></h2>
<ul id="warnings"></ul>
<script>
"use strict";
const SVG = "http://www.w3.org/2000/svg";
const $ = (id) => document.getElementById(id);
function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}
function age(seconds) {
  if (seconds === null) return "never";
  if (seconds < 120) return seconds + " s ago";
  if (seconds < 7200) return Math.round(seconds / 60) + " min ago";
  return Math.round(seconds / 3600) + " h ago";
}
function renderClusters(clusters) {
  const body = $("clusters").tBodies[0];
  body.replaceChildren();
  if (clusters.length === 0) body.append(el("tr")).append(el("td", "no clusters", "muted"));
  for (const c of clusters) {
    const row = el("tr");
    row.dataset.cluster = c.name;
    row.append(el("td", c.name + (c.static ? " (static)" : "")));
    const stream = el("td", c.stream, "state-" + c.stream);
    stream.dataset.field = "stream";
    row.append(stream, el("td", age(c.lastUpdateAgeSeconds)), el("td", c.leaseHolder ?? "none"));
    const phases = el("td");
    const entries = Object.entries(c.phases);
    if (entries.length === 0) phases.append(el("span", "none", "muted"));
    for (const [phase, n] of entries) {
      const p = el("span", phase + " " + n, "phase");
      p.dataset.phase = phase;
      p.dataset.count = String(n);
      phases.append(p);
    }
    row.append(phases);
    body.append(row);
  }
}
function renderChart(svg, values) {
  svg.replaceChildren();
  const w = 320, h = 90, pad = 4;
  const base = document.createElementNS(SVG, "line");
  for (const [k, v] of [["x1", 0], ["x2", w], ["y1", h - pad], ["y2", h - pad]]) base.setAttribute(k, v);
  svg.append(base);
  if (values.length === 0) return;
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? (w - 2 * pad) / (values.length - 1) : 0;
  const points = values.map((v, i) =>
    (pad + i * step).toFixed(1) + "," + (h - pad - (v / max) * (h - 2 * pad)).toFixed(1));
  const line = document.createElementNS(SVG, "polyline");
  line.setAttribute("points", points.join(" "));
  svg.append(line);
  // The last point is the interval still running; a dot keeps a lone first sample visible.
  const [x, y] = points[points.length - 1].split(",");
  const dot = document.createElementNS(SVG, "circle");
  for (const [k, v] of [["cx", x], ["cy", y], ["r", 3]]) dot.setAttribute(k, v);
  svg.append(dot);
  const label = document.createElementNS(SVG, "text");
  label.setAttribute("x", w - 4);
  label.setAttribute("y", 12);
  label.setAttribute("text-anchor", "end");
  label.setAttribute("font-size", "10");
  label.textContent = "max " + max.toFixed(1);
  svg.append(label);
}
function renderWarnings(warnings) {
  $("warnings-total").textContent = "(" + warnings.total + " since start)";
  const list = $("warnings");
  list.replaceChildren();
  if (warnings.recent.length === 0) list.append(el("li", "none", "muted"));
  for (const w of warnings.recent) {
    const item = el("li", undefined, "level-" + w.level);
    item.append(el("span", w.time + " " + w.level.toUpperCase() + " " + w.msg));
    if (w.detail) item.append(el("span", " " + w.detail, "muted"));
    list.append(item);
  }
}
function render(report) {
  $("replica").textContent = report.replica;
  $("bridge").textContent = report.bridge;
  $("generated").textContent = new Date(report.generatedAt).toLocaleTimeString();
  renderClusters(report.clusters);
  const samples = report.rates.samples;
  const last = samples[samples.length - 1];
  $("updates-now").textContent = last ? last.updatesPerSecond.toFixed(1) : "–";
  $("commits-now").textContent = last ? last.commitsPerSecond.toFixed(1) : "–";
  renderChart($("chart-updates"), samples.map((s) => s.updatesPerSecond));
  renderChart($("chart-commits"), samples.map((s) => s.commitsPerSecond));
  $("pending").textContent = String(report.notificationsPending);
  renderWarnings(report.warnings);
  document.body.dataset.loaded = report.generatedAt;
}
async function refresh() {
  try {
    const res = await fetch("status.json", { cache: "no-store" });
    const body = await res.json();
    if (!res.ok) throw new Error(body.error ?? "HTTP " + res.status);
    render(body);
    $("error").style.display = "none";
  } catch (error) {
    $("error").textContent = "cannot refresh: " + (error instanceof Error ? error.message : String(error));
    $("error").style.display = "block";
  } finally {
    setTimeout(refresh, 2000);
  }
}
refresh();
</script>
</body>
</html>
`;

/**
 * `/` (the page) and `/status.json` (the report). Reports are shared for a second; a report that
 * cannot be built (database down) answers 503 with the reason.
 */
export function statusRoutes(
  build: () => Promise<StatusReport>,
  now: () => number = Date.now,
): Record<string, HttpRoute> {
  let cached: { at: number; report: Promise<StatusReport> } | undefined;
  const report = (): Promise<StatusReport> => {
    const at = now();
    if (!cached || at - cached.at >= REPORT_REUSE_MS) {
      const entry = { at, report: build() };
      // A failed report is not reused.
      entry.report.catch(() => {
        if (cached === entry) cached = undefined;
      });
      cached = entry;
    }
    return cached.report;
  };
  return {
    '/': {
      methods: ['GET'],
      handle: () => ({ status: 200, type: 'text/html; charset=utf-8', body: STATUS_PAGE_HTML }),
    },
    '/status.json': {
      methods: ['GET'],
      handle: async () => {
        try {
          return jsonReply(200, await report());
        } catch (error: unknown) {
          return jsonReply(503, { error: error instanceof Error ? error.message : String(error) });
        }
      },
    },
  };
}
