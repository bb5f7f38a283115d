// Axis scaling for the SVG charts: "nice" ticks on 1-2-5 steps (…, 0.1, 0.2, 0.5, 1, 2, 5, …) with
// the axis widened to whole steps, labels with just enough decimals for the step; and a robust value
// range (median ± k·MAD fences) that tells outliers such as a diverged trial from the bulk, so a
// chart can keep the bulk readable and draw the outliers clipped at its edge.

export interface Ticks { lo: number; hi: number; step: number; values: number[]; labels: string[] }

/** The 1-2-5 step (10^e × {1, 2, 5}) nearest to `raw` on a log scale. */
export function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const e = Math.floor(Math.log10(raw)), f = raw / 10 ** e;
  const m = f < Math.SQRT2 ? 1 : f < Math.sqrt(10) ? 2 : f < Math.sqrt(50) ? 5 : 10;
  return m * 10 ** e;
}

/** About `target` ticks covering [lo, hi] on a 1-2-5 step; the axis runs from the tick at or below lo to the one at or above hi. */
export function niceTicks(lo: number, hi: number, target = 5): Ticks {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) { lo = 0; hi = 1; }
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi - lo < 1e-12 * Math.max(1, Math.abs(lo))) { const d = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 0.5; lo -= d; hi += d; }
  const step = niceStep((hi - lo) / Math.max(1, target - 1));
  const first = Math.floor(lo / step + 1e-9), last = Math.ceil(hi / step - 1e-9);
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const values = Array.from({ length: last - first + 1 }, (_, i) => +((first + i) * step).toFixed(decimals));
  return { lo: values[0], hi: values[values.length - 1], step, values, labels: values.map((v) => formatTick(v, step, decimals)) };
}

function formatTick(v: number, step: number, decimals: number): string {
  const a = Math.abs(v);
  if (a >= 1e5 || (a < 1e-4 && a > 0)) { // exponent form, as many mantissa digits as the step needs, trailing zeros dropped
    const digits = Math.max(0, Math.min(6, Math.floor(Math.log10(a) + 1e-9) - Math.floor(Math.log10(step) + 1e-9)));
    return v.toExponential(digits).replace(/\.?0+e/, 'e');
  }
  return v.toFixed(Math.min(decimals, 10));
}

export interface RobustRange { lo: number; hi: number; clippedLow: boolean; clippedHigh: boolean }

/**
 * [min, max] of the finite values, narrowed to the fences median ± k · 1.4826 · MAD where values lie
 * beyond them (outliers such as a diverged trial's loss). With fewer than 4 values, or a MAD of 0, the
 * full range.
 */
export function robustRange(values: number[], k = 5): RobustRange {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (!v.length) return { lo: 0, hi: 1, clippedLow: false, clippedHigh: false };
  const full = { lo: v[0], hi: v[v.length - 1], clippedLow: false, clippedHigh: false };
  if (v.length < 4) return full;
  const med = median(v), mad = 1.4826 * median(v.map((x) => Math.abs(x - med)).sort((a, b) => a - b));
  if (!(mad > 0)) return full;
  const lo = Math.max(v[0], med - k * mad), hi = Math.min(v[v.length - 1], med + k * mad);
  return { lo, hi, clippedLow: lo > v[0], clippedHigh: hi < v[v.length - 1] };
}

const median = (sorted: number[]) => { const n = sorted.length; return n % 2 ? sorted[n >> 1] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2; };
