"""The dashboard's script: polls /api/stats and /api/telemetry/errors, draws inline SVG charts.

No library and no CDN: a line chart is a few SVG paths. Every text from the data goes through
`textContent`, never HTML, because model names, keys and error messages come from users.
Kept as a Python string so the Worker uploads it as a module (Python Workers ship .py files).
"""

SCRIPT = r"""
"use strict";
const WINDOWS = ["15m", "1h", "24h", "7d"];
const REFRESH_MS = Number(document.body.dataset.refreshMs || 15000);
const ERRORS_URL = document.body.dataset.errorsUrl;
const TRACE_URL = document.body.dataset.traceUrl;
const SVG = "http://www.w3.org/2000/svg";
let current = WINDOWS.includes(location.hash.slice(1)) ? location.hash.slice(1) : "1h";
let timer = null;

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}
function svg(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  return node;
}
function num(v, digits = 0) {
  if (v === null || v === undefined) return "\u2013";
  return Number(v).toLocaleString("en-US", {maximumFractionDigits: digits, minimumFractionDigits: 0});
}
const pct = (v) => (v === null || v === undefined ? "\u2013" : (v * 100).toFixed(v < 0.01 ? 2 : 1) + " %");
const ms = (v) => (v === null || v === undefined ? "\u2013" : num(v, v < 10 ? 1 : 0) + " ms");
const usd = (v) => "$" + Number(v || 0).toFixed(v >= 1 ? 2 : 4);
const clock = (t) => new Date(t * 1000).toISOString().slice(11, 16);

function setTile(name, text) {
  const node = document.querySelector(`[data-metric="${name}"]`);
  if (node) node.textContent = text;
}

function lineChart(id, points, series, format) {
  const box = document.getElementById(id);
  const plot = box.querySelector("svg");
  plot.replaceChildren();
  const W = 480, H = 150, L = 56, B = 20, T = 8;
  const values = points.flatMap((p) => series.map((s) => p[s.key]).filter((v) => v !== null && v !== undefined));
  const max = Math.max(...values, 0) || 1;
  const x = (i) => L + (i * (W - L - 4)) / Math.max(points.length - 1, 1);
  const y = (v) => T + (H - T - B) * (1 - v / max);
  plot.append(svg("line", {x1: L, y1: H - B, x2: W - 4, y2: H - B, class: "axis"}));
  for (const frac of [0, 0.5, 1]) {
    const label = svg("text", {x: L - 6, y: y(max * frac) + 4, "text-anchor": "end", class: "tick"});
    label.textContent = format(max * frac);
    plot.append(label);
  }
  if (points.length) {
    for (const [i, anchor] of [[0, "start"], [points.length - 1, "end"]]) {
      const label = svg("text", {x: x(i), y: H - 4, "text-anchor": anchor, class: "tick"});
      label.textContent = clock(points[i].t);
      plot.append(label);
    }
  }
  let drawn = 0;
  for (const s of series) {
    let d = "";
    points.forEach((p, i) => {
      const v = p[s.key];
      if (v === null || v === undefined) return;
      d += (d ? "L" : "M") + x(i).toFixed(1) + "," + y(v).toFixed(1);
      drawn += 1;
    });
    if (d) plot.append(svg("path", {d, class: "series", stroke: s.color, "data-series": s.key}));
  }
  box.dataset.points = String(drawn);
  box.querySelector(".legend").replaceChildren(
    ...series.map((s) => el("span", {style: `color:${s.color}`}, "● " + s.label)));
}

function table(id, rows, columns) {
  const body = document.querySelector(`#${id} tbody`);
  body.replaceChildren(...rows.map((row) => el("tr", {}, ...columns.map((c) => {
    const cell = el("td", {});
    const value = c(row);
    cell.append(value instanceof Node ? value : document.createTextNode(String(value)));
    return cell;
  }))));
  document.getElementById(id).dataset.rows = String(rows.length);
}

function traceLink(row) {
  if (!row.trace_id) return "\u2013";
  const from = row.ts - 3600000, to = row.ts + 3600000;
  const href = TRACE_URL.replace("{trace_id}", encodeURIComponent(row.trace_id))
    .replace("{start}", String(from)).replace("{end}", String(to));
  const link = el("a", {href, class: "trace"}, row.trace_id.slice(0, 12) + "\u2026");
  link.addEventListener("click", (event) => { event.preventDefault(); showTrace(row.trace_id, row.ts); });
  return link;
}

async function traceSpans(traceId, ts) {
  // The query API filters by trace id; a trace spread over many pages is read a few pages at most.
  const spans = [];
  let cursor = null;
  for (let page = 0; page < 10; page += 1) {
    let url = `/api/telemetry/query?event_type=otel.span&trace_id=${encodeURIComponent(traceId)}` +
      `&start=${ts - 600000}&end=${ts + 600000}&limit=1000`;
    if (cursor) url += "&cursor=" + encodeURIComponent(cursor);
    const body = await getJSON(url, false);
    for (const event of body.events || []) if (event.data && event.data.trace_id === traceId) spans.push(event.data);
    cursor = body.cursor;
    if (!cursor) break;
  }
  return spans;
}

async function showTrace(traceId, ts) {
  const panel = document.getElementById("trace-panel");
  const list = document.getElementById("trace-spans");
  panel.hidden = false;
  document.getElementById("trace-id").textContent = traceId;
  list.replaceChildren(el("p", {}, "loading\u2026"));
  panel.scrollIntoView({block: "nearest"});
  let spans;
  try {
    spans = await traceSpans(traceId, ts);
  } catch (error) {
    list.replaceChildren(el("p", {class: "error"}, "trace unavailable: " + error.message));
    return;
  }
  if (!spans.length) { list.replaceChildren(el("p", {}, "no spans stored for this trace")); return; }
  const start = (s) => Number(BigInt(s.start_time_unix_nano) / 1000n) / 1000;
  const byId = new Map(spans.map((s) => [s.span_id, s]));
  const depth = (s, n = 0) => (byId.has(s.parent_span_id) && n < 32 ? depth(byId.get(s.parent_span_id), n + 1) : n);
  spans.sort((a, b) => start(a) - start(b) || depth(a) - depth(b));
  const t0 = start(spans[0]);
  const total = Math.max(...spans.map((s) => start(s) - t0 + s.duration_ms), 1);
  list.replaceChildren(...spans.map((s) => {
    const left = ((start(s) - t0) / total) * 100, width = Math.max((s.duration_ms / total) * 100, 0.5);
    const bar = el("div", {class: "bar" + (s.status && s.status.code === 2 ? " failed" : ""),
      style: `margin-left:${left.toFixed(2)}%;width:${width.toFixed(2)}%`});
    const service = (s.resource && s.resource["service.name"]) || "?";
    const name = el("span", {class: "span-name", style: `padding-left:${depth(s) * 12}px`}, `${service} \u00b7 ${s.name}`);
    return el("div", {class: "span-row"}, name,
      el("span", {class: "span-time"}, ms(s.duration_ms)), el("div", {class: "track"}, bar));
  }));
  panel.dataset.spans = String(spans.length);
}

function badge(state) {
  return el("span", {class: "badge " + (state || "unknown")}, state || "unknown");
}

function render(stats) {
  document.body.dataset.window = stats.window;
  setTile("requests", num(stats.requests));
  setTile("rate", num(stats.rate_per_s, 2) + " /s");
  setTile("error_rate", pct(stats.error_rate));
  setTile("errors", num(stats.errors) + " errors");
  setTile("p50", ms(stats.latency_ms.p50));
  setTile("p95", ms(stats.latency_ms.p95));
  setTile("p99", ms(stats.latency_ms.p99));
  setTile("ttfb", ms(stats.ttfb_ms.p50));
  setTile("cache_hit_rate", pct(stats.cache.hit_rate));
  setTile("cache", `${num(stats.cache.hit)} hit · ${num(stats.cache.miss)} miss · ${num(stats.cache.bypass)} bypass`);
  setTile("tokens", `${num(stats.tokens.input)} in · ${num(stats.tokens.output)} out`);
  setTile("cost", usd(stats.cost_usd));
  setTile("rate_limited", num(stats.rejections.rate_limited));
  setTile("budget_exceeded", num(stats.rejections.budget_exceeded) + " over budget");
  setTile("ingested", num(stats.ingest.accepted));
  setTile("rejected", num(stats.ingest.rejected) + " rejected");
  const tl = stats.timeline;
  lineChart("chart-rate", tl, [{key: "rate_per_s", label: "requests/s", color: "#2f7ed8"}], (v) => num(v, 2));
  lineChart("chart-errors", tl, [{key: "error_rate", label: "error rate", color: "#d8432f"}], pct);
  lineChart("chart-latency", tl, [
    {key: "p50", label: "p50", color: "#2a9d8f"}, {key: "p95", label: "p95", color: "#e9c46a"},
    {key: "p99", label: "p99", color: "#d8432f"}, {key: "ttfb_p50", label: "TTFB p50", color: "#7b61ff"}], ms);
  lineChart("chart-cache", tl, [{key: "cache_hit_rate", label: "cache hit rate", color: "#2a9d8f"}], pct);
  lineChart("chart-ingest", tl, [
    {key: "events_ingested", label: "events ingested", color: "#2f7ed8"},
    {key: "events_rejected", label: "rejected", color: "#d8432f"}], (v) => num(v));
  table("models", stats.by_model, [(r) => r.model, (r) => num(r.requests), (r) => num(r.input_tokens),
    (r) => num(r.output_tokens), (r) => usd(r.cost_usd), (r) => ms(r.p95_ms)]);
  table("keys", stats.by_key, [(r) => r.key, (r) => num(r.requests), (r) => num(r.input_tokens),
    (r) => num(r.output_tokens), (r) => usd(r.cost_usd), (r) => num(r.rejections)]);
  table("providers", stats.providers, [(r) => r.provider, (r) => badge(r.circuit), (r) => num(r.attempts),
    (r) => pct(r.success_rate), (r) => ms(r.avg_ms)]);
  table("budgets", stats.budgets, [(r) => r.key, (r) => r.period, (r) => usd(r.spent_usd), (r) => usd(r.limit_usd),
    (r) => pct(r.used)]);
  table("routes", stats.by_route, [(r) => r.route, (r) => num(r.requests), (r) => pct(r.error_rate),
    (r) => ms(r.p95_ms)]);
  table("workers", stats.by_worker, [(r) => r.worker, (r) => num(r.requests), (r) => pct(r.error_rate),
    (r) => ms(r.p95_ms)]);
  table("slow", stats.slow_requests.slice(0, 10), [(r) => new Date(r.ts).toISOString().slice(11, 19),
    (r) => `${r.worker} ${r.route}`, (r) => r.model || "\u2013", (r) => r.status, (r) => ms(r.duration_ms), traceLink]);
  table("incidents", stats.incidents || [], [(r) => r.rule, (r) => r.subject || "\u2013", (r) => r.summary,
    (r) => new Date(r.opened_ms).toISOString().slice(5, 16).replace("T", " ")]);
}

function renderErrors(body) {
  const groups = (body && (body.groups || body.errors)) || [];
  table("error-groups", groups.slice(0, 10), [(g) => [g.type, g.message].filter(Boolean).join(": ") || g.fingerprint || "\u2013", (g) => num(g.count),
    (g) => g.last_seen ? new Date(g.last_seen).toISOString().slice(5, 19).replace("T", " ") : "\u2013"]);
}

function status(text, bad) {
  const node = document.getElementById("status");
  node.textContent = text;
  node.className = bad ? "bad" : "";
}

async function getJSON(url, reloadWhenLoggedOut) {
  const response = await fetch(url, {credentials: "same-origin", headers: {accept: "application/json"}});
  if (response.status === 401 && reloadWhenLoggedOut) { location.reload(); return null; }
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

async function refresh() {
  clearTimeout(timer);
  try {
    const stats = await getJSON(`/api/stats?window=${current}`, true);
    if (stats) render(stats);
    status("updated " + new Date().toISOString().slice(11, 19) + " UTC", false);
  } catch (error) {
    status("stats unavailable: " + error.message, true);
  }
  try {
    renderErrors(await getJSON(ERRORS_URL, false));
  } catch (error) {
    document.getElementById("error-groups").dataset.unavailable = error.message;
  }
  timer = setTimeout(refresh, REFRESH_MS);
}

for (const button of document.querySelectorAll("[data-window]")) {
  button.addEventListener("click", () => {
    current = button.dataset.window;
    location.hash = current;
    for (const b of document.querySelectorAll("[data-window]")) b.classList.toggle("on", b === button);
    refresh();
  });
  button.classList.toggle("on", button.dataset.window === current);
}
refresh();
"""
