// Shared by the import/export tests: run an ONNX model in onnxruntime-node, run its Axon import,
// and compare (max |diff| recorded for the report).
import * as ort from 'onnxruntime-node';
import { expect } from 'vitest';
import { importOnnx, OnnxImport } from '../../src/import/onnx.js';
import type { Engine } from '../../src/runtime/engine.js';

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
