// Shared by the import/export tests: run an ONNX model in onnxruntime-node, run its Axon import,
// and compare (max |diff| recorded for the report).
import * as ort from 'onnxruntime-node';
import { expect, afterAll } from 'vitest';
import { importOnnx, OnnxImport } from '../../src/import/onnx.js';
import type { Engine } from '../../src/runtime/engine.js';
import type { OnnxBuilder } from '../../src/export/onnx_builder.js';
import { DT } from '../../src/import/onnx_proto.js';
import { randn } from '../helpers.js';

export async function ortRun(bytes: Uint8Array, x: Float32Array, dims: number[]): Promise<{ data: Float32Array; dims: number[] }> {
  const s = await ort.InferenceSession.create(bytes);
  const r = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', x, dims) });
  const t = r[s.outputNames[0]];
  return { data: t.data as Float32Array, dims: [...t.dims] };
}

export const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

/** Largest |Axon - onnxruntime| seen per case, printed at the end of the run. */
export const MAX_ERR: Record<string, number> = {};

/** Prints MAX_ERR after the test file's cases (call at the file's top level; `title` may be empty). */
export function reportMaxErr(title: string): void {
  afterAll(() => { console.log(`${title ? `${title} ` : ''}max |axon - onnxruntime|:`, Object.entries(MAX_ERR).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', ')); });
}

/**
 * Seeded test weights for ONNX models: `w` an initializer of random values (scaled), `pos` positive
 * values (variances, scales); `next` the next seed, for other random data. One counter per file.
 */
export function seededWeights(start: number) {
  let seed = start;
  const next = () => ++seed;
  const w = (b: OnnxBuilder, dims: number[], scale = 0.3) => b.init(`w${next()}`, dims, randn(dims.reduce((p, q) => p * q, 1), seed, scale));
  const pos = (n: number) => Float32Array.from(randn(n, next()), (v) => 0.5 + Math.abs(v));
  return { w, pos, next };
}

/** Imports `bytes`, runs both on x (ONNX layout, dims with batch) and checks |diff| <= tol. */
export async function conform(label: string, bytes: Uint8Array, x: Float32Array, dims: number[], e: Engine, tol = 1e-4): Promise<OnnxImport> {
  const want = await ortRun(bytes, x, dims);
  const imp = await importOnnx(bytes, { engine: e, file: label });
  const y = await imp.model.predict(imp.toAxonInput(x));
  const got = imp.toOnnxOutput(y);
  expect(got.length, `${label}: output size`).toBe(want.data.length);
  expect([dims[0], ...imp.onnxOutputShape]).toEqual(want.dims);
  const d = maxDiff(got, want.data);
  MAX_ERR[label] = d;
  expect(d, `${label}: max |axon - onnxruntime|`).toBeLessThanOrEqual(tol);
  return imp;
}

// ---- quantized initializers, as onnxruntime's quantizer writes them ----
export const RAW = { [DT.INT8]: Int8Array, [DT.UINT8]: Uint8Array, [DT.INT32]: Int32Array } as const;
/** An integer initializer. */
export function q(b: OnnxBuilder, name: string, dt: keyof typeof RAW, dims: number[], vals: ArrayLike<number>): string {
  const a = RAW[dt].from(vals as number[]);
  b.inits.push({ name, dims, data_type: dt, raw_data: new Uint8Array(a.buffer) });
  return name;
}
/** Quantizes w (symmetric int8 or asymmetric uint8) per tensor or along `axis` as onnxruntime's quantizer would; returns [q, scales, zero points]. */
export function quantize(w: Float32Array, dims: number[], dt: typeof DT.INT8 | typeof DT.UINT8, axis?: number): [number[], number[], number[]] {
  const C = axis === undefined ? 1 : dims[axis], inner = axis === undefined ? w.length : dims.slice(axis + 1).reduce((p, v) => p * v, 1);
  const ch = (i: number) => Math.floor(i / inner) % C, sc: number[] = [], zp: number[] = [];
  for (let c = 0; c < C; c++) {
    const v = Array.from(w).filter((_, i) => ch(i) === c), lo = Math.min(0, ...v), hi = Math.max(0, ...v);
    if (dt === DT.INT8) { sc.push(Math.fround(Math.max(-lo, hi) / 127)); zp.push(0); } else { const s = Math.fround((hi - lo) / 255); sc.push(s); zp.push(Math.round(-lo / s)); }
  }
  const [qlo, qhi] = dt === DT.INT8 ? [-128, 127] : [0, 255];
  return [Array.from(w, (v, i) => Math.min(qhi, Math.max(qlo, Math.round(v / sc[ch(i)]) + zp[ch(i)]))), sc, zp];
}
