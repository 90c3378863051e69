/**
 * `--format html`: one self-contained page like the preview's (inline CSS, no script, nothing
 * loaded, a Content-Security-Policy that forbids anything else). The funnel is drawn as bars and
 * delivered/read over time as lines, both as static SVG computed here with d3's scales and path
 * generator: the page needs no script to show them.
 */
import { scaleBand, scaleLinear, scaleUtc } from "d3-scale";
import { line } from "d3-shape";
import { escapeHtml, htmlPage } from "../preview/escape.js";
import type { StatusModel } from "./model.js";
import type { Timeline } from "./timeline.js";
import { bucketTime, detailLines, funnelRows, percentOf, sourceLines, stageWords } from "./format.js";

const n = (value: number): string => value.toLocaleString("en-US");
/** Coordinates with two decimals at most: stable text, no float noise in the golden files. */
const at = (value: number): string => String(Math.round(value * 100) / 100);

const BAR_COLORS: Record<string, string> = {
  planned: "#54656f",
  sent: "#008069",
  delivered: "#25d366",
  read: "#34b7f1",
  failed: "#e53935",
  noStatus: "#f0b429",
  unknown: "#9c27b0",
  notFinished: "#8696a0",
  suppressed: "#3b4a54",
};

function funnelSvg(model: StatusModel): string {
  const rows = funnelRows(model);
  const width = 640;
  const labelWidth = 120;
  const countWidth = 120;
  const height = rows.length * 30;
  const y = scaleBand<string>().domain(rows.map((r) => r.id)).range([0, height]).padding(0.2);
  const x = scaleLinear().domain([0, Math.max(1, model.funnel.planned)]).range([0, width - labelWidth - countWidth]);
  const bars = rows.map((row) => {
    const top = y(row.id) ?? 0;
    const middle = top + y.bandwidth() / 2;
    const percent = row.id === "planned" ? "" : ` (${percentOf(row.count, model.funnel.planned)})`;
    return `<g class="bar bar-${row.id}"><text x="${labelWidth - 8}" y="${at(middle)}" text-anchor="end" dominant-baseline="middle">${row.label}</text>` +
      `<rect x="${labelWidth}" y="${at(top)}" width="${at(x(Math.min(row.count, model.funnel.planned)))}" height="${at(y.bandwidth())}" fill="${BAR_COLORS[row.id]}"><title>${row.label}: ${n(row.count)}</title></rect>` +
      `<text x="${at(labelWidth + x(Math.min(row.count, model.funnel.planned)) + 6)}" y="${at(middle)}" dominant-baseline="middle">${n(row.count)}${percent}</text></g>`;
  });
  return `<svg class="funnel" viewBox="0 0 ${width} ${height}" role="img" aria-label="Delivery funnel"><title>Delivery funnel</title>${bars.join("")}</svg>`;
}

/** Cumulative delivered and read at each bucket's end, from zero at the first bucket's start. */
function cumulative(timeline: Timeline): Array<{ time: number; delivered: number; read: number }> {
  const points = [{ time: Date.parse(timeline.points[0]!.at), delivered: 0, read: 0 }];
  let delivered = 0;
  let read = 0;
  for (const p of timeline.points) {
    delivered += p.delivered;
    read += p.read;
    points.push({ time: Date.parse(p.at) + timeline.bucketMs, delivered, read });
  }
  return points;
}

/** `10:15` within a day, `11-30 10:15` over days, `11-30` for whole days (UTC, like the text). */
function tickLabel(time: Date, spanMs: number): string {
  const iso = time.toISOString();
  const DAY = 24 * 60 * 60 * 1000;
  if (spanMs <= DAY) return iso.slice(11, 16);
  return time.getTime() % DAY === 0 ? iso.slice(5, 10) : `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
}

function timelineSvg(timeline: Timeline): string {
  const width = 640;
  const height = 260;
  const margin = { top: 12, right: 34, bottom: 30, left: 56 };
  const points = cumulative(timeline);
  const last = points[points.length - 1]!;
  const x = scaleUtc().domain([new Date(points[0]!.time), new Date(last.time)]).range([margin.left, width - margin.right]);
  const y = scaleLinear().domain([0, Math.max(1, last.delivered, last.read)]).nice().range([height - margin.bottom, margin.top]);
  const path = (value: (p: (typeof points)[number]) => number): string =>
    line<(typeof points)[number]>().x((p) => x(new Date(p.time))).y((p) => y(value(p))).digits(2)(points) ?? "";
  const xTicks = x.ticks(6);
  const xFormat = (t: Date): string => tickLabel(t, last.time - points[0]!.time);
  const yTicks = y.ticks(5);
  const yFormat = y.tickFormat(5, ",d");
  const grid = yTicks.map((t) => `<line class="grid" x1="${margin.left}" x2="${width - margin.right}" y1="${at(y(t))}" y2="${at(y(t))}"/><text x="${margin.left - 6}" y="${at(y(t))}" text-anchor="end" dominant-baseline="middle">${escapeHtml(yFormat(t))}</text>`);
  const xAxis = xTicks.map((t) => `<line class="tick" x1="${at(x(t))}" x2="${at(x(t))}" y1="${height - margin.bottom}" y2="${height - margin.bottom + 4}"/><text x="${at(x(t))}" y="${height - margin.bottom + 16}" text-anchor="middle">${escapeHtml(xFormat(t))}</text>`);
  return `<svg class="timeline" viewBox="0 0 ${width} ${height}" role="img" aria-label="Delivered and read over time (cumulative, UTC)"><title>Delivered and read over time</title>` +
    grid.join("") + xAxis.join("") +
    `<line class="axis" x1="${margin.left}" x2="${width - margin.right}" y1="${height - margin.bottom}" y2="${height - margin.bottom}"/>` +
    `<path class="line line-delivered" d="${path((p) => p.delivered)}"/>` +
    `<path class="line line-read" d="${path((p) => p.read)}"/></svg>`;
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;background:#f0f2f5;color:#111b21}
.top{background:#008069;color:#fff;padding:14px 20px}
.top h1{margin:0;font-size:20px;overflow-wrap:anywhere}
.top p{margin:4px 0 0;opacity:.85;font-size:13px;overflow-wrap:anywhere}
main{max-width:900px;margin:0 auto;padding:16px}
section{background:#fff;border-radius:10px;box-shadow:0 1px 3px rgba(0,0,0,.12);margin:0 0 18px;padding:14px 16px}
h2{margin:0 0 8px;font-size:17px}
svg{width:100%;height:auto;display:block;font-size:13px}
svg text{fill:#111b21}
.grid{stroke:#e9edef}.axis,.tick{stroke:#8696a0}
.line{fill:none;stroke-width:2.5}.line-delivered{stroke:#25d366}.line-read{stroke:#34b7f1}
.legend{font-size:13px;color:#54656f;margin:6px 0 0}.key{display:inline-block;width:14px;height:4px;vertical-align:middle;margin:0 4px 0 10px}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #e9edef;overflow-wrap:anywhere}
td.count{text-align:right;white-space:nowrap}
td.where,th{white-space:nowrap}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px}
ul{margin:0;padding-left:20px}
@media (max-width:480px){main{padding:8px}section{padding:10px}}
`;

export function formatStatusHtml(model: StatusModel): string {
  const sections: string[] = [`<section class="funnel-section"><h2>Funnel</h2>${funnelSvg(model)}</section>`];
  if (model.failures.length > 0) {
    const rows = model.failures.map((f) => `<tr><td><code>${escapeHtml(f.code)}</code></td><td class="where">${stageWords(f.stage)}</td><td class="count">${n(f.count)}</td><td>${f.meaning === null ? "" : escapeHtml(f.meaning)}</td></tr>`);
    sections.push(`<section class="failures"><h2>Failed by code</h2><table><thead><tr><th>code</th><th>where</th><th>recipients</th><th>meaning</th></tr></thead><tbody>${rows.join("")}</tbody></table></section>`);
  }
  sections.push(`<section class="details"><h2>Details</h2><ul>${detailLines(model).map((l) => `<li>${escapeHtml(l)}</li>`).join("")}</ul></section>`);
  const timeline = model.timeline;
  if (timeline) {
    const first = timeline.points[0]!.at;
    sections.push(`<section class="over-time"><h2>Delivered and read over time</h2>${timelineSvg(timeline)}` +
      `<p class="legend"><span class="key" style="background:#25d366"></span>delivered<span class="key" style="background:#34b7f1"></span>read · cumulative, per ${timeline.bucket} from ${bucketTime(first)} UTC</p></section>`);
  }
  return htmlPage({
    title: `msgc status ${model.campaign}`,
    style: STYLE,
    header: `<h1>Campaign ${escapeHtml(model.campaign)}</h1><p>${sourceLines(model).map(escapeHtml).join(" · ")}</p>`,
    main: sections.join("\n"),
  });
}
