// A small dependency-free SVG line chart for training reports (loss and accuracy curves). Axis ticks
// on 1-2-5 steps (axis.ts); an optional y range draws values beyond it clipped at the edge with a
// triangle, and marks their series "off scale" in the legend.
import { niceTicks } from './axis.js';

export interface Series { name: string; values: number[]; color?: string; dashed?: boolean }
export interface ChartOptions {
  title: string; xLabel?: string; yLabel?: string; width?: number; height?: number;
  /** the y range to show (default: the finite values'); values beyond are clipped at the edge and marked */
  yRange?: [number, number];
  /** a label per x position (default: 1, 2, … on rounded ticks) */
  xLabels?: string[];
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd'];
const esc = (s: string) => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);

/** One panel as an SVG <g>, translated to (x0, y0). */
export function linePanel(series: Series[], o: ChartOptions, x0 = 0, y0 = 0): string {
  const W = o.width ?? 480, H = o.height ?? 300, m = { l: 56, r: 16, t: 32, b: 44 };
  const pw = W - m.l - m.r, ph = H - m.t - m.b;
  const all = series.flatMap((s) => s.values.filter(Number.isFinite));
  const n = Math.max(1, ...series.map((s) => s.values.length));
  let lo = o.yRange ? o.yRange[0] : all.length ? Math.min(...all) : 0, hi = o.yRange ? o.yRange[1] : all.length ? Math.max(...all) : 1;
  const nonneg = lo >= 0, unit = hi <= 1 && nonneg;
  if (!o.yRange) {                        // (a given range is not padded: [0, 100] stays [0, 100], not [0, 120])
    const pad = (hi - lo) * 0.03;
    lo -= pad; hi += pad;
    if (nonneg) lo = Math.max(lo, 0);     // losses and accuracies never go below 0 …
  }
  const yt = niceTicks(lo, hi, Math.max(3, Math.round((H - 76) / 45)));
  lo = yt.lo; hi = yt.hi;                 // (rounded out to the ticks)
  if (unit) hi = Math.min(hi, 1);         // … and accuracies never above 1
  const off = (v: number) => v > hi || v < lo;
  const sx = (i: number) => m.l + (n === 1 ? pw / 2 : (i / (n - 1)) * pw);
  const sy = (v: number) => m.t + (1 - (Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo)) * ph;
  const ticks = yt.values.map((v, k) => [v, yt.labels[k]] as const).filter(([v]) => v <= hi + 1e-12 && v >= lo - 1e-12);
  const xs = niceTicks(1, n, Math.max(2, Math.min(8, Math.round(pw / 60)))), xt = xs.values.filter((v) => Number.isInteger(v) && v >= 1 && v <= n).map((v) => v - 1);
  const out = [`<g transform="translate(${x0},${y0})" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">${esc(o.title)}</text>`,
    ...ticks.map(([v, label]) => `<line x1="${m.l}" x2="${m.l + pw}" y1="${sy(v).toFixed(1)}" y2="${sy(v).toFixed(1)}" stroke="#eee"/><text x="${m.l - 6}" y="${(sy(v) + 4).toFixed(1)}" text-anchor="end">${label}</text>`),
    ...(o.xLabels ? o.xLabels.map((_, i) => i) : xt).map((i) => `<text x="${sx(i).toFixed(1)}" y="${m.t + ph + 16}" text-anchor="middle">${o.xLabels ? esc(o.xLabels[i]) : i + 1}</text>`),
    `<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`,
    o.xLabel ? `<text x="${m.l + pw / 2}" y="${H - 8}" text-anchor="middle">${esc(o.xLabel)}</text>` : '',
    o.yLabel ? `<text transform="translate(14,${m.t + ph / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>` : ''];
  // legend box: top right when the curves fall (losses), bottom right when they rise (accuracies)
  const rising = series.some((s) => s.values.length > 1 && s.values[s.values.length - 1] > s.values[0]);
  const lw = 170, lh = 8 + series.length * 14, lx = m.l + pw - lw - 6, ly = rising ? m.t + ph - lh - 6 : m.t + 6;
  out.push(`<rect x="${lx}" y="${ly}" width="${lw}" height="${lh}" fill="#fff" fill-opacity="0.85" stroke="#ccc"/>`);
  series.forEach((s, k) => {
    const c = s.color ?? COLORS[k % COLORS.length];
    const pts = s.values.map((v, i) => (Number.isFinite(v) && !off(v) ? `${sx(i).toFixed(1)},${sy(v).toFixed(1)}` : '')).filter(Boolean).join(' ');
    if (pts) out.push(`<polyline points="${pts}" fill="none" stroke="${c}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,3"' : ''}/>`);
    if (s.values.length === 1 && Number.isFinite(s.values[0]) && !off(s.values[0])) out.push(`<circle cx="${sx(0)}" cy="${sy(s.values[0])}" r="3" fill="${c}"/>`);
    // values off scale (or ±Infinity): a triangle at the edge, pointing out
    const clipped = s.values.flatMap((v, i) => (v === Infinity || v === -Infinity || (Number.isFinite(v) && off(v)) ? [[i, v > hi ? 1 : -1]] : []));
    for (const [i, d] of clipped) { const x = sx(i), y = d > 0 ? m.t : m.t + ph; out.push(`<path d="M${(x - 4).toFixed(1)},${(y + 6 * d).toFixed(1)} L${(x + 4).toFixed(1)},${(y + 6 * d).toFixed(1)} L${x.toFixed(1)},${y.toFixed(1)} Z" fill="${c}"/>`); }
    const label = clipped.length ? `${s.name} (${clipped.length} off scale)` : s.name;
    out.push(`<line x1="${lx + 6}" x2="${lx + 26}" y1="${ly + 11 + k * 14}" y2="${ly + 11 + k * 14}" stroke="${c}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,3"' : ''}/><text x="${lx + 30}" y="${ly + 15 + k * 14}">${esc(label)}</text>`);
  });
  out.push('</g>');
  return out.join('\n');
}

/** Panels side by side in one SVG document. */
export function chartSvg(panels: Array<{ series: Series[]; options: ChartOptions }>): string {
  const W = panels.reduce((s, p) => s + (p.options.width ?? 480), 0), H = Math.max(...panels.map((p) => p.options.height ?? 300));
  let x = 0;
  const body = panels.map((p) => { const g = linePanel(p.series, p.options, x, 0); x += p.options.width ?? 480; return g; });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">\n${body.join('\n')}\n</svg>\n`;
}

/** Loss and accuracy curves (train and validation) from per-epoch logs. */
export function trainingReportSvg(epochs: Array<Record<string, number>>, title = 'Training'): string {
  const col = (k: string) => epochs.map((e) => e[k] ?? NaN);
  const has = (k: string) => epochs.some((e) => e[k] !== undefined);
  const panels = [{ series: [{ name: 'train loss', values: col('loss') }, ...(has('val_loss') ? [{ name: 'validation loss', values: col('val_loss'), dashed: true }] : [])], options: { title: `${title}: loss`, xLabel: 'epoch', yLabel: 'loss' } }];
  if (has('accuracy')) panels.push({ series: [{ name: 'train accuracy', values: col('accuracy') }, ...(has('val_accuracy') ? [{ name: 'validation accuracy', values: col('val_accuracy'), dashed: true }] : [])], options: { title: `${title}: accuracy`, xLabel: 'epoch', yLabel: 'accuracy' } });
  return chartSvg(panels);
}

