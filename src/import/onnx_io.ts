// ONNX graph inputs and outputs ⇄ the Axon model's: element types (float → f32, int32 / int64 →
// i32, anything else refused naming the input), which axis is the batch (0; 1 for a time-major
// sequence read by a recurrent node as it is, and for recurrent initial states (L·D, N, H)), open
// dimensions (a dim_param on a non-batch axis → null), Axon input names, and the data conversions:
// ONNX layout → Axon (batch moved first, channels-last where the importer holds the input so;
// int64 values range-checked to int32) and back for outputs.
import { AxonError } from '../errors.js';
import { Tensor } from '../runtime/tensor.js';
import type { InputDtype } from '../model/inputs.js';
import { MODEL_INPUT, sanitizeName } from '../model/names.js';
import type { OnnxNode, OnnxValueInfo } from './onnx_proto.js';
import { toNum } from './onnx_proto.js';
import { Attrs } from './onnx_graph.js';
import { Act, applyOrder, isIdentity, orderOf, prod } from './onnx_layout.js';

/** A graph input as the importer takes it. */
export interface GraphInput {
  /** the ONNX name, and the Axon model input's (sanitized) */
  onnx: string; name: string;
  dtype: InputDtype;
  /** the ONNX type: 1 float, 6 int32, 7 int64 */
  elem: number;
  /** where the batch sits in the ONNX tensor; its size when the graph fixes it */
  batchAxis: number; staticBatch?: number;
  /** per-sample ONNX shape (batch axis removed); null: an open dimension */
  per: Array<number | null>;
}

const TYPE_NAMES: Record<number, string> = {
  0: 'undefined', 1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool',
  10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64', 14: 'complex64', 15: 'complex128', 16: 'bfloat16',
};
export const onnxTypeName = (t: number): string => TYPE_NAMES[t] ?? `type ${t}`;
const RECURRENT = new Set(['RNN', 'LSTM', 'GRU']);

/**
 * Where the batch is in graph input `name`: 1 when a recurrent node reads it as its sequence X
 * (time-major (T, N, I)) or as an initial state (directly or through a Slice / Gather of axis 0, as
 * torch writes per layer), else 0.
 */
function batchAxisOf(name: string, nodes: OnnxNode[]): number {
  const readers = (v: string) => nodes.filter((n) => n.input.includes(v));
  const isState = (n: OnnxNode, v: string) => RECURRENT.has(n.op_type) && (n.input[5] === v || n.input[6] === v);
  for (const n of readers(name)) {
    if (RECURRENT.has(n.op_type) && (n.input[0] === name || isState(n, name))) return 1;
    const axis0 = n.op_type === 'Gather' ? new Attrs(n).int('axis', 0) === 0 : n.op_type === 'Slice';
    if (axis0 && n.input[0] === name && readers(n.output[0]).some((m) => isState(m, n.output[0]))) return 1;
  }
  return 0;
}

/** The graph's non-constant inputs, checked: element type, rank, batch axis, open dimensions. */
export function graphInputs(vis: OnnxValueInfo[], nodes: OnnxNode[], file: string): GraphInput[] {
  const used = new Set<string>();
  return vis.map((vi, k) => {
    const tt = vi.type?.tensor_type, elem = tt?.elem_type ?? 1, who = `${file}: input "${vi.name}"`;
    if (elem !== 1 && elem !== 6 && elem !== 7)
      throw new AxonError('BAD_DTYPE', `${who} is ${onnxTypeName(elem)}; Axon takes float32 inputs and int32 / int64 ones (ids, masks) as i32: re-export it as float32 (e.g. model.float() and a float32 example input) or int64`);
    const dims = tt?.shape?.dim ?? [];
    if (dims.length < 2) throw new AxonError('UNSUPPORTED', `${who} has rank ${dims.length}; the importer needs a batch axis and at least one more (per-sample) axis`);
    const batchAxis = batchAxisOf(vi.name, nodes);
    const size = (i: number) => { const d = dims[i], v = d.dim_value !== undefined ? toNum(d.dim_value) : 0; return v > 0 ? v : null; };
    const per = dims.map((_, i) => size(i)).filter((_, i) => i !== batchAxis), b = size(batchAxis);
    // a unique, valid Axon input name (the ONNX name when it is one)
    let name = vi.name === MODEL_INPUT ? vi.name : sanitizeName(vi.name);   // ('input' is a fine input name; sanitizeName keeps it for the model's default input)
    if (!/^[A-Za-z_]/.test(name)) name = `in_${name}`;
    while (used.has(name)) name = `${name}_${k}`;
    used.add(name);
    return { onnx: vi.name, name, dtype: elem === 1 ? 'f32' : 'i32', elem, batchAxis, ...(b !== null ? { staticBatch: b } : {}), per };
  });
}

/** Moves axis `from` of a row-major tensor of shape `dims` to position `to` (the batch axis between ONNX and Axon). */
export function moveAxis<A extends Float32Array | Int32Array | Float64Array>(data: A, dims: number[], from: number, to: number): A {
  if (from === to) return data;
  const perm = dims.map((_, i) => i);
  perm.splice(to, 0, perm.splice(from, 1)[0]);
  const nd = perm.map((p) => dims[p]), st = dims.map((_, i) => prod(dims.slice(i + 1)));
  const out = new (data.constructor as new (n: number) => A)(data.length), idx = nd.map(() => 0);
  for (let j = 0; j < out.length; j++) {
    let src = 0;
    for (let a = 0; a < nd.length; a++) src += idx[a] * st[perm[a]];
    out[j] = data[src];
    for (let a = nd.length - 1; a >= 0 && ++idx[a] === nd[a]; a--) idx[a] = 0;
  }
  return out;
}

/** What toAxonInput takes: values in the ONNX layout (int64 as BigInt64Array or numbers). */
export type OnnxData = ArrayLike<number> | BigInt64Array;

/**
 * ONNX-layout data of input `gi` (full dims `dims`; default: the fixed per-sample shape with the
 * batch inferred) → the Axon model's input tensor. `act`: the importer's layout of the input.
 */
export function toAxon(gi: GraphInput, act: Act, data: OnnxData, dims?: number[]): Tensor {
  const who = `toAxonInput: input "${gi.onnx}"`;
  const fixed = gi.per.every((d) => d !== null) ? (gi.per as number[]) : undefined;
  if (!dims) {
    if (!fixed) throw new AxonError('BAD_ARGUMENT', `${who} has open dimensions [${gi.per.map((d) => d ?? '?')}]; pass its full ONNX dims too`);
    const S = prod(fixed);
    if (data.length % S) throw new AxonError('BAD_SHAPE', `${who}: ${data.length} values are not a whole number of samples of shape [${fixed}]`);
    dims = fixed.slice();
    dims.splice(gi.batchAxis, 0, data.length / S);
  }
  const per = dims.filter((_, i) => i !== gi.batchAxis);
  if (dims.length !== gi.per.length + 1 || per.some((d, i) => gi.per[i] !== null && d !== gi.per[i]) || prod(dims) !== data.length || dims.some((d) => !Number.isInteger(d) || d < 1))
    throw new AxonError('BAD_SHAPE', `${who}: dims [${dims}] (${data.length} values) do not fit the input's shape [${dimsText(gi)}]`);
  const N = dims[gi.batchAxis];
  if (gi.dtype === 'i32') {
    const v = new Int32Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const x = Number(data[i]);
      if (!Number.isInteger(x) || x < -(2 ** 31) || x > 2 ** 31 - 1) throw new AxonError('BAD_DATA', `${who}: value ${String(data[i])} at ${i} is not an int32 (Axon keeps ${onnxTypeName(gi.elem)} ids and masks as int32: [-2147483648, 2147483647])`);
      v[i] = x;
    }
    return new Tensor(moveAxis(v, dims, gi.batchAxis, 0), [N, ...per], 'i32');
  }
  if (data instanceof BigInt64Array) throw new AxonError('BAD_DTYPE', `${who} is float32; pass numbers (a Float32Array), not int64 values`);
  const f = moveAxis(Float32Array.from(data as ArrayLike<number>), dims, gi.batchAxis, 0);
  return new Tensor(isIdentity(act.order) ? f : applyOrder(f, orderOf(act)), [N, ...(act.order ? act.axon : per)]);
}

const dimsText = (gi: GraphInput) => { const s: Array<number | string> = gi.per.map((d) => d ?? '?'); s.splice(gi.batchAxis, 0, 'N'); return s.join(', '); };

/** A graph output: the Axon output it comes from and how to bring it back to the ONNX layout. */
export interface GraphOutput {
  onnx: string; ref: string; act: Act; batchAxis: number;
  /** the per-sample ONNX shape, null where it follows an open input dimension (then act.order is the identity) */
  per: Array<number | null>;
}

/** The Axon output y of `go` in the ONNX layout, with its ONNX dims. */
export function toOnnx(go: GraphOutput, y: Tensor): { data: Float32Array; dims: number[] } {
  const N = y.shape[0], count = y.data.length / Math.max(N, 1);
  let per: number[];
  if (go.per.every((d) => d !== null)) per = go.per as number[];
  else if (go.per.filter((d) => d === null).length === 1) { const known = prod(go.per.filter((d): d is number => d !== null)); per = go.per.map((d) => d ?? count / known); }
  else per = y.shape.slice(1);
  const flat = isIdentity(go.act.order) ? Float32Array.from(y.data) : applyOrder(y.data, orderOf(go.act), true);
  const out = moveAxis(flat, [N, ...per], 0, go.batchAxis), dims = per.slice();
  dims.splice(go.batchAxis, 0, N);
  return { data: out, dims };
}
