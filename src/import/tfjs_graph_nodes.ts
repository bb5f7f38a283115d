// TensorFlow GraphDef nodes as TF.js graph models store them (model.json's modelTopology.node, the
// protobuf JSON form: ints as strings, strings base64), their attributes, Const values (from the
// weights manifest or an inline tensor), and constant folding of the shape arithmetic converters
// leave in graphs (Shape → StridedSlice → Pack → Reshape, Prod, ConcatV2, Cast, arithmetic).
import { AxonError } from '../errors.js';
import type { Const } from './onnx_graph.js';
import { DEFAULT_LIMITS, checkTensorSize, decodeBase64, numel, own } from '../format/validate.js';

export interface TfAttr {
  s?: string; i?: string | number; f?: number; b?: boolean; type?: string;
  list?: { s?: string[]; i?: Array<string | number>; f?: number[] };
  shape?: TfShape;
  tensor?: TfTensor;
}
export interface TfShape { dim?: { size?: string | number }[]; unknownRank?: boolean }
export interface TfTensor {
  dtype?: string; tensorShape?: TfShape; tensorContent?: string;
  floatVal?: number[]; intVal?: number[]; int64Val?: Array<string | number>; boolVal?: boolean[];
}
export interface TfNode { name: string; op: string; input?: string[]; attr?: Record<string, TfAttr>; device?: string }

export const nodeLabel = (n: TfNode) => `${n.op} (${n.name})`;
/** Unsupported here: the message is reported with the node's label. */
export const unsupported = (msg: string): never => { throw new AxonError('UNSUPPORTED', msg); };

const b64 = (s: unknown) => decodeBase64(s, 'a base64 string attribute or tensor');
const str = (s: unknown) => new TextDecoder().decode(b64(s));
const badAttr = (k: string, want: string, v: unknown): never => { throw new AxonError('BAD_MODEL_FILE', `attribute "${k}" must be ${want}, got ${JSON.stringify(v)?.slice(0, 60)}`); };
const intOf = (k: string, v: unknown): number => {
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isSafeInteger(n) ? n : badAttr(k, 'an integer (or its decimal string)', v);
};

/** A node's attributes in the GraphDef JSON form; every accessor checks the stored value's type. */
export class Attrs {
  private readonly a: Record<string, TfAttr>;
  constructor(a: unknown = {}) {
    if (typeof a !== 'object' || a === null || Array.isArray(a)) badAttr('attr', 'an object', a);
    this.a = a as Record<string, TfAttr>;
  }
  private get(k: string): TfAttr | undefined {
    const v = Object.prototype.hasOwnProperty.call(this.a, k) ? this.a[k] : undefined;
    if (v !== undefined && (typeof v !== 'object' || v === null)) badAttr(k, 'an object', v);
    return v;
  }
  private list(k: string, f: 's' | 'i'): unknown[] | undefined {
    const l = this.get(k)?.list;
    if (l === undefined) return undefined;
    if (typeof l !== 'object' || l === null) return badAttr(k, 'a list', l);
    const v = l[f] ?? [];
    return Array.isArray(v) && v.length <= 1024 ? v : badAttr(`${k}.list.${f}`, 'a list of at most 1024 values', v);
  }
  has(k: string) { return this.get(k) !== undefined; }
  str(k: string, d: string): string { const v = this.get(k)?.s; return v === undefined ? d : str(v); }
  int(k: string, d: number): number { const v = this.get(k)?.i; return v === undefined ? d : intOf(k, v); }
  float(k: string, d: number): number { const v = this.get(k)?.f; return v === undefined ? d : typeof v === 'number' ? v : badAttr(k, 'a number', v); }
  bool(k: string, d: boolean): boolean { const v = this.get(k)?.b; return v === undefined ? d : typeof v === 'boolean' ? v : badAttr(k, 'true or false', v); }
  ints(k: string, d: number[]): number[] { const v = this.list(k, 'i'); return v ? v.map((x) => intOf(k, x)) : d; }
  strs(k: string): string[] { return (this.list(k, 's') ?? []).map(str); }
  type(k: string): string | undefined { const v = this.get(k)?.type; return v === undefined || typeof v === 'string' ? v : badAttr(k, 'a type name', v); }
  shape(k: string): number[] | undefined {
    const s = this.get(k)?.shape;
    if (!s || s.unknownRank) return undefined;
    return shapeDims(s, k);
  }
  tensor(k: string): TfTensor | undefined { const t = this.get(k)?.tensor; return t === undefined || (typeof t === 'object' && t !== null) ? t : badAttr(k, 'a tensor', t); }
}

/** The sizes of a TensorShapeProto (-1 for unknown), checked: at most 8 integers >= -1. */
function shapeDims(s: TfShape, k: string): number[] {
  const dim = s.dim ?? [];
  if (!Array.isArray(dim) || dim.length > 8) return badAttr(`${k}.dim`, 'a list of at most 8 sizes', dim);
  return dim.map((d) => { const v = intOf(`${k}.dim.size`, (d as { size?: unknown })?.size ?? -1); return v >= -1 ? v : badAttr(`${k}.dim.size`, 'a size >= -1', v); });
}

const INT_TYPES = new Set(['DT_INT32', 'DT_INT64', 'DT_INT16', 'DT_INT8', 'DT_UINT8', 'DT_BOOL']);
export const isIntType = (t: string | undefined) => t !== undefined && INT_TYPES.has(t);
const prod = (d: number[]) => d.reduce((a, b) => a * b, 1);
export const ints = (dims: number[], vals: ArrayLike<number>): Const => ({ dims, data: Float64Array.from(vals), float: false });
const make = (dims: number[], vals: ArrayLike<number>, float: boolean): Const => (float ? { dims, data: Float32Array.from(vals), float } : ints(dims, vals));

/** A Const node's value: its weight (by node name) or its inline tensor. Undefined when it has neither. */
export function constValue(n: TfNode, weight: { dims: number[]; data: Float32Array } | undefined): Const | undefined {
  const a = new Attrs(n.attr), dtype = a.type('dtype') ?? a.tensor('value')?.dtype, float = !isIntType(dtype);
  if (weight) return make(weight.dims, weight.data, float);
  const t = a.tensor('value');
  if (!t) return undefined;
  const dims = shapeDims(t.tensorShape ?? {}, 'value.tensorShape').map((d) => Math.max(d, 0)), n0 = numel(dims);
  checkTensorSize(DEFAULT_LIMITS, n0, 4, `an inline tensor of shape [${dims}]`);
  let vals: ArrayLike<number> | undefined;
  if (t.tensorContent) {
    const u = b64(t.tensorContent), dv = new DataView(u.buffer);
    const bytes = dtype === 'DT_INT64' || dtype === 'DT_DOUBLE' ? 8 : 4;
    vals = Array.from({ length: u.length / bytes }, (_, i) => (dtype === 'DT_FLOAT' ? dv.getFloat32(i * 4, true) : dtype === 'DT_INT32' ? dv.getInt32(i * 4, true)
      : dtype === 'DT_INT64' ? Number(dv.getBigInt64(i * 8, true)) : dtype === 'DT_DOUBLE' ? dv.getFloat64(i * 8, true) : NaN));
    if (Array.from(vals).some(Number.isNaN)) return unsupported(`inline tensor of type ${dtype} is not supported (float32, float64, int32, int64)`);
  } else {
    const raw = t.floatVal ?? t.intVal ?? t.int64Val ?? t.boolVal;
    if (raw === undefined) return undefined;
    if (!Array.isArray(raw) || (raw.length === 0 && n0 > 0)) throw new AxonError('BAD_MODEL_FILE', 'an inline tensor\'s values must be a non-empty list');
    const v = (raw as unknown[]).map(Number);
    vals = v.length === n0 ? v : Array.from({ length: n0 }, (_, i) => v[Math.min(i, v.length - 1)]);   // TF repeats the last value
  }
  return make(dims, vals, float);
}

/** Normalizes a (possibly negative) axis for rank r. */
export const axisOf = (ax: number, r: number) => (ax < 0 ? ax + r : ax);

/** 1-D StridedSlice with begin/end/shrink masks (shape vectors). */
function stridedSlice(x: Const, b: Const, e: Const, s: Const, a: Attrs): Const | undefined {
  if (x.dims.length !== 1 || b.data.length !== 1 || a.int('ellipsis_mask', 0) || a.int('new_axis_mask', 0)) return undefined;
  const d = x.dims[0], st = s.data[0], norm = (v: number) => (v < 0 ? v + d : v);
  if (a.int('shrink_axis_mask', 0) & 1) { const i = norm(b.data[0]); return { dims: [], data: x.data.slice(i, i + 1), float: x.float }; }
  const lo = a.int('begin_mask', 0) & 1 ? (st > 0 ? 0 : d - 1) : Math.min(Math.max(norm(b.data[0]), st > 0 ? 0 : -1), st > 0 ? d : d - 1);
  const hi = a.int('end_mask', 0) & 1 ? (st > 0 ? d : -1) : Math.min(Math.max(norm(e.data[0]), st > 0 ? 0 : -1), st > 0 ? d : d - 1);
  const out: number[] = [];
  for (let i = lo; st > 0 ? i < hi : i > hi; i += st) out.push(x.data[i]);
  return make([out.length], out, x.float);
}

const ARITH: Record<string, (p: number, q: number) => number> = {
  Add: (p, q) => p + q, AddV2: (p, q) => p + q, Sub: (p, q) => p - q, Mul: (p, q) => p * q,
  RealDiv: (p, q) => p / q, FloorDiv: (p, q) => Math.floor(p / q), Maximum: (p, q) => Math.max(p, q), Minimum: (p, q) => Math.min(p, q),
};

/**
 * The value of node n when all its inputs (`get(i)`) are constants, or undefined when the op is not
 * folded here. (Shapes of activations hold BATCH for the batch size.)
 */
export function foldNode(n: TfNode, get: (i: number) => Const): Const | undefined {
  const a = new Attrs(n.attr), k = n.input?.length ?? 0, x = get(0);
  switch (n.op) {
    case 'Identity': case 'StopGradient': case 'Snapshot': return x;
    case 'Shape': return ints([x.dims.length], x.dims);
    case 'Cast': { const f = !isIntType(a.type('DstT')); return make(x.dims, f ? x.data : Array.from(x.data, Math.trunc), f); }
    case 'StridedSlice': return stridedSlice(x, get(1), get(2), get(3), a);
    case 'Pack': case 'ConcatV2': {
      const parts = Array.from({ length: n.op === 'Pack' ? k : k - 1 }, (_, i) => get(i));
      const axis = n.op === 'Pack' ? a.int('axis', 0) : get(k - 1).data[0];
      if (axis !== 0 || parts.some((p) => p.dims.length !== (n.op === 'Pack' ? 0 : 1))) return undefined;
      const vals = parts.flatMap((p) => Array.from(p.data));
      return make([vals.length], vals, x.float);
    }
    case 'Prod': {
      const ax = Array.from(get(1).data);
      if (x.dims.length !== 1 || (ax.length && axisOf(ax[0], 1) !== 0)) return undefined;
      const p = x.data.length ? Array.from(x.data).reduce((s, v) => s * v, 1) : 1;
      return make(a.bool('keep_dims', false) ? [1] : [], [p], x.float);
    }
    case 'Reshape': {
      const t = Array.from(get(1).data), known = prod(t.filter((v) => v !== -1));
      return { ...x, dims: t.map((v) => (v === -1 ? x.data.length / known : v)) };
    }
    case 'ExpandDims': { const dims = x.dims.slice(); dims.splice(axisOf(get(1).data[0], dims.length + 1), 0, 1); return { ...x, dims }; }
    case 'Squeeze': {
      const ax = a.ints('squeeze_dims', a.ints('axis', [])).map((v) => axisOf(v, x.dims.length));
      return { ...x, dims: x.dims.filter((d, i) => (ax.length ? !ax.includes(i) : d !== 1)) };
    }
  }
  const f = own(ARITH, n.op);
  if (!f || k !== 2) return undefined;
  const y = get(1);
  if (y.data.length !== 1 && x.data.length !== 1 && x.data.length !== y.data.length) return undefined;
  const big = x.data.length >= y.data.length ? x : y;
  const vals = Array.from({ length: big.data.length }, (_, i) => f(x.data[x.data.length === 1 ? 0 : i], y.data[y.data.length === 1 ? 0 : i]));
  return make(big.dims, vals, x.float);
}

/** Ops evaluated on constants only (shape arithmetic); ARITH ops also run on activations. */
export const FOLD_ONLY = /* @__PURE__ */ new Set(['Shape', 'Cast', 'StridedSlice', 'Pack', 'Prod', 'FloorDiv', 'Maximum', 'Minimum', 'Const', 'NoOp']);
