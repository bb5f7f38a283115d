// ONNX graph plumbing for the importer: attribute access, constant values (initializers, Constant
// nodes and folded shape arithmetic such as Shape → Gather → Unsqueeze → Concat → Reshape), the
// HardSigmoid·Mul → HardSwish rewrite (torch's opset-13 hardswish), and the graph check that lists
// every node the importer cannot take.
import { AxonError } from '../errors.js';
import { AT, DT, OnnxAttribute, OnnxGraph, OnnxNode, OnnxTensor, tensorValues, toNum } from './onnx_proto.js';
import { prod } from './onnx_layout.js';
import { MASK_OPS, castConst, foldMask } from './onnx_fold.js';
import { DEFAULT_LIMITS, checkTensorSize } from '../format/validate.js';

/** A constant tensor: float values as Float32Array, integer values as Float64Array. */
export { BATCH, type Const } from './onnx_const.js';
import { BATCH, type Const } from './onnx_const.js';

export const nodeLabel = (n: OnnxNode) => `${n.op_type} (${n.name || n.output[0]})`;

export class Attrs {
  private readonly m = new Map<string, OnnxAttribute>();
  constructor(n: OnnxNode) { for (const a of n.attribute ?? []) this.m.set(a.name, a); }
  has(k: string) { return this.m.has(k); }
  int(k: string, d: number): number { const a = this.m.get(k); return a ? toNum(a.i) : d; }
  float(k: string, d: number): number { const a = this.m.get(k); return a ? (a.f ?? 0) : d; }
  ints(k: string, d: number[]): number[] { const a = this.m.get(k); return a ? (a.ints ?? []).map(toNum) : d; }
  floats(k: string): number[] | undefined { return this.m.get(k)?.floats; }
  // (protobufjs gives an attribute without a string an empty default that is not always a Uint8Array)
  str(k: string, d: string): string { const a = this.m.get(k); return a?.s && a.s.length ? new TextDecoder().decode(Uint8Array.from(a.s)) : d; }
  tensor(k: string): OnnxTensor | undefined { return this.m.get(k)?.t; }
  type(k: string): number | undefined { return this.m.get(k)?.type; }
}

/** A folded constant of n values must fit the default per-tensor limit (checked before it is computed). */
const constSize = (n: number) => checkTensorSize(DEFAULT_LIMITS, n, 4, `a constant of ${n} values`);
const ints = (dims: number[], vals: number[]): Const => ({ dims, data: Float64Array.from(vals), float: false });

/** A constant of shape `dims` whose element at multi-index o is x at multi-index src(o). */
function pick(x: Const, dims: number[], src: (o: number[]) => number[]): Const {
  constSize(prod(dims));
  const n = prod(dims), out = x.float ? new Float32Array(n) : new Float64Array(n), xs = x.dims.map((_, i) => prod(x.dims.slice(i + 1)));
  const o = dims.map(() => 0);
  for (let k = 0; k < n; k++) {
    out[k] = x.data[src(o).reduce((s, v, a) => s + v * xs[a], 0)];
    for (let a = dims.length - 1; a >= 0 && ++o[a] === dims[a]; a--) o[a] = 0;
  }
  return { dims, data: out, float: x.float };
}

/** The value of a Constant node. */
export function constantNode(n: OnnxNode): Const {
  const a = new Attrs(n), who = nodeLabel(n);
  const t = a.tensor('value');
  if (t) return tensorValues(t, who);
  if (a.has('value_float')) return { dims: [], data: Float32Array.of(a.float('value_float', 0)), float: true };
  if (a.has('value_floats')) { const f = a.floats('value_floats') ?? []; return { dims: [f.length], data: Float32Array.from(f), float: true }; }
  if (a.has('value_int')) return ints([], [a.int('value_int', 0)]);
  if (a.has('value_ints')) { const v = a.ints('value_ints', []); return ints([v.length], v); }
  throw new AxonError('UNSUPPORTED', `${who}: Constant without a tensor, float(s) or int(s) value (sparse and string constants are not supported)`);
}

const axesOf = (n: OnnxNode, a: Attrs, get: (i: number) => Const | undefined): number[] | undefined => {
  const c = n.input[1] ? get(1) : undefined;
  return c ? Array.from(c.data) : a.has('axes') ? a.ints('axes', []) : undefined;
};

/**
 * Folds a node whose inputs are all constant (`get(i)` returns input i). `shapeOf` gives the full
 * ONNX shape (batch first, BATCH for the batch) of a non-constant input for Shape. Returns
 * undefined when the op is not foldable here.
 */
export function foldNode(n: OnnxNode, get: (i: number) => Const | undefined): Const | undefined {
  const c = fold(n, get);
  // (a hostile Reshape target or the like must not give a constant whose shape lies about its values)
  if (c && !(c.dims.every((d) => Number.isSafeInteger(d) && d >= 0) && prod(c.dims) === c.data.length)) {
    throw new AxonError('BAD_MODEL_FILE', `${n.op_type} on constants gives shape [${c.dims.join(', ')}] for ${c.data.length} values; the file is corrupt`);
  }
  return c;
}

function fold(n: OnnxNode, get: (i: number) => Const | undefined): Const | undefined {
  const a = new Attrs(n), x = get(0);
  if (!x) return undefined;
  switch (n.op_type) {
    case 'Identity': return x;
    case 'Cast': return castConst(x, a.int('to', 1));
    case 'Gather': {
      const idx = get(1); if (!idx) return undefined;
      const axis = (a.int('axis', 0) + x.dims.length) % x.dims.length;
      if (axis !== 0) return undefined;
      const row = prod(x.dims.slice(1)), out: number[] = [];
      for (const i of idx.data) { const r = i < 0 ? i + x.dims[0] : i; for (let k = 0; k < row; k++) out.push(x.data[r * row + k]); }
      return { dims: [...idx.dims, ...x.dims.slice(1)], data: x.float ? Float32Array.from(out) : Float64Array.from(out), float: x.float };
    }
    case 'Unsqueeze': case 'Squeeze': {
      const axes = axesOf(n, a, get);
      let dims = x.dims.slice();
      if (n.op_type === 'Unsqueeze') {
        const r = dims.length + (axes?.length ?? 0);
        for (const ax of (axes ?? []).map((v) => (v < 0 ? v + r : v)).sort((p, q) => p - q)) dims.splice(ax, 0, 1);
      } else {
        const drop = new Set((axes ?? dims.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0)).map((v) => (v < 0 ? v + dims.length : v)));
        dims = dims.filter((_, i) => !drop.has(i));
      }
      return { ...x, dims };
    }
    case 'Concat': {
      const parts = n.input.map((_, i) => get(i));
      if (parts.some((p) => !p || p.dims.length !== 1)) return undefined;
      const vals = parts.flatMap((p) => Array.from(p!.data));
      return { dims: [vals.length], data: x.float ? Float32Array.from(vals) : Float64Array.from(vals), float: x.float };
    }
    case 'Slice': {
      const st = get(1), en = get(2), ax = n.input[3] ? get(3) : undefined, sp = n.input[4] ? get(4) : undefined;
      if (!st || !en) return undefined;
      const r = x.dims.length, lists = x.dims.map((d) => Array.from({ length: d }, (_, i) => i));
      Array.from(st.data).forEach((s0, k) => {
        const axis = ax ? (ax.data[k] + r) % r : k, d = x.dims[axis], step = sp ? sp.data[k] : 1;
        const norm = (v: number) => (v < 0 ? v + d : v);
        const lo = step > 0 ? Math.max(0, Math.min(d, norm(s0))) : Math.max(0, Math.min(d - 1, norm(s0)));
        const hi = step > 0 ? Math.max(0, Math.min(d, norm(en.data[k]))) : Math.max(-1, Math.min(d - 1, norm(en.data[k])));
        const l: number[] = [];
        for (let i = lo; step > 0 ? i < hi : i > hi; i += step) l.push(i);
        lists[axis] = l;
      });
      return pick(x, lists.map((l) => l.length), (out) => out.map((v, a) => lists[a][v]));
    }
    case 'Transpose': {
      const perm = a.ints('perm', x.dims.map((_, i) => x.dims.length - 1 - i));
      return pick(x, perm.map((p) => x.dims[p]), (out) => { const src = new Array<number>(out.length); perm.forEach((p, j) => { src[p] = out[j]; }); return src; });
    }
    case 'Reshape': {
      const t = get(1); if (!t) return undefined;
      const per = Array.from(t.data, (v, i) => (v === 0 ? x.dims[i] : v)), known = prod(per.filter((v) => v !== -1));
      return { ...x, dims: per.map((v) => (v === -1 ? x.data.length / known : v)) };
    }
    case 'ConstantOfShape': {
      const v = a.tensor('value'), val = v ? tensorValues(v, nodeLabel(n)) : { data: Float32Array.of(0), float: true };
      // a size that is the (unknown) batch becomes 1: the tensor is uniform, so it broadcasts the same (zero initial states of recurrent nodes)
      const dims = Array.from(x.data, (d) => (d === BATCH ? 1 : d)), size = prod(dims);
      if (!dims.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new AxonError('BAD_MODEL_FILE', `ConstantOfShape: shape [${dims.slice(0, 8)}] must be non-negative integers`);
      constSize(size);
      return { dims, data: val.float ? new Float32Array(size).fill(val.data[0]) : new Float64Array(size).fill(val.data[0]), float: val.float };
    }
    case 'QuantizeLinear': case 'DequantizeLinear': return quantFold(n, a, x, get);
    case 'Add': case 'Sub': case 'Mul': case 'Div': {
      const y = get(1);
      if (!y || (y.data.length !== 1 && x.data.length !== 1 && x.dims.join() !== y.dims.join())) return foldMask(n, get);
      const f = { Add: (p: number, q: number) => p + q, Sub: (p: number, q: number) => p - q, Mul: (p: number, q: number) => p * q, Div: (p: number, q: number) => (x.float ? p / q : Math.trunc(p / q)) }[n.op_type]!;
      const big = x.data.length >= y.data.length ? x : y, m = big.data.length;
      const vals = Array.from({ length: m }, (_, i) => f(x.data[x.data.length === 1 ? 0 : i], y.data[y.data.length === 1 ? 0 : i]));
      return { dims: big.dims, data: x.float ? Float32Array.from(vals) : Float64Array.from(vals), float: x.float };
    }
  }
  return foldMask(n, get);
}

/** Round half to even (ONNX QuantizeLinear). */
const roundEven = (v: number) => { const r = Math.round(v); return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r; };
const QRANGE: Record<number, [number, number]> = { [DT.UINT8]: [0, 255], [DT.INT8]: [-128, 127], [DT.INT32]: [-(2 ** 31), 2 ** 31 - 1] };

/**
 * QuantizeLinear / DequantizeLinear on a constant (QDQ weight quantization as onnxruntime's
 * quantizer writes it): per tensor (scalar scale) or per axis (1-D scale along `axis`). Dequantize
 * gives f32 weights ((q - zero_point) · scale, in f32 as onnxruntime); Quantize saturates to the zero
 * point's type (uint8 without one) and rounds half to even.
 */
function quantFold(n: OnnxNode, a: Attrs, x: Const, get: (i: number) => Const | undefined): Const | undefined {
  const sc = get(1), zp = n.input[2] ? get(2) : undefined;
  if (!sc || (n.input[2] && !zp)) return undefined;
  const r = x.dims.length, per = sc.data.length > 1, axis = r ? ((a.int('axis', 1) % r) + r) % r : 0;
  if (a.has('block_size') && a.int('block_size', 0)) throw new AxonError('UNSUPPORTED', `${nodeLabel(n)}: blocked quantization (block_size) is not supported`);
  if (per && (sc.dims.length !== 1 || sc.data.length !== x.dims[axis])) throw new AxonError('UNSUPPORTED', `${nodeLabel(n)}: scale of shape [${sc.dims}] does not fit axis ${axis} of [${x.dims}]`);
  if (zp && zp.data.length !== sc.data.length) throw new AxonError('UNSUPPORTED', `${nodeLabel(n)}: zero_point of shape [${zp.dims}] does not match scale [${sc.dims}]`);
  const inner = prod(x.dims.slice(axis + 1)), C = per ? x.dims[axis] : 1, k = (i: number) => (per ? Math.floor(i / inner) % C : 0);
  const z = (i: number) => (zp ? zp.data[k(i)] : 0);
  if (n.op_type === 'DequantizeLinear') return { dims: x.dims, float: true, data: Float32Array.from(x.data, (q, i) => Math.fround(q - z(i)) * sc.data[k(i)]) };
  const dt = zp?.dtype ?? DT.UINT8, range = QRANGE[dt];
  if (!range) throw new AxonError('UNSUPPORTED', `${nodeLabel(n)}: quantization to ONNX data type ${dt} is not supported (uint8, int8, int32)`);
  return { dims: x.dims, float: false, dtype: dt, data: Float64Array.from(x.data, (v, i) => Math.min(range[1], Math.max(range[0], roundEven(Math.fround(v / sc.data[k(i)])) + z(i)))) };
}

/** The Shape op on a tensor of full shape `full` (batch first). */
export function shapeOf(n: OnnxNode, full: number[]): Const {
  const a = new Attrs(n), r = full.length;
  const norm = (v: number) => Math.max(0, Math.min(r, v < 0 ? v + r : v));
  const s = full.slice(norm(a.int('start', 0)), a.has('end') ? norm(a.int('end', r)) : r);
  return ints([s.length], s);
}

/** Ops reading several activations besides the merges: recurrent nodes (their initial states), rewritten attentions (input and mask; onnx_attention.ts ATTENTION_OP). */
const STATE_READERS = /* @__PURE__ */ new Set(['RNN', 'LSTM', 'GRU', 'AxonAttention']);

/** Ops evaluated on constants only (shape arithmetic). */
export const FOLD_ONLY = /* @__PURE__ */ new Set(['Constant', 'ConstantOfShape', 'Shape', 'Gather', 'Unsqueeze', 'Concat', 'Slice', 'Cast', 'QuantizeLinear', 'DequantizeLinear', ...MASK_OPS]);

/**
 * Rewrites torch's opset-13 hardswish, x → HardSigmoid(1/6, 1/2) → Mul(x, ·), into one HardSwish
 * node (one layer instead of a branch and a product). Returns the new node list.
 */
export function fuseHardSwish(g: OnnxGraph): OnnxNode[] {
  const nodes = g.node.slice(), producer = new Map<string, OnnxNode>(), uses = new Map<string, number>();
  for (const n of nodes) { for (const o of n.output) producer.set(o, n); for (const i of n.input) uses.set(i, (uses.get(i) ?? 0) + 1); }
  const drop = new Set<OnnxNode>();
  for (let k = 0; k < nodes.length; k++) {
    const m = nodes[k];
    if (m.op_type !== 'Mul' || m.input.length !== 2) continue;
    for (const j of [0, 1]) {
      const h = producer.get(m.input[j]), x = m.input[1 - j], a = h && new Attrs(h);
      if (!h || !a || h.op_type !== 'HardSigmoid' || h.input[0] !== x || uses.get(h.output[0]) !== 1) continue;
      if (Math.abs(a.float('alpha', 0.2) - 1 / 6) > 1e-6 || Math.abs(a.float('beta', 0.5) - 0.5) > 1e-6) continue;
      nodes[k] = { ...m, op_type: 'HardSwish', input: [x], attribute: [] };
      drop.add(h);
      break;
    }
  }
  return nodes.filter((n) => !drop.has(n));
}

/**
 * Classifies values as constant (initializers, Constant outputs, outputs of nodes with only constant
 * inputs, Shape outputs) or activations, and lists what cannot be imported: unsupported ops, nodes
 * joining several activations that are not merges (`merges`: Add, Concat, …). One line per node.
 */
export function graphProblems(nodes: OnnxNode[], initializers: Set<string>, graphInputs: string[], supported: (n: OnnxNode) => boolean, merges: ReadonlySet<string>): string[] {
  const isConst = new Set(initializers), problems: string[] = [];
  for (const n of nodes) {
    if (n.domain && n.domain !== 'ai.onnx') { problems.push(`${nodeLabel(n)}: domain "${n.domain}" is not supported`); continue; }
    if (!supported(n) && !FOLD_ONLY.has(n.op_type)) problems.push(`${nodeLabel(n)}: op not supported`);
    const acts = n.input.filter((i) => i && !isConst.has(i));
    if (n.op_type === 'Shape' || n.op_type === 'Constant' || acts.length === 0) { n.output.forEach((o) => isConst.add(o)); continue; }
    if (acts.length > 1 && !merges.has(n.op_type) && !STATE_READERS.has(n.op_type)) problems.push(`${nodeLabel(n)}: takes ${acts.length} non-constant inputs (${[...new Set(acts)].join(', ')}); of the ops joining activations only ${[...merges].join(', ')} are supported`);
  }
  if (!graphInputs.length) problems.push('the graph has no non-constant input');
  return problems;
}
