// Calibration: run the f32 model's predict plan over representative inputs and record the range
// of the input and of every compile unit's output (the session keeps each unit's activations, so
// one pass sees them all). Methods for the range of one tensor:
//   minmax      the observed [min, max]
//   percentile  the p-th and (100-p)-th percentiles (default 99.99) of a 2048-bin histogram
//   mse         the clipping range, on a grid of shrink factors for each end, that minimizes the
//               expected squared int8 quantization error over the histogram
// Every range is widened to hold 0 (qparamsFromRange). Percentile and MSE take a second pass.
import { AxonError } from '../errors.js';
import { Tensor } from '../runtime/tensor.js';
import { size } from '../layers/layer.js';
import type { Model } from '../model/model.js';
import { qparamsFromRange } from './scheme.js';

export type CalibrationMethod = 'minmax' | 'percentile' | 'mse';
export interface CalibrationOptions { method?: CalibrationMethod; percentile?: number; batchSize?: number }
/** [lo, hi] of the model input and of each compile unit's output (model.units() order). */
export interface Ranges { input: [number, number]; units: [number, number][] }

const BINS = 2048;

class Observer {
  lo = Infinity;
  hi = -Infinity;
  hist = new Float64Array(0);
  minmax(v: Float32Array): void {
    let lo = this.lo, hi = this.hi;
    for (let i = 0; i < v.length; i++) { const x = v[i]; if (x < lo) lo = x; if (x > hi) hi = x; }
    this.lo = lo; this.hi = hi;
  }
  histogram(v: Float32Array): void {
    if (!this.hist.length) this.hist = new Float64Array(BINS);
    const w = (this.hi - this.lo) / BINS || 1, h = this.hist;
    for (let i = 0; i < v.length; i++) h[Math.min(BINS - 1, Math.max(0, Math.floor((v[i] - this.lo) / w)))]++;
  }
  range(method: CalibrationMethod, p: number): [number, number] {
    if (!Number.isFinite(this.lo) || !Number.isFinite(this.hi)) throw new AxonError('BAD_DATA', `calibration saw non-finite activations (range [${this.lo}, ${this.hi}]); check the calibration data`);
    if (method === 'minmax' || this.hi === this.lo) return [this.lo, this.hi];
    return method === 'percentile' ? this.percentile(p) : this.mse();
  }
  private edge(b: number): number { return this.lo + ((this.hi - this.lo) * b) / BINS; }
  private percentile(p: number): [number, number] {
    const h = this.hist, total = h.reduce((a, b) => a + b, 0), tail = total * (1 - p / 100);
    let lo = 0, hi = BINS, acc = 0;
    while (lo < BINS - 1 && acc + h[lo] <= tail) acc += h[lo++];
    acc = 0;
    while (hi > lo + 1 && acc + h[hi - 1] <= tail) acc += h[--hi];
    return [this.edge(lo), this.edge(hi)];
  }
  private mse(): [number, number] {
    const h = this.hist, w = (this.hi - this.lo) / BINS;
    const err = (lo: number, hi: number) => {
      const { scale, zeroPoint } = qparamsFromRange(lo, hi);
      let e = 0;
      for (let b = 0; b < BINS; b++) {
        if (!h[b]) continue;
        const v = this.lo + (b + 0.5) * w, q = Math.min(127, Math.max(-128, Math.round(v / scale) + zeroPoint));
        e += h[b] * ((q - zeroPoint) * scale - v) ** 2;
      }
      return e;
    };
    const ts = Array.from({ length: 36 }, (_, k) => 0.3 + 0.02 * k).concat([1]);
    let best: [number, number] = [this.lo, this.hi], bestErr = err(this.lo, this.hi);
    for (const th of ts) for (const tl of this.lo < 0 ? ts : [1]) {
      const e = err(this.lo * tl, this.hi * th);
      if (e < bestErr) { bestErr = e; best = [this.lo * tl, this.hi * th]; }
    }
    return best;
  }
}

/** Ranges of the input and of every unit output of an f32 model over `x` (samples on the first axis). */
export async function calibrate(model: Model, x: Tensor, o: CalibrationOptions = {}): Promise<Ranges> {
  const method = o.method ?? 'minmax', p = o.percentile ?? 99.99;
  if (!['minmax', 'percentile', 'mse'].includes(method)) throw new AxonError('BAD_CONFIG', `calibration method must be minmax, percentile or mse, got ${JSON.stringify(method)}`);
  if (!(p > 50 && p <= 100)) throw new AxonError('BAD_CONFIG', `percentile must be in (50, 100], got ${p}`);
  const xf = size(model.inputShape);
  if (x.shape.length !== model.inputShape.length + 1 || x.size !== x.shape[0] * xf || x.shape.slice(1).some((d, i) => d !== model.inputShape[i]))
    throw new AxonError('BAD_SHAPE', `calibration data has shape [${x.shape}] but the model expects [n, ${model.inputShape}]`);
  const n = x.shape[0];
  if (n < 1) throw new AxonError('BAD_DATA', 'calibration needs at least one sample');
  const B = Math.min(n, o.batchSize ?? 64);
  const s = await model.session(B, { keepActivations: true });
  const units = s.spec.units, obs = [new Observer(), ...units.map(() => new Observer())];
  const data = x.data instanceof Float32Array ? x.data : Float32Array.from(x.data);
  const pass = (fn: (ob: Observer, v: Float32Array) => void) => {
    for (let from = 0; from < n; from += B) {
      const b = Math.min(B, n - from);
      const xin = data.subarray(from * xf, (from + b) * xf);
      s.bound.f32(s.x).set(xin);
      s.run('predict', b);
      fn(obs[0], xin);
      units.forEach((u, i) => fn(obs[i + 1], s.bound.f32(s.outputs[i]).subarray(0, b * size(u.outputShape))));
    }
  };
  pass((ob, v) => ob.minmax(v));
  if (method !== 'minmax') pass((ob, v) => ob.histogram(v));
  const r = obs.map((ob) => ob.range(method, p));
  return { input: r[0], units: r.slice(1) };
}
