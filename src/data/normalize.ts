// Normalization fitted on training data only, then applied to every split and stored in the model
// file (toJSON/fromJSON) so inference sees the same transform. y = (x - shift) / div, with the
// statistics over trailing axes: per feature (all axes but the first), per channel (last axis,
// e.g. C of NHWC images), or one global pair. Statistics accumulate in f64.
import { badData as bad } from './header.js';
import { Tensor } from '../runtime/tensor.js';

export type NormalizeMethod = 'standardize' | 'minmax';
export type NormalizeOver = 'feature' | 'channel' | 'global';

export interface NormalizeOptions {
  /** 'standardize' (zero mean, unit population std; default) or 'minmax' (to [0, 1]). */
  method?: NormalizeMethod;
  /** Statistics per 'feature' (default), per 'channel' (last axis) or 'global'. */
  per?: NormalizeOver;
  /** Name used in error messages (e.g. the file name). */
  name?: string;
}

/** The JSON form stored in the model file. */
export interface NormalizerJSON {
  type: 'normalizer';
  method: NormalizeMethod;
  per: NormalizeOver;
  shape: number[];
  shift: number[];
  div: number[];
}


export class Normalizer {
  private constructor(
    readonly method: NormalizeMethod, readonly per: NormalizeOver, readonly shape: readonly number[],
    readonly shift: Float64Array, readonly div: Float64Array,
  ) {}

  /** Fits the statistics on `x` (the training split only: fitting on all data leaks the test set). */
  static fit(x: Tensor, opts: NormalizeOptions = {}): Normalizer {
    const name = opts.name ?? 'data', method = opts.method ?? 'standardize', per = opts.per ?? 'feature';
    if (method !== 'standardize' && method !== 'minmax') throw bad(name, `normalization method "${method}" is unknown (use standardize or minmax)`);
    if (per !== 'feature' && per !== 'channel' && per !== 'global') throw bad(name, `normalization per "${per}" is unknown (use feature, channel or global)`);
    if (x.size === 0 || x.rank < (per === 'global' ? 1 : 2)) {
      throw bad(name, `cannot fit a normalizer per ${per} on a tensor of shape [${x.shape}]; it needs samples along the first axis${per === 'global' ? '' : ' and a feature axis'}`);
    }
    const shape = per === 'feature' ? x.shape.slice(1) : per === 'channel' ? [x.shape[x.rank - 1]] : [];
    const s = shape.reduce((a, b) => a * b, 1), n = x.size / s, d = x.data;
    const shift = new Float64Array(s), div = new Float64Array(s);
    if (method === 'standardize') {
      for (let i = 0; i < x.size; i++) shift[i % s] += d[i];
      for (let j = 0; j < s; j++) shift[j] /= n;
      for (let i = 0; i < x.size; i++) { const e = d[i] - shift[i % s]; div[i % s] += e * e; }
      for (let j = 0; j < s; j++) div[j] = Math.sqrt(div[j] / n);
    } else {
      const hi = new Float64Array(s).fill(-Infinity);
      shift.fill(Infinity);
      for (let i = 0; i < x.size; i++) { const j = i % s; if (d[i] < shift[j]) shift[j] = d[i]; if (d[i] > hi[j]) hi[j] = d[i]; }
      for (let j = 0; j < s; j++) div[j] = hi[j] - shift[j];
    }
    for (let j = 0; j < s; j++) {
      if (!Number.isFinite(shift[j]) || !Number.isFinite(div[j])) throw bad(name, `feature ${j} has non-finite values (NaN or Infinity); clean the data first`);
      if (div[j] === 0) div[j] = 1; // constant feature: shift only
    }
    return new Normalizer(method, per, shape, shift, div);
  }

  /** (x - shift) / div as a new f32 tensor; x's trailing axes must match the fitted shape. */
  apply(x: Tensor, name = 'data'): Tensor {
    this.check(x, name);
    const s = this.shift.length, out = new Float32Array(x.size);
    for (let i = 0; i < x.size; i++) out[i] = (x.data[i] - this.shift[i % s]) / this.div[i % s];
    return new Tensor(out, x.shape, 'f32');
  }

  /** x * div + shift: back to the original units (e.g. regression predictions). */
  inverse(x: Tensor, name = 'data'): Tensor {
    this.check(x, name);
    const s = this.shift.length, out = new Float32Array(x.size);
    for (let i = 0; i < x.size; i++) out[i] = x.data[i] * this.div[i % s] + this.shift[i % s];
    return new Tensor(out, x.shape, 'f32');
  }

  toJSON(): NormalizerJSON {
    return { type: 'normalizer', method: this.method, per: this.per, shape: [...this.shape], shift: Array.from(this.shift), div: Array.from(this.div) };
  }

  /** Rebuilds a normalizer from toJSON() output, validating every field. */
  static fromJSON(j: unknown, name = 'normalizer'): Normalizer {
    const o = j as Partial<NormalizerJSON> | null;
    const nums = (a: unknown): a is number[] => Array.isArray(a) && a.every((v) => typeof v === 'number' && Number.isFinite(v));
    if (!o || typeof o !== 'object' || o.type !== 'normalizer') throw bad(name, 'not a normalizer (expected {"type": "normalizer", ...})');
    if (o.method !== 'standardize' && o.method !== 'minmax') throw bad(name, `normalizer method "${o.method}" is unknown`);
    if (o.per !== 'feature' && o.per !== 'channel' && o.per !== 'global') throw bad(name, `normalizer per "${o.per}" is unknown`);
    if (!nums(o.shape) || o.shape.some((v) => !Number.isInteger(v) || v < 1) || !nums(o.shift) || !nums(o.div)) {
      throw bad(name, 'normalizer shape, shift and div must be arrays of finite numbers');
    }
    const s = o.shape.reduce((a, b) => a * b, 1);
    if (o.shift.length !== s || o.div.length !== s) throw bad(name, `normalizer shape [${o.shape}] needs ${s} shift and div values, got ${o.shift.length} and ${o.div.length}`);
    if (o.div.some((v) => v <= 0)) throw bad(name, 'normalizer div values must be positive');
    return new Normalizer(o.method, o.per, o.shape, Float64Array.from(o.shift), Float64Array.from(o.div));
  }

  private check(x: Tensor, name: string): void {
    const k = this.shape.length;
    const tail = x.shape.slice(x.rank - k);
    if (x.rank < k || tail.some((d, i) => d !== this.shape[i])) {
      throw bad(name, `shape [${x.shape}] does not end with [${this.shape}], the shape the normalizer was fitted on`);
    }
  }
}

/** Shorthand for Normalizer.fit. */
export function fitNormalizer(x: Tensor, opts: NormalizeOptions = {}): Normalizer {
  return Normalizer.fit(x, opts);
}
