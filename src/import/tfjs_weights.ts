// TensorFlow.js weight manifests: the binary weight data (shards concatenated in manifest order) into
// named Float32Arrays, dequantizing uint8/uint16 (q * scale + min) and float16 weights as tfjs-core does.
// Shared by the layers-model (tfjs.ts) and graph-model (tfjs_graph.ts) importers; loadTfjsWeights
// decodes a bare manifest for users.
import { AxonError } from '../errors.js';
import { half } from './onnx_proto.js';
import { Tensor } from '../runtime/tensor.js';

export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool' | string;
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; scale?: number; min?: number; original_dtype?: string };
}
export interface TfjsWeights { dims: number[]; data: Float32Array }

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

export function decodeTfjsWeights(specs: TfjsWeightSpec[], data: Uint8Array, who: string): Map<string, TfjsWeights> {
  const out = new Map<string, TfjsWeights>(), dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let off = 0;
  for (const s of specs) {
    const n = s.shape.reduce((a, b) => a * b, 1), q = s.quantization, stored = q?.dtype ?? s.dtype, bytes = BYTES[stored];
    if (!bytes) throw new AxonError('UNSUPPORTED', `${who}: weight "${s.name}" is stored as ${stored}; supported: float32, int32, and uint8/uint16/float16 quantization`);
    if (off + n * bytes > data.byteLength) throw new AxonError('BAD_MODEL_FILE', `${who}: the weight data ends at byte ${data.byteLength} but "${s.name}" (${n} x ${stored}) needs bytes ${off}…${off + n * bytes}; a shard is missing or truncated`);
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
export async function readTfjsWeights(src: TfjsWeightSource, loadShard: ((path: string) => Promise<Uint8Array> | Uint8Array) | undefined, who: string): Promise<Map<string, TfjsWeights>> {
  let specs: TfjsWeightSpec[], parts: Uint8Array[];
  if (src.weightSpecs) {
    specs = src.weightSpecs;
    parts = (Array.isArray(src.weightData) ? src.weightData : src.weightData ? [src.weightData] : []).map((p) => new Uint8Array(p));
  } else {
    const man = src.weightsManifest ?? [];
    specs = man.flatMap((g) => g.weights);
    parts = [];
    for (const g of man) for (const p of g.paths) {
      if (!loadShard) throw new AxonError('BAD_ARGUMENT', `${who}: the weights are in shard files (${p}, …); pass loadShard(path) to read them`);
      parts.push(await loadShard(p));
    }
  }
  const data = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  parts.reduce((o, p) => (data.set(p, o), o + p.length), 0);
  return decodeTfjsWeights(specs, data, who);
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
