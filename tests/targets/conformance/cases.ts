// The conformance suite: models, inputs and what the Node target computes for them, shared by
// every target's runner (Node + both WASI hosts in conformance.test.ts; the browser and Workers
// runners import this file too). Environment-free: no node: imports, only src/ and Web APIs
// (crypto.subtle for digests), so it bundles for Chromium and workerd unchanged.
//
// A case builds a seeded model (deterministic initial weights), deterministic inputs, and says
// what to run: 'predict' (Model.predict at batch N → outputs) or 'fit' (Model.fit with
// batch N, the case's epochs, shuffle seed = the model's default, no validation → the parameters,
// concatenated in layer/param order = the WASI program's out-weights.bin). A case has one input
// (x()) or several (feeds(): per run, one array per model input, f32 or i32); a model with an open
// sequence length runs several times at different lengths. A predict result is every output of
// every run, concatenated (run by run, outputs in the model's order).
//
// Comparisons: targets running in one process (or driven from one) compare bit for bit with the
// Node target's live result (runJsHost). expected.json also records the Node target's results, the
// SHA-256 of their bytes and the SHA-256 of the build/axon.simd.wasm they came from, for runners
// that cannot compute them: checkRecorded() demands the exact bytes when the runner's SIMD build is
// that same wasm, and closeness (kernels were edited since: summation order may differ) otherwise.
// Regenerate after a deliberate numeric change:
//   AXON_UPDATE_CONFORMANCE=1 npx vitest run --project simd tests/targets/conformance
import { Model, Sequential, MODEL_INPUT, layers, Rng, Tensor, addEncoderBlock } from '../../../src/index.js';
import type { Engine } from '../../../src/runtime/engine.js';
import { Quantize, Dequantize, QConv1D, QGRUDynamic } from '../../../src/quant/index.js';
import expectedJson from './expected.json';

export interface ConformanceCase {
  name: string;
  kind: 'predict' | 'fit';
  /** batch size N (predict chunks / fit mini-batches; = the WASI bundle's batch) */
  batch: number;
  rows: number;
  epochs?: number;
  /** a fresh model (compiled for 'fit'); pass an engine to pin the build */
  model(engine?: Engine): Model;
  /** rows × input features, f32 (a single-input case; else feeds) */
  x?(): Float32Array;
  /** several inputs and/or several runs: per run, per model input (in order), its data and shape (with the rows axis) */
  feeds?(): Feed[][];
  /** targets in the loss's format: i32 class ids or f32 rows ('fit' only); a list: one per loss */
  y?(): Int32Array | Float32Array | Array<Int32Array | Float32Array>;
}

/** One input's data for one run: values (f32) or ids (i32), shape [rows, ...per-sample]. */
export interface Feed { data: Float32Array | Int32Array; shape: number[] }

/** The runs of a case (one run of one input for an x() case). */
export function feedsOf(c: ConformanceCase, m: Model): Feed[][] {
  return c.feeds ? c.feeds() : [[{ data: c.x!(), shape: [c.rows, ...m.inputShape] }]];
}
/** The targets of a 'fit' case, one per loss. */
export function targetsOf(c: ConformanceCase): Array<Int32Array | Float32Array> {
  const y = c.y!();
  return Array.isArray(y) ? y : [y];
}

/** Deterministic standard normals from the runtime's own PRNG (identical on every target). */
export function normals(n: number, seed: number, scale = 1): Float32Array {
  const r = new Rng(seed), a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r.normal() * scale;
  return a;
}
function ids(n: number, classes: number, seed: number): Int32Array {
  const r = new Rng(seed);
  return Int32Array.from({ length: n }, () => r.int(classes));
}
const f32 = (data: Float32Array, ...shape: number[]): Feed => ({ data, shape });
const i32 = (data: Int32Array, ...shape: number[]): Feed => ({ data, shape });
function bits(n: number, seed: number): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => (r.uniform() < 0.5 ? 0 : 1));
}

export const CASES: ConformanceCase[] = [
  {
    name: 'predict/mlp-relu-softmax', kind: 'predict', batch: 8, rows: 37,
    model: (engine) => new Sequential({ inputShape: [10], seed: 11, engine })
      .add(layers.dense({ units: 16, activation: 'relu' })).add(layers.dense({ units: 4, activation: 'softmax' })),
    x: () => normals(37 * 10, 1),
  },
  {
    name: 'predict/tanh-sigmoid-rows-below-batch', kind: 'predict', batch: 16, rows: 5,
    model: (engine) => new Sequential({ inputShape: [7], seed: 12, engine })
      .add(layers.dense({ units: 12, activation: 'tanh' })).add(layers.dense({ units: 6, activation: 'sigmoid' })),
    x: () => normals(5 * 7, 2, 2),
  },
  {
    name: 'predict/flatten-leaky-logsoftmax', kind: 'predict', batch: 20, rows: 20,
    model: (engine) => new Sequential({ inputShape: [3, 4, 2], seed: 13, engine })
      .add(layers.flatten()).add(layers.dense({ units: 9 })).add(layers.activation({ activation: 'leakyRelu', alpha: 0.1 }))
      .add(layers.dense({ units: 3, activation: 'logSoftmax', useBias: false })),
    x: () => normals(20 * 24, 3),
  },
  {
    name: 'predict/wide-gemm-tiles', kind: 'predict', batch: 13, rows: 29,
    model: (engine) => new Sequential({ inputShape: [67], seed: 14, engine })
      .add(layers.dense({ units: 45, activation: 'relu' })).add(layers.dense({ units: 33, activation: 'tanh' })).add(layers.dense({ units: 10 })),
    x: () => normals(29 * 67, 4),
  },
  {
    name: 'fit/adam-dropout-sparse-xent', kind: 'fit', batch: 8, rows: 45, epochs: 3,
    model: (engine) => new Sequential({ inputShape: [6], seed: 21, engine })
      .add(layers.dense({ units: 16, activation: 'relu' })).add(layers.dropout({ rate: 0.25 })).add(layers.dense({ units: 3, activation: 'softmax' }))
      .compile({ optimizer: { type: 'adam', lr: 0.01 }, loss: 'sparseCategoricalCrossentropy' }),
    x: () => normals(45 * 6, 5),
    y: () => ids(45, 3, 6),
  },
  {
    name: 'fit/sgd-momentum-mse-schedule-clipnorm-l2', kind: 'fit', batch: 10, rows: 40, epochs: 4,
    model: (engine) => new Sequential({ inputShape: [5], seed: 22, engine })
      .add(layers.dense({ units: 8, activation: 'tanh', kernelRegularizer: { l2: 1e-3 } })).add(layers.dense({ units: 2 }))
      .compile({ optimizer: { type: 'momentum', lr: 0.05, schedule: { type: 'step', stepSize: 2, gamma: 0.5 }, clipNorm: 1 }, loss: 'mse' }),
    x: () => normals(40 * 5, 7),
    y: () => normals(40 * 2, 8),
  },
  {
    name: 'fit/rmsprop-centered-bce-clipvalue-l1', kind: 'fit', batch: 7, rows: 30, epochs: 2,
    model: (engine) => new Sequential({ inputShape: [4], seed: 23, engine })
      .add(layers.dense({ units: 6, activation: 'relu', kernelRegularizer: { l1: 1e-3 } })).add(layers.dense({ units: 1, activation: 'sigmoid' }))
      .compile({ optimizer: { type: 'rmsprop', lr: 0.01, centered: true, momentum: 0.5, clipValue: 0.5 }, loss: 'binaryCrossentropy' }),
    x: () => normals(30 * 4, 9),
    y: () => bits(30, 10),
  },
  {
    name: 'fit/adamw-amsgrad-exp-per-step', kind: 'fit', batch: 16, rows: 50, epochs: 2,
    model: (engine) => new Sequential({ inputShape: [8], seed: 24, engine })
      .add(layers.dense({ units: 12, activation: 'sigmoid' })).add(layers.dense({ units: 5, activation: 'softmax' }))
      .compile({ optimizer: { type: 'adamw', lr: 0.005, amsgrad: true, schedule: { type: 'exponential', gamma: 0.97, per: 'step' } }, loss: 'sparseCategoricalCrossentropy' }),
    x: () => normals(50 * 8, 11),
    y: () => ids(50, 5, 12),
  },
  {
    name: 'fit/nesterov-frozen-first-layer-full-batch', kind: 'fit', batch: 24, rows: 24, epochs: 3,
    model: (engine) => {
      const m = new Sequential({ inputShape: [5], seed: 25, engine });
      m.add(layers.dense({ units: 7, activation: 'relu', trainable: false })).add(layers.dense({ units: 3, activation: 'softmax' }));
      return m.compile({ optimizer: { type: 'nesterov', lr: 0.1 }, loss: 'sparseCategoricalCrossentropy' });
    },
    x: () => normals(24 * 5, 13),
    y: () => ids(24, 3, 14),
  },
  {
    name: 'predict/graph-conv-residual-concat-gate', kind: 'predict', batch: 6, rows: 11,
    model: (engine) => {
      const m = new Model({ inputShape: [5, 5, 2], seed: 26, engine });
      m.add(layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'stem' }));
      m.add(layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'c1' })).add(layers.batchNormalization({ name: 'bn' }));
      m.add(layers.add({ name: 'res' }), { inputs: ['stem', 'bn'] });
      m.add(layers.maxPool2d({ poolSize: 3, strides: 1, padding: 'same', name: 'pool' }), { inputs: [MODEL_INPUT] });
      m.add(layers.concatenate({ name: 'cat' }), { inputs: ['res', 'pool'] });
      m.add(layers.globalAveragePooling2d({ name: 'gap' }));
      m.add(layers.dense({ units: 6, activation: 'sigmoid', name: 'gate' }));
      m.add(layers.multiply({ name: 'se' }), { inputs: ['cat', 'gate'] });
      return m.add(layers.flatten()).add(layers.dense({ units: 3, activation: 'softmax' }));
    },
    x: () => normals(11 * 50, 15),
  },
  {
    name: 'fit/graph-residual-mlp-adam', kind: 'fit', batch: 9, rows: 36, epochs: 2,
    model: (engine) => {
      const m = new Model({ inputShape: [6], seed: 27, engine });
      m.add(layers.dense({ units: 8, activation: 'tanh', name: 'a' })).add(layers.dense({ units: 8, activation: 'tanh', name: 'b' }));
      m.add(layers.add({ name: 'res' }), { inputs: ['a', 'b'] });
      m.add(layers.concatenate({ name: 'cat' }), { inputs: [MODEL_INPUT, 'res'] });
      m.add(layers.dense({ units: 4, activation: 'softmax' }));
      return m.compile({ optimizer: { type: 'adam', lr: 0.01 }, loss: 'sparseCategoricalCrossentropy' });
    },
    x: () => normals(36 * 6, 16),
    y: () => ids(36, 4, 17),
  },
  {
    name: 'predict/two-inputs-f32-i32-two-outputs', kind: 'predict', batch: 4, rows: 10,
    model: (engine) => {
      const m = new Model({ inputs: [{ name: 'feat', shape: [6] }, { name: 'ids', shape: [3], dtype: 'i32' }], outputs: ['cls', 'reg'], seed: 31, engine });
      m.add(layers.dense({ units: 5, activation: 'relu', name: 'f' }), { inputs: ['feat'] });
      m.add(layers.embedding({ inputDim: 7, outputDim: 4, name: 'emb' }), { inputs: ['ids'] }).add(layers.flatten({ name: 'ef' }));
      m.add(layers.concatenate({ name: 'cat' }), { inputs: ['f', 'ef'] });
      m.add(layers.dense({ units: 3, activation: 'softmax', name: 'cls' }), { inputs: ['cat'] });
      return m.add(layers.dense({ units: 2, name: 'reg' }), { inputs: ['cat'] });
    },
    feeds: () => [[f32(normals(10 * 6, 32), 10, 6), i32(ids(10 * 3, 7, 33), 10, 3)]],
  },
  {
    name: 'predict/lstm-dynamic-seq-h0-state-out-three-lengths', kind: 'predict', batch: 4, rows: 15,
    model: (engine) => {
      const m = new Model({ inputs: [{ name: 'seq', shape: [null, 4], maxShape: [12, 4] }, { name: 'h0', shape: [6] }], outputs: ['head', 'rnn:1'], seed: 34, engine });
      m.add(layers.lstm({ units: 6, returnState: true, name: 'rnn' }), { inputs: ['seq', 'h0'] });
      return m.add(layers.dense({ units: 3, activation: 'tanh', name: 'head' }), { inputs: ['rnn'] });
    },
    // lengths 5, 9 and the maximum 12; 7 + 5 + 3 rows (below, at and above the batch)
    feeds: () => [[5, 7], [9, 5], [12, 3]].map(([T, n], k) => [f32(normals(n * T * 4, 35 + k), n, T, 4), f32(normals(n * 6, 40 + k, 0.5), n, 6)]),
  },
  {
    // int8 Conv1D (static parameters, the int8 conv kernels) → int8 GRU (qs8_gru: int8 weights, dynamic
    // activation ranges per batch) → f32 head; rows a multiple of the batch (a dynamic range spans the batch)
    name: 'predict/int8-conv1d-gru-dynamic', kind: 'predict', batch: 4, rows: 8,
    model: (engine) => {
      const m = new Sequential({ inputShape: [20, 3], seed: 37, engine }), qin = { scale: 0.03, zeroPoint: 2 }, qc = { scale: 0.02, zeroPoint: -128 };
      m.add(new Quantize({ quant: { output: qin } }))
        .add(new QConv1D({ filters: 8, kernelSize: [1, 3], strides: [1, 2], padding: 'same', activation: 'relu', name: 'conv', quant: { input: qin, output: qc } }))
        .add(new Dequantize({ quant: { input: qc } })).add(new QGRUDynamic({ units: 6, name: 'gru' }))
        .add(layers.dense({ units: 3, activation: 'softmax', name: 'head' }));
      const r = new Rng(38), i8 = (n: number) => Int8Array.from({ length: n }, () => r.int(255) - 127);
      const scales = (n: number, s: number) => Float32Array.from({ length: n }, () => s * (0.5 + r.uniform()));
      m.setWeights({
        'conv.weight': i8(8 * 3 * 3), 'conv.weight.scale': scales(8, 0.004), 'conv.weight.zero_point': new Int8Array(8), 'conv.bias': Int32Array.from({ length: 8 }, () => r.int(2001) - 1000),
        'gru.ih_weight': i8(18 * 8), 'gru.ih_weight.scale': scales(18, 0.004), 'gru.ih_weight.zero_point': new Int8Array(18),
        'gru.hh_weight': i8(18 * 6), 'gru.hh_weight.scale': scales(18, 0.004), 'gru.hh_weight.zero_point': new Int8Array(18),
        'gru.bias_ih': normals(18, 39, 0.3), 'gru.bias_hh': normals(18, 40, 0.3),
      });
      return m;
    },
    x: () => normals(8 * 20 * 3, 41),
  },
  {
    name: 'fit/lstm-embedding-two-losses-weighted', kind: 'fit', batch: 5, rows: 13, epochs: 2,
    model: (engine) => {
      const m = new Model({ inputs: [{ name: 'seq', shape: [null, 3], maxShape: [8, 3] }, { name: 'h0', shape: [4] }, { name: 'tok', shape: [2], dtype: 'i32' }], outputs: ['cls', 'rnn:1'], seed: 36, engine });
      m.add(layers.lstm({ units: 4, returnState: true, name: 'rnn' }), { inputs: ['seq', 'h0'] });
      m.add(layers.embedding({ inputDim: 6, outputDim: 3, name: 'emb' }), { inputs: ['tok'] }).add(layers.flatten({ name: 'ef' }));
      m.add(layers.concatenate({ name: 'cat' }), { inputs: ['rnn', 'ef'] });
      m.add(layers.dense({ units: 3, activation: 'softmax', name: 'cls' }));
      return m.compile({ optimizer: { type: 'adam', lr: 0.02 }, loss: { cls: 'sparseCategoricalCrossentropy', 'rnn:1': 'mse' }, lossWeights: { cls: 1, 'rnn:1': 0.5 } });
    },
    feeds: () => [[f32(normals(13 * 6 * 3, 37), 13, 6, 3), f32(normals(13 * 4, 38, 0.5), 13, 4), i32(ids(13 * 2, 6, 39), 13, 2)]],
    y: () => [ids(13, 3, 40), normals(13 * 4, 41, 0.5)],
  },
  {
    name: 'predict/encoder-ids-padding-mask-gelu-two-lengths', kind: 'predict', batch: 3, rows: 7,
    model: (engine) => encoder(engine, 51, false),
    // lengths 6 and 11 (the maximum 12 not reached), rows of different real lengths
    feeds: () => [[6, 7], [11, 4]].map(([T, n], k) => tokens(n, T, 52 + k)),
  },
  {
    name: 'fit/encoder-pre-norm-adamw-dropout', kind: 'fit', batch: 4, rows: 10, epochs: 2,
    model: (engine) => encoder(engine, 55, true).compile({ optimizer: { type: 'adamw', lr: 3e-3, weightDecay: 0.01 }, loss: 'sparseCategoricalCrossentropy' }),
    feeds: () => [tokens(10, 8, 56)],
    y: () => ids(10, 3, 57),
  },
];

/** A small BERT-style classifier: token ids + padding mask → embedding + positions → encoder block → masked mean → softmax. */
function encoder(engine: Engine | undefined, seed: number, preNorm: boolean): Model {
  const m = new Model({ inputs: [{ name: 'ids', shape: [null], dtype: 'i32', maxShape: [12] }, { name: 'keep', shape: [null], dtype: 'i32', maxShape: [12] }], seed, engine });
  m.add(layers.embedding({ inputDim: 20, outputDim: 8, paddingIdx: 0, name: 'tok' }), { inputs: ['ids'] });
  m.add(layers.positionEmbedding({ maxLength: 12, kind: preNorm ? 'learned' : 'sinusoidal', name: 'pos' }));
  const top = addEncoderBlock(m, { input: 'pos', mask: 'keep', heads: 2, ff: 16, activation: 'gelu', preNorm, name: 'enc' });
  m.add(layers.maskedMeanPooling({ name: 'pool' }), { inputs: [top, 'keep'] });
  if (preNorm) m.add(layers.dropout({ rate: 0.1, name: 'drop' }));
  return m.add(layers.dense({ units: 3, activation: 'softmax', name: 'cls' }));
}

/** n rows of T token ids (1..19, then padding 0) and their keep mask; row r has 1 + (r * 3 + seed) % T real tokens. */
function tokens(n: number, T: number, seed: number): Feed[] {
  const tok = new Int32Array(n * T), keep = new Int32Array(n * T), r0 = ids(n * T, 19, seed);
  for (let r = 0; r < n; r++) for (let t = 0; t < 1 + ((r * 3 + seed) % T); t++) { tok[r * T + t] = 1 + r0[r * T + t]; keep[r * T + t] = 1; }
  return [i32(tok, n, T), i32(keep, n, T)];
}

/**
 * What the JS host computes for a case (the reference for the Node target, and exactly what the
 * browser and Workers runners compute with their engine): predict outputs, or the parameters after fit.
 */
export async function runJsHost(c: ConformanceCase, engine?: Engine): Promise<Float32Array> {
  const m = c.model(engine);
  const runs = feedsOf(c, m).map((run) => run.map((f) => new Tensor(f.data, f.shape)));
  if (c.kind === 'predict') {
    const parts: Float32Array[] = [];
    for (const xs of runs) for (const t of await m.predict(xs, { batchSize: c.batch })) parts.push(t.data as Float32Array);
    return concat(parts);
  }
  const ys = targetsOf(c).map((y) => new Tensor(y, y instanceof Int32Array ? [c.rows] : [c.rows, y.length / c.rows]));
  await m.fit(runs[0], ys, { epochs: c.epochs, batchSize: c.batch });
  return concatWeights(m);
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** Parameters concatenated in layer, then parameter order (= the bundle's PARAMS order). */
export function concatWeights(m: Model): Float32Array {
  const w = m.getWeights(), parts: Float32Array[] = [];
  for (const l of m.layers) for (const p of l.params) parts.push(w.get(`${l.name}.${p.name}`)!);
  return concat(parts);
}

/** Lowercase hex SHA-256 of the bytes of a typed array. */
export async function sha256(a: ArrayBufferView): Promise<string> {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

export interface Expected { sha256: string; values: number[] }
export interface ExpectedFile { simdWasmSha256: string; cases: Record<string, Expected> }
/** The Node target's recorded results (SIMD128 build), by case name. */
export const EXPECTED: ExpectedFile = expectedJson as ExpectedFile;

export interface RecordedCheck { ok: boolean; exact: boolean; message: string }
/**
 * Compares a result with the recorded one: bit for bit when `simdWasmSha256` (the SHA-256 of the
 * runner's axon.simd.wasm) is the one recorded, else within rtol 1e-3 / atol 1e-5.
 */
export async function checkRecorded(name: string, got: Float32Array, simdWasmSha256: string): Promise<RecordedCheck> {
  const want = EXPECTED.cases[name];
  if (!want) return { ok: false, exact: false, message: `${name}: not in expected.json (regenerate with AXON_UPDATE_CONFORMANCE=1)` };
  if (got.length !== want.values.length) return { ok: false, exact: false, message: `${name}: ${got.length} values, recorded ${want.values.length}` };
  if (simdWasmSha256 === EXPECTED.simdWasmSha256) {
    const digest = await sha256(got);
    return { ok: digest === want.sha256, exact: true, message: digest === want.sha256 ? `${name}: bit-identical to the recording` : `${name}: same wasm build as the recording but different bytes (${digest} vs ${want.sha256})` };
  }
  let worst = 0, at = 0;
  for (let i = 0; i < got.length; i++) {
    const r = Math.abs(got[i] - want.values[i]) / (1e-5 + 1e-3 * Math.abs(want.values[i]));
    if (!(r <= worst)) { worst = r; at = i; }
  }
  return { ok: worst <= 1, exact: false, message: `${name}: kernels differ from the recording's build; worst value #${at}: ${got[at]} vs ${want.values[at]} (${worst <= 1 ? 'within' : 'beyond'} rtol 1e-3, atol 1e-5)` };
}
