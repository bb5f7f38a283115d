// Layout bookkeeping for the ONNX importer. ONNX tensors are channels-first (N, C, H, W); Axon's
// are channels-last (N, H, W, C). Instead of transposing at run time, the importer tracks, for the
// current activation, which ONNX element each Axon element holds (`order`), and moves the
// permutation into weights where it meets one: Gemm columns after a Flatten, Dense rows before a
// Reshape to (C, H, W), per-channel vectors of BatchNormalization. Transposes cost nothing.
import { DEFAULT_LIMITS, checkTensorSize } from '../format/validate.js';

/** The current activation, per sample (no batch axis). order[i] = ONNX flat index of Axon flat index i; null = same order. */
export interface Act { onnx: number[]; axon: number[]; order: Int32Array | null }

export const prod = (d: readonly number[]) => d.reduce((a, b) => a * b, 1);
/** An order array of n entries; per-sample sizes past the limit are refused before the allocation. */
const orderArray = (n: number): Int32Array => { checkTensorSize(DEFAULT_LIMITS, n, 4, `an activation of ${n} values per sample`); return new Int32Array(n); };
const iota = (n: number) => orderArray(n).map((_, i) => i);
export const orderOf = (a: Act): Int32Array => a.order ?? iota(prod(a.onnx));

/** The order of a channels-last Axon tensor (...spatial, C) holding ONNX (C, ...spatial). */
export function channelsLastOrder(onnx: readonly number[]): Int32Array {
  const C = onnx[0], S = prod(onnx.slice(1)), o = orderArray(C * S);
  for (let s = 0; s < S; s++) for (let c = 0; c < C; c++) o[s * C + c] = c * S + s;
  return o;
}
export const channelsLastShape = (onnx: readonly number[]) => [...onnx.slice(1), onnx[0]];

export function sameOrder(a: Int32Array | null, b: Int32Array | null): boolean {
  if (a === null && b === null) return true;
  const x = a ?? iota((b as Int32Array).length), y = b ?? iota(x.length);
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
export const isIdentity = (o: Int32Array | null) => o === null || o.every((v, i) => v === i);

/** Strides of a row-major shape. */
const strides = (s: readonly number[]) => s.map((_, i) => prod(s.slice(i + 1)));

/** Transpose of the ONNX tensor by a per-sample permutation p (new dim j = old dim p[j]): the new order. */
export function transposeOrder(a: Act, p: number[]): { onnx: number[]; order: Int32Array } {
  const s = a.onnx, ns = p.map((k) => s[k]), st = strides(s), nst = strides(ns), n = prod(s);
  const oldToNew = orderArray(n);
  for (let j = 0; j < n; j++) {   // j: new flat index → its old flat index
    let r = j, old = 0;
    for (let d = 0; d < ns.length; d++) { const q = Math.floor(r / nst[d]); r -= q * nst[d]; old += q * st[p[d]]; }
    oldToNew[old] = j;
  }
  const o = orderOf(a), order = orderArray(n);
  for (let i = 0; i < n; i++) order[i] = oldToNew[o[i]];
  return { onnx: ns, order };
}

/**
 * A constant broadcast against the per-sample ONNX shape (NumPy rules, the batch axis must be 1),
 * read in the Axon order: one value per Axon element. Undefined when it does not broadcast.
 */
export function broadcastToAxon(dims: number[], data: ArrayLike<number>, a: Act): Float32Array | undefined {
  const full = [1, ...a.onnx];
  if (dims.length > full.length) return undefined;
  const cd = [...Array(full.length - dims.length).fill(1), ...dims];
  if (cd[0] !== 1 || cd.some((d, i) => d !== 1 && d !== full[i])) return undefined;
  const cst = strides(cd), ost = strides(a.onnx), o = orderOf(a), out = new Float32Array(o.length);
  for (let i = 0; i < o.length; i++) {
    let r = o[i], k = 0;
    for (let d = 0; d < a.onnx.length; d++) { const q = Math.floor(r / ost[d]); r -= q * ost[d]; if (cd[d + 1] !== 1) k += q * cst[d + 1]; }
    out[i] = data[k];
  }
  return out;
}

/** v (one value per Axon element) as one value per position of the last L-sized axis, or undefined when it varies otherwise. */
export function perLastAxis(v: Float32Array, L: number): Float32Array | undefined {
  for (let i = L; i < v.length; i++) if (v[i] !== v[i % L]) return undefined;
  return v.slice(0, L);
}

/** Whether the Axon rows of the last axis (length L) are exactly the ONNX rows along per-sample axis `ax`. */
export function lastAxisIs(a: Act, ax: number): boolean {
  const L = a.axon[a.axon.length - 1];
  if (a.onnx[ax] !== L) return false;
  const st = strides(a.onnx)[ax], o = orderOf(a);
  const rowId = (j: number) => Math.floor(j / (st * L)) * st + (j % st);
  for (let i = 0; i < o.length; i++) if (rowId(o[i]) !== rowId(o[i - (i % L)])) return false;
  return true;
}

/** Permutes a per-sample NCHW (channels-first) batch to channels-last, or back (`inverse`). */
export function applyOrder(data: ArrayLike<number>, order: Int32Array, inverse = false): Float32Array {
  const S = order.length, out = new Float32Array(data.length);
  for (let b = 0; b < data.length; b += S) {
    if (inverse) for (let i = 0; i < S; i++) out[b + order[i]] = data[b + i];
    else for (let i = 0; i < S; i++) out[b + i] = data[b + order[i]];
  }
  return out;
}

/**
 * When the Axon tensor is a transpose of the ONNX one (each Axon axis is one ONNX axis; size-1 axes
 * may be left out): the ONNX axis of each Axon axis (-1 for an unmatched size-1 axis). Otherwise
 * null (e.g. a Flatten or Reshape mixed axes).
 */
export function axonAxes(a: Act): number[] | null {
  const s = a.onnx, A = a.axon, o = orderOf(a), ost = strides(s), ast = strides(A);
  if (prod(A) !== o.length || o[0] !== 0) return null;
  const pi = A.map((d, i) => (d === 1 ? -1 : s.findIndex((sq, q) => sq === d && o[ast[i]] === ost[q])));
  const used = pi.filter((p) => p >= 0);
  if (A.some((d, i) => d !== 1 && pi[i] < 0) || new Set(used).size !== used.length || s.some((d, q) => d !== 1 && !used.includes(q))) return null;
  const want = axesOrder(A, pi, s);
  return o.every((v, j) => v === want[j]) ? pi : null;
}

/** The order of an Axon tensor of shape A whose axis i is ONNX axis pi[i] (-1: size 1) of an ONNX tensor of shape s. */
export function axesOrder(A: number[], pi: number[], s: number[]): Int32Array {
  const ost = strides(s), o = orderArray(prod(A)), m = A.map(() => 0);
  for (let j = 0; j < o.length; j++) {
    o[j] = m.reduce((acc, v, i) => acc + (pi[i] >= 0 ? v * ost[pi[i]] : 0), 0);
    for (let i = m.length - 1; i >= 0 && ++m[i] === A[i]; i--) m[i] = 0;
  }
  return o;
}
