// The int8 scheme (DESIGN.md §5) as arithmetic: activations asymmetric per tensor from a range,
// weights symmetric per output channel, int32 biases at the input scale times the weight scale, and
// the clamp that fuses ReLU / ReLU6 into requantization. Pure functions, no wasm.
import { AxonError } from '../errors.js';

/** Per-tensor affine int8 parameters: real = (q - zeroPoint) * scale. */
export interface QParams { scale: number; zeroPoint: number }
/** Activations int8 layers can fuse into the requantization clamp. */
export type FusedActivation = 'linear' | 'relu' | 'relu6';
export const FUSED: readonly string[] = ['linear', 'relu', 'relu6'];

/**
 * int8 parameters covering [lo, hi] widened to hold 0 (so real 0, e.g. padding, is exact):
 * scale = (hi - lo) / 255, zeroPoint = round(-128 - lo / scale). A zero-width range gets scale 1/255.
 */
export function qparamsFromRange(lo: number, hi: number): QParams {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new AxonError('BAD_DATA', `cannot quantize the range [${lo}, ${hi}]: calibration produced non-finite values`);
  lo = Math.min(lo, 0); hi = Math.max(hi, 0);
  const scale = Math.fround(hi > lo ? (hi - lo) / 255 : 1 / 255);
  const zeroPoint = Math.min(127, Math.max(-128, Math.round(-128 - lo / scale)));
  return { scale: scale > 0 ? scale : 1e-30, zeroPoint };
}

/** Reads { scale, zeroPoint } from a layer's quant config, refusing anything a kernel would misread. */
export function parseQParams(v: unknown, what: string): QParams {
  const o = v as Partial<QParams> | undefined;
  const s = o?.scale, z = o?.zeroPoint;
  if (typeof s !== 'number' || !(s > 0) || !Number.isFinite(Math.fround(s)) || !(Math.fround(s) > 0) || typeof z !== 'number' || !Number.isInteger(z) || z < -128 || z > 127)
    throw new AxonError('BAD_CONFIG', `${what}: quantization parameters must be { scale: positive finite number, zeroPoint: integer in [-128, 127] }, got ${JSON.stringify(v)?.slice(0, 80)}`);
  return { scale: Math.fround(s), zeroPoint: z };
}

/** Requantization clamp [qmin, qmax] that applies ReLU / ReLU6 in the output's int8 domain. */
export function fusedClamp(act: FusedActivation, out: QParams): [number, number] {
  if (act === 'relu') return [out.zeroPoint, 127];
  if (act === 'relu6') return [out.zeroPoint, Math.max(out.zeroPoint, Math.min(127, out.zeroPoint + Math.round(6 / out.scale)))];
  return [-128, 127];
}

/**
 * Symmetric per-output-channel int8 weights. `w` holds `oc` channels, channel j at index
 * `i % oc === j` (lastAxis, HWIO / depthwise) or in rows (first axis, (OC, ...)). bits 8 → [-127, 127];
 * bits 7 → [-63, 63], the relaxed-SIMD fast path's range. Bias (if any) bounds the scale from below
 * so that its int32 value (bias / (sa * sw)) stays within 2^30.
 */
export function quantizeWeights(w: Float32Array, oc: number, lastAxis: boolean, bits: 7 | 8, sa?: number, bias?: Float32Array): { q: Int8Array; scale: Float32Array } {
  const qmax = bits === 8 ? 127 : 63, per = w.length / oc;
  const amax = new Float64Array(oc);
  for (let i = 0; i < w.length; i++) { const c = lastAxis ? i % oc : Math.floor(i / per); amax[c] = Math.max(amax[c], Math.abs(w[i])); }
  const scale = Float32Array.from(amax, (m, c) => {
    const floor = sa && bias ? Math.abs(bias[c]) / (sa * 2 ** 30) : 0;
    return Math.max(m / qmax, floor, 1e-30);
  });
  const q = Int8Array.from(w, (v, i) => Math.max(-qmax, Math.min(qmax, Math.round(v / scale[lastAxis ? i % oc : Math.floor(i / per)]))));
  return { q, scale };
}

/** int32 bias at scale sa * sw[c] (zeros without a bias). */
export function quantizeBias(bias: Float32Array | undefined, sa: number, sw: Float32Array): Int32Array {
  return Int32Array.from(sw, (s, c) => (bias ? Math.round(bias[c] / (Math.fround(sa) * s)) : 0));
}

/** (KH, KW, C, OC) HWIO → (OC, KH, KW, C): the (N = OC, K = KH*KW*C) operand of the int8 GEMM. */
export function hwioToOhwi(w: Float32Array, oc: number): Float32Array {
  const k = w.length / oc, out = new Float32Array(w.length);
  for (let i = 0; i < k; i++) for (let o = 0; o < oc; o++) out[o * k + i] = w[i * oc + o];
  return out;
}
