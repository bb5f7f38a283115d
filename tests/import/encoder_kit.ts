// Shared by the encoder-import tests: the torch exports of tests/fixtures/torch/gen_encoders.py
// (gzipped ones unpacked), onnxruntime-node on several named feeds (float32 / int64), padding masks,
// and the comparison of every graph output with onnxruntime (max |diff| recorded for the report).
import * as ort from 'onnxruntime-node';
import { expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { OnnxImport } from '../../src/import/onnx.js';
import { Rng } from '../../src/runtime/rng.js';
import { maxDiff } from './kit.js';

export const OPSETS = [13, 14, 17] as const;
export const LENGTHS = [8, 32, 128] as const;

/** A fixture's bytes: encoders/<name>.onnx, or <name>.onnx.gz unpacked. */
export function encoderFixture(name: string): Uint8Array {
  const url = (ext: string) => new URL(`../fixtures/torch/encoders/${name}${ext}`, import.meta.url);
  try { return new Uint8Array(readFileSync(url('.onnx'))); } catch { return new Uint8Array(gunzipSync(readFileSync(url('.onnx.gz')))); }
}

export type Feed = { data: Float32Array | BigInt64Array; dims: number[] };
export type Feeds = Record<string, Feed>;

const sessions = new Map<Uint8Array, Promise<ort.InferenceSession>>();
/** onnxruntime's outputs for the feeds (one session per model). */
export async function ortAll(bytes: Uint8Array, feeds: Feeds): Promise<Record<string, { data: Float32Array; dims: number[] }>> {
  if (!sessions.has(bytes)) sessions.set(bytes, ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 }));
  const s = await sessions.get(bytes)!;
  const r = await s.run(Object.fromEntries(Object.entries(feeds).map(([k, f]) => [k, new ort.Tensor(f.data instanceof BigInt64Array ? 'int64' : 'float32', f.data, f.dims)])));
  return Object.fromEntries(s.outputNames.map((k) => [k, { data: r[k].data as Float32Array, dims: [...r[k].dims] }]));
}

/** Seeded feeds: normal floats, ids in [0, hi), and a padding mask (row r > 0 keeps its first T - r·T/(N+1) tokens). */
export function feeds(seed: number) {
  const rng = new Rng(seed);
  return {
    floats: (dims: number[], scale = 1): Feed => ({ data: Float32Array.from({ length: dims.reduce((p, q) => p * q, 1) }, () => rng.normal() * scale), dims }),
    ids: (dims: number[], hi: number): Feed => ({ data: BigInt64Array.from({ length: dims.reduce((p, q) => p * q, 1) }, () => BigInt(rng.int(hi))), dims }),
  };
}
export function paddingMask(N: number, T: number): Feed {
  const m = new BigInt64Array(N * T).fill(1n);
  for (let r = 1; r < N; r++) for (let t = T - Math.floor((r * T) / (N + 1)); t < T; t++) m[r * T + t] = 0n;
  return { data: m, dims: [N, T] };
}

/** Runs `imp` and onnxruntime on the feeds and checks every output (dims, values within tol); returns the worst |diff|. */
export async function compareOutputs(label: string, bytes: Uint8Array, imp: OnnxImport, f: Feeds, tol = 1e-4): Promise<number> {
  const want = await ortAll(bytes, f), got = await imp.run(f);
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  let worst = 0;
  for (const k of Object.keys(want)) {
    expect(got[k].dims, `${label} ${k} dims`).toEqual(want[k].dims);
    const d = maxDiff(got[k].data, want[k].data);
    worst = Math.max(worst, d);
    expect(d, `${label} ${k} ${JSON.stringify(Object.fromEntries(Object.entries(f).map(([n, v]) => [n, v.dims])))}: max |axon - onnxruntime|`).toBeLessThanOrEqual(tol);
  }
  return worst;
}
