// Parameter values as users hand them to setWeights: checked (count, finiteness, integer ranges)
// and turned into the typed array of the parameter's dtype.
import { AxonError } from '../errors.js';
import { firstNonFinite } from '../runtime/finite.js';
import { ParamData, ParamDef, ParamDtype, size } from '../layers/layer.js';

/** `v` as parameter `k`'s data; `keep`: an array of the right type is kept as it is (no copy). */
export function paramData(k: string, v: ArrayLike<number>, p: ParamDef, keep: boolean): ParamData {
  if (v.length !== size(p.shape)) throw new AxonError('BAD_SHAPE', `parameter "${k}" has shape [${p.shape}] (${size(p.shape)} values) but ${v.length} were given`);
  const dtype: ParamDtype = p.dtype ?? 'f32';
  const bad = firstNonFinite(v);
  if (bad >= 0) throw new AxonError('NOT_FINITE', `parameter "${k}" has a non-finite value at ${bad}`);
  if (dtype !== 'f32') {
    const [lo, hi] = dtype === 'i8' ? [-128, 127] : [-(2 ** 31), 2 ** 31 - 1];
    for (let i = 0; i < v.length; i++) if (!Number.isInteger(v[i]) || v[i] < lo || v[i] > hi) throw new AxonError('BAD_ARGUMENT', `parameter "${k}" is ${dtype}: value ${v[i]} at ${i} is not an integer in [${lo}, ${hi}]`);
  }
  // NOTE: typed arrays copy with slice()/set(); TypedArray.from walks the iterator (10x slower)
  const Ctor = dtype === 'f32' ? Float32Array : dtype === 'i8' ? Int8Array : Int32Array;
  return v instanceof Ctor ? (keep ? v : v.slice()) : ArrayBuffer.isView(v) ? new Ctor(v as unknown as ArrayLike<number>) : Ctor.from(v);
}
