// Constant folding for mask and shape arithmetic beyond onnx_graph.ts's basics: a small interpreter
// over constant tensors (float as Float32Array, integers and booleans as Float64Array) with NumPy
// broadcasting: Expand, Where, Equal / Less / Greater (and their OrEqual forms), Not / And / Or,
// Range, Neg / Abs / Sqrt / Exp, Pow, Min / Max, Mod, and Add / Sub / Mul / Div on any broadcastable
// shapes. The unknown batch size (BATCH) may pass through Where / Equal (torch's x.size(0)-based
// expands) and stands as 1 where a tensor is expanded along it (the value is the same for every
// sample); an order comparison or a Range over it cannot be evaluated (the caller refuses the node).
import type { OnnxNode } from './onnx_proto.js';
import { BATCH, Const } from './onnx_const.js';
import { prod } from './onnx_layout.js';
import { DEFAULT_LIMITS, checkTensorSize } from '../format/validate.js';

const isBatch = (v: number) => v === BATCH;

/** The broadcast shape of `shapes` (NumPy rules), or undefined when they do not broadcast. */
function broadcastShape(shapes: number[][]): number[] | undefined {
  const r = Math.max(...shapes.map((s) => s.length)), out = Array<number>(r).fill(1);
  for (const s of shapes) for (let i = 0; i < s.length; i++) {
    const j = r - s.length + i, d = s[i];
    if (d === 1) continue;
    if (out[j] !== 1 && out[j] !== d) return undefined;
    out[j] = d;
  }
  return out;
}

/** Elementwise f over constants broadcast together. */
function broadcastMap(xs: Const[], float: boolean, f: (v: number[]) => number): Const | undefined {
  const dims = broadcastShape(xs.map((x) => x.dims));
  if (!dims) return undefined;
  checkTensorSize(DEFAULT_LIMITS, prod(dims), 4, `a constant of shape [${dims.slice(0, 8)}]`);
  const n = prod(dims), out = float ? new Float32Array(n) : new Float64Array(n), idx = dims.map(() => 0);
  const strides = xs.map((x) => { const st = x.dims.map((_, i) => prod(x.dims.slice(i + 1))); return dims.map((_, j) => { const i = j - (dims.length - x.dims.length); return i < 0 || x.dims[i] === 1 ? 0 : st[i]; }); });
  const vals = new Array<number>(xs.length);
  for (let k = 0; k < n; k++) {
    for (let q = 0; q < xs.length; q++) { let o = 0; for (let a = 0; a < dims.length; a++) o += idx[a] * strides[q][a]; vals[q] = xs[q].data[o]; }
    out[k] = f(vals);
    for (let a = dims.length - 1; a >= 0 && ++idx[a] === dims[a]; a--) idx[a] = 0;
  }
  return { dims, data: out, float };
}

const ints = (dims: number[], vals: ArrayLike<number>): Const => ({ dims, data: Float64Array.from(vals), float: false });
const anyBatch = (...xs: Const[]) => xs.some((x) => x.data.some(isBatch));

const COMPARE: Record<string, (p: number, q: number) => boolean> = {
  Equal: (p, q) => p === q, Less: (p, q) => p < q, Greater: (p, q) => p > q, LessOrEqual: (p, q) => p <= q, GreaterOrEqual: (p, q) => p >= q,
};
const UNARY: Record<string, (v: number) => number> = { Neg: (v) => -v, Abs: Math.abs, Sqrt: Math.sqrt, Exp: Math.exp, Not: (v) => (v ? 0 : 1), Floor: Math.floor, Ceil: Math.ceil };
const BINARY: Record<string, (p: number, q: number, float: boolean) => number> = {
  Add: (p, q) => p + q, Sub: (p, q) => p - q, Mul: (p, q) => p * q, Div: (p, q, f) => (f ? p / q : Math.trunc(p / q)),
  Pow: (p, q) => p ** q, Min: (p, q) => Math.min(p, q), Max: (p, q) => Math.max(p, q), Mod: (p, q) => p - Math.floor(p / q) * q,
  And: (p, q) => (p && q ? 1 : 0), Or: (p, q) => (p || q ? 1 : 0),
};
/** The ops this file folds. */
export const MASK_OPS = /* @__PURE__ */ new Set(['Expand', 'Where', 'Range', ...Object.keys(COMPARE), ...Object.keys(UNARY), ...Object.keys(BINARY)]);

/** Folds `n` on constant inputs (`get(i)`: input i); undefined when it cannot be evaluated here. */
export function foldMask(n: OnnxNode, get: (i: number) => Const | undefined): Const | undefined {
  const op = n.op_type, ins = n.input.map((name, i) => (name ? get(i) : undefined));
  if (ins.some((x, i) => n.input[i] && !x)) return undefined;
  const [x, y, z] = ins as Const[];
  // (a node with fewer inputs than its op reads cannot be evaluated)
  if (!x || ((op in BINARY || op in COMPARE || op === 'Expand') && !y) || ((op === 'Where' || op === 'Range') && (!y || !z))) return undefined;
  if (op === 'Expand') {
    const shape = Array.from(y.data, (d) => (isBatch(d) ? 1 : d));   // (the value is the same for every sample)
    if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) return undefined;
    if (Array.from(y.data).some((d, i) => isBatch(d) && (x.dims[x.dims.length - y.data.length + i] ?? 1) !== 1)) return undefined;
    return broadcastMap([x, { dims: shape, data: new Float64Array(prod(shape)), float: false }], x.float, (v) => v[0]);
  }
  if (op === 'Where') return broadcastMap([x, y, z], y.float || z.float, (v) => (v[0] ? v[1] : v[2]));
  if (op === 'Range') {
    if (anyBatch(x, y, z) || !z.data[0]) return undefined;
    const [s, l, d] = [x.data[0], y.data[0], z.data[0]], len = Math.max(Math.ceil((l - s) / d), 0);
    if (!Number.isSafeInteger(len)) return undefined;
    checkTensorSize(DEFAULT_LIMITS, len, 4, `a Range of ${len} values`);
    const vals = Array.from({ length: len }, (_, i) => s + i * d);
    return x.float ? { dims: [len], data: Float32Array.from(vals), float: true } : ints([len], vals);
  }
  if (op in COMPARE) {
    if (op !== 'Equal' && anyBatch(x, y)) return undefined;   // (the batch size is unknown at import)
    return broadcastMap([x, y], false, (v) => (COMPARE[op](v[0], v[1]) ? 1 : 0));
  }
  if (op in UNARY) {
    if (anyBatch(x)) return undefined;
    return { dims: x.dims, data: x.float ? Float32Array.from(x.data, UNARY[op]) : Float64Array.from(x.data, UNARY[op]), float: x.float };
  }
  if (op in BINARY) {
    if (anyBatch(x, y) && op !== 'Mul' && op !== 'Add' && op !== 'Sub') return undefined;
    const float = x.float || y.float;
    return broadcastMap([x, y], float, (v) => BINARY[op](v[0], v[1], float));
  }
  return undefined;
}

/** Cast of a constant: float types stay Float32Array, bool is 0 / 1, other integers truncate. */
export function castConst(x: Const, to: number): Const {
  if (to === 1 || to === 10 || to === 11) return { dims: x.dims, data: Float32Array.from(x.data), float: true };
  return { dims: x.dims, data: Float64Array.from(x.data, to === 9 ? (v) => (v ? 1 : 0) : Math.trunc), float: false };
}
