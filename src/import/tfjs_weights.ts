// TensorFlow.js weight manifests: the binary weight data (shards concatenated in manifest order) into
// named Float32Arrays, dequantizing uint8/uint16 (q * scale + min) and float16 weights as tfjs-core does.
// Shared by the layers-model (tfjs.ts) and graph-model (tfjs_graph.ts) importers; loadTfjsWeights
// decodes a bare manifest for users.
import { AxonError } from '../errors.js';
import { half } from './onnx_proto.js';
import { Tensor } from '../runtime/tensor.js';
import { Budget, DEFAULT_LIMITS, Fields, Limits, numel } from '../format/validate.js';

export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool' | string;
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; scale?: number; min?: number; original_dtype?: string };
}
export interface TfjsWeights { dims: number[]; data: Float32Array }

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/** Checks one weight spec's field types (name, shape of non-negative integers, dtype, quantization numbers). */
function checkSpec(f: Fields, raw: unknown, where: string): TfjsWeightSpec {
  const s = f.object(raw, where);
  f.string(s.name, `${where}.name`); f.dims(s.shape, `${where}.shape`); f.string(s.dtype, `${where}.dtype`);
  if (s.quantization !== undefined) {
    const q = f.object(s.quantization, `${where}.quantization`);
    f.string(q.dtype, `${where}.quantization.dtype`);
    f.optional(q.scale, (v) => f.number(v, `${where}.quantization.scale`)); f.optional(q.min, (v) => f.number(v, `${where}.quantization.min`));
  }
  return s as unknown as TfjsWeightSpec;
}

export function decodeTfjsWeights(specs: TfjsWeightSpec[], data: Uint8Array, who: string, limits: Limits = DEFAULT_LIMITS): Map<string, TfjsWeights> {
  const out = new Map<string, TfjsWeights>(), dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const f = new Fields(who), budget = new Budget(limits, who);
  let off = 0;
  f.array(specs, 'weight specs', limits.maxNodes).forEach((s, i) => checkSpec(f, s, `weight spec ${i}`));
  for (const s of specs) {
    const n = numel(s.shape), q = s.quantization, stored = q?.dtype ?? s.dtype, bytes = Object.prototype.hasOwnProperty.call(BYTES, stored) ? BYTES[stored] : 0;
    if (!bytes) throw new AxonError('UNSUPPORTED', `${who}: weight "${s.name}" is stored as ${stored}; supported: float32, int32, and uint8/uint16/float16 quantization`);
    if (off + n * bytes > data.byteLength) throw new AxonError('BAD_MODEL_FILE', `${who}: the weight data ends at byte ${data.byteLength} but "${s.name}" (${n} x ${stored}) needs bytes ${off}…${off + n * bytes}; a shard is missing or truncated`);
    budget.take(n, 4, `weight "${s.name.slice(0, 80)}"`);
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const o = off + i * bytes;
      v[i] = stored === 'float32' ? dv.getFloat32(o, true) : stored === 'int32' ? dv.getInt32(o, true) : stored === 'bool' ? dv.getUint8(o)
        : stored === 'float16' ? half(dv.getUint16(o, true))
          : (stored === 'uint8' ? dv.getUint8(o) : dv.getUint16(o, true)) * (q!.scale ?? 1) + (q!.min ?? 0);
    }
    out.set(s.name, { dims: s.shape, data: v });
    off += n * bytes;
  }
  if (off !== data.byteLength) throw new AxonError('BAD_MODEL_FILE', `${who}: the weight specs describe ${off} bytes but the weight data has ${data.byteLength}`);
  return out;
}

/** Where a model's weights are: model.json's weightsManifest (shards read by loadShard) or tfjs ModelArtifacts' weightSpecs + weightData. */
export interface TfjsWeightSource {
  weightsManifest?: { paths: string[]; weights: TfjsWeightSpec[] }[];
  weightSpecs?: TfjsWeightSpec[];
  weightData?: ArrayBuffer | ArrayBuffer[];
}

/** Reads and decodes all weights of a model.json or ModelArtifacts (shards concatenated in manifest order). */
export async function readTfjsWeights(src: TfjsWeightSource, loadShard: ((path: string) => Promise<Uint8Array> | Uint8Array) | undefined, who: string, limits: Limits = DEFAULT_LIMITS): Promise<Map<string, TfjsWeights>> {
  let specs: TfjsWeightSpec[], parts: Uint8Array[];
  const f = new Fields(who);
  if (src.weightSpecs !== undefined) {
    specs = f.array(src.weightSpecs, 'weightSpecs') as TfjsWeightSpec[];
    const wd = src.weightData;
    parts = (Array.isArray(wd) ? wd : wd !== undefined ? [wd] : []).map((p, i) => {
      if (!(p instanceof ArrayBuffer) && !ArrayBuffer.isView(p)) f.fail(`weightData[${i}]`, 'must be an ArrayBuffer');
      return p instanceof ArrayBuffer ? new Uint8Array(p) : new Uint8Array((p as ArrayBufferView).buffer, (p as ArrayBufferView).byteOffset, (p as ArrayBufferView).byteLength);
    });
  } else {
    const man = f.array(src.weightsManifest ?? [], 'weightsManifest').map((g, i) => f.object(g, `weightsManifest[${i}]`));
    specs = man.flatMap((g, i) => f.array(g.weights, `weightsManifest[${i}].weights`) as TfjsWeightSpec[]);
    parts = [];
    for (const [i, g] of man.entries()) for (const p of f.strings(g.paths, `weightsManifest[${i}].paths`)) {
      if (!loadShard) throw new AxonError('BAD_ARGUMENT', `${who}: the weights are in shard files (${p}, …); pass loadShard(path) to read them`);
      const b = await loadShard(p);
      if (!(b instanceof Uint8Array)) throw new AxonError('BAD_ARGUMENT', `${who}: loadShard("${p}") must return a Uint8Array`);
      parts.push(b);
    }
  }
  const total = parts.reduce((s, p) => s + p.length, 0);
  if (total > limits.maxTotalBytes * 2) f.fail('the weight shards', `hold ${total} bytes, more than twice limits.maxTotalBytes (${limits.maxTotalBytes})`, 'OUT_OF_MEMORY');
  const data = new Uint8Array(total);
  parts.reduce((o, p) => (data.set(p, o), o + p.length), 0);
  return decodeTfjsWeights(specs, data, who, limits);
}

/**
 * Decodes a bare TF.js weights manifest (the `weightsManifest` of a model.json, or a
 * `weights_manifest.json` file: `[{ paths, weights }]`, as an object or JSON text) into tensors by
 * weight name, reading each shard with `loadShard(path)`; quantized weights are dequantized.
 */
export async function loadTfjsWeights(manifest: TfjsWeightSource['weightsManifest'] | string | { weightsManifest: TfjsWeightSource['weightsManifest'] },
  loadShard: (path: string) => Promise<Uint8Array> | Uint8Array): Promise<Map<string, Tensor>> {
  let m: unknown = manifest;
  if (typeof m === 'string') {
    try { m = JSON.parse(m); } catch (e) { throw new AxonError('BAD_MODEL_FILE', `loadTfjsWeights: the manifest is not JSON (${(e as Error).message})`); }
  }
  if (m && !Array.isArray(m) && typeof m === 'object' && 'weightsManifest' in m) m = (m as { weightsManifest: unknown }).weightsManifest;
  const ok = Array.isArray(m) && m.every((g) => g && Array.isArray(g.paths) && g.paths.every((p: unknown) => typeof p === 'string') && Array.isArray(g.weights)
    && g.weights.every((w: TfjsWeightSpec) => w && typeof w.name === 'string' && Array.isArray(w.shape) && w.shape.every((d) => Number.isInteger(d) && d >= 0)));
  if (!ok) throw new AxonError('BAD_MODEL_FILE', 'loadTfjsWeights: expected a weights manifest: [{ paths: [shard file names], weights: [{ name, shape, dtype }] }]');
  if (typeof loadShard !== 'function') throw new AxonError('BAD_ARGUMENT', 'loadTfjsWeights: pass loadShard(path) to read the shard files');
  const w = await readTfjsWeights({ weightsManifest: m as TfjsWeightSource['weightsManifest'] }, loadShard, 'weights manifest');
  return new Map([...w].map(([k, v]) => [k, new Tensor(v.data, v.dims)]));
}
