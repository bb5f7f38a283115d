// ONNX ModelProto ⇄ bytes through protobufjs (reflection over ONNX_SCHEMA), plain TypeScript shapes
// of the decoded messages, and TensorProto ⇄ typed arrays.
// NOTE: protobufjs is loaded on first use (dynamic import), so bundles that never import or export
// ONNX do not carry it. It generates its decoders with `new Function`, which Cloudflare Workers (and
// pages with a strict CSP) refuse: convert models in Node or a normal page, ship the Axon model file.
import type * as Protobuf from 'protobufjs/light.js';
import { AxonError } from '../errors.js';
import { onnxSchema } from './onnx_schema.js';
import { DEFAULT_LIMITS, Limits, checkTensorSize, numel } from '../format/validate.js';

type Int = number | { toNumber(): number };
export interface OnnxTensor { name?: string; dims?: Int[]; data_type?: number; float_data?: number[]; int32_data?: number[]; int64_data?: Int[]; double_data?: number[]; raw_data?: Uint8Array; data_location?: number }
export interface OnnxAttribute { name: string; type?: number; f?: number; i?: Int; s?: Uint8Array; t?: OnnxTensor; floats?: number[]; ints?: Int[] }
export interface OnnxNode { input: string[]; output: string[]; name?: string; op_type: string; domain?: string; attribute?: OnnxAttribute[] }
export interface OnnxDim { dim_value?: Int; dim_param?: string }
export interface OnnxValueInfo { name: string; type?: { tensor_type?: { elem_type?: number; shape?: { dim?: OnnxDim[] } } } }
export interface OnnxGraph { node: OnnxNode[]; name?: string; initializer?: OnnxTensor[]; input?: OnnxValueInfo[]; output?: OnnxValueInfo[]; value_info?: OnnxValueInfo[] }
export interface OnnxModel { ir_version?: Int; opset_import?: { domain?: string; version?: Int }[]; producer_name?: string; producer_version?: string; graph?: OnnxGraph; doc_string?: string; metadata_props?: { key: string; value: string }[] }

/** TensorProto.DataType values this code reads or writes. */
export const DT = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10, DOUBLE: 11 } as const;
/** AttributeProto.AttributeType values. */
export const AT = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

let modelType: Promise<Protobuf.Type> | undefined;
const ModelProto = () => (modelType ??= import('protobufjs/light.js').then((m) => {
  const pb = ((m as { default?: typeof Protobuf }).default ?? m) as typeof Protobuf;
  return pb.Root.fromJSON(onnxSchema() as Protobuf.INamespace).lookupType('onnx.ModelProto');
}));

export const toNum = (v: Int | undefined): number => (v === undefined ? 0 : typeof v === 'number' ? v : v.toNumber());

export async function decodeOnnx(bytes: Uint8Array, file = 'model.onnx'): Promise<OnnxModel> {
  const T = await ModelProto();
  let m: OnnxModel;
  try { m = T.decode(bytes) as unknown as OnnxModel; } catch (e) {
    throw new AxonError('BAD_MODEL_FILE', `${file}: not an ONNX model (protobuf decoding failed: ${(e as Error).message}); pass the bytes of a .onnx file`);
  }
  if (!m.graph || !m.graph.node?.length) throw new AxonError('BAD_MODEL_FILE', `${file}: the ONNX model has no graph or an empty graph`);
  return m;
}

export async function encodeOnnx(m: OnnxModel): Promise<Uint8Array> {
  const T = await ModelProto();
  return T.encode(T.fromObject(m as unknown as Record<string, unknown>)).finish();
}

/** ONNX tensor → number values (float types as Float32Array, integer types as Float64Array) and dims. */
export function tensorValues(t: OnnxTensor, who: string, limits: Limits = DEFAULT_LIMITS): { dims: number[]; data: Float32Array | Float64Array; float: boolean; dtype: number } {
  return { ...tensorData(t, who, limits), dtype: t.data_type ?? 0 };
}
/** The values of a TensorProto; dims and the data size are checked against each other and the limits before anything is allocated. */
function tensorData(t: OnnxTensor, who: string, limits: Limits): { dims: number[]; data: Float32Array | Float64Array; float: boolean } {
  const label = `${who}: tensor "${String(t.name).slice(0, 80)}"`;
  const dims = (t.dims ?? []).map(toNum), dt = t.data_type ?? 0;
  if (dims.length > 8 || !dims.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new AxonError('BAD_MODEL_FILE', `${label} has dims [${dims.slice(0, 9)}]; dims must be at most 8 non-negative integers`);
  const n = numel(dims);
  if (t.data_location === 1) throw new AxonError('UNSUPPORTED', `${label} keeps its data in an external file; re-save the model with all tensors inside (onnx.save_model(..., save_as_external_data=False))`);
  checkTensorSize(limits, n, 4, `${label} of shape [${dims}]`);
  const raw = t.raw_data && t.raw_data.length ? new DataView(t.raw_data.buffer, t.raw_data.byteOffset, t.raw_data.byteLength) : undefined;
  const read = <A extends Float32Array | Float64Array>(C: { new (n: number): A }, bytes: number, get: (dv: DataView, o: number) => number, field: ArrayLike<Int> | undefined): A => {
    if (raw) {
      if (raw.byteLength !== n * bytes) throw new AxonError('BAD_MODEL_FILE', `${label} of shape [${dims}] has ${raw.byteLength} bytes of raw data, expected ${n * bytes}`);
      const out = new C(n);
      for (let i = 0; i < n; i++) out[i] = get(raw, i * bytes);
      return out;
    }
    const f = field ?? [];
    if (f.length !== n) throw new AxonError('BAD_MODEL_FILE', `${label} of shape [${dims}] has ${f.length} values, expected ${n}`);
    const out = new C(n);
    for (let i = 0; i < n; i++) out[i] = toNum(f[i]);
    return out;
  };
  switch (dt) {
    case DT.FLOAT: return { dims, float: true, data: read(Float32Array, 4, (d, o) => d.getFloat32(o, true), t.float_data) };
    case DT.DOUBLE: return { dims, float: true, data: Float32Array.from(read(Float64Array, 8, (d, o) => d.getFloat64(o, true), t.double_data)) };
    case DT.FLOAT16: return { dims, float: true, data: read(Float32Array, 2, (d, o) => half(d.getUint16(o, true)), (t.int32_data ?? []).map((v) => half(v))) };
    case DT.INT64: return { dims, float: false, data: read(Float64Array, 8, (d, o) => Number(d.getBigInt64(o, true)), t.int64_data) };
    case DT.INT32: return { dims, float: false, data: read(Float64Array, 4, (d, o) => d.getInt32(o, true), t.int32_data) };
    case DT.INT8: return { dims, float: false, data: read(Float64Array, 1, (d, o) => d.getInt8(o), t.int32_data) };
    case DT.UINT8: case DT.BOOL: return { dims, float: false, data: read(Float64Array, 1, (d, o) => d.getUint8(o), t.int32_data) };
    default: throw new AxonError('UNSUPPORTED', `${who}: tensor "${t.name}" has ONNX data type ${dt}; supported: float, double, float16, int64, int32, int8, uint8, bool`);
  }
}

/** IEEE half → number. */
export function half(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** A float32 TensorProto with raw little-endian data. */
export function floatTensor(name: string, dims: number[], data: ArrayLike<number>): OnnxTensor {
  const f = Float32Array.from(data);
  return { name, dims, data_type: DT.FLOAT, raw_data: new Uint8Array(f.buffer) };
}
/** An int64 TensorProto (shapes, axes). */
export function int64Tensor(name: string, dims: number[], data: number[]): OnnxTensor {
  const b = new BigInt64Array(data.map((v) => BigInt(v)));
  return { name, dims, data_type: DT.INT64, raw_data: new Uint8Array(b.buffer) };
}
