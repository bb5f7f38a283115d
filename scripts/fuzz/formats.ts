// The fuzzed formats: for each, seed files made here from real producers (Axon's own writer,
// PyTorch's ONNX exports in tests/fixtures, tfjs-layers' save, a tfjs-converter-style GraphDef,
// `axon compile`'s bundles), a mutator, and the entry that must answer success or an AxonError.
// Every mutant that loads is also run (predict; for bundles infer and finetune under node:wasi and
// on the JS host), so a model that loads but cannot run counts against the loader.
import { readFileSync, readdirSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/runtime/rng.js';
import { AxonError } from '../../src/errors.js';
import { DEFAULT_LIMITS } from '../../src/format/validate.js';
import { Engine } from '../../src/runtime/engine.js';
import { Tensor } from '../../src/runtime/tensor.js';
import { Sequential, Model, layers, modelToBytes, modelFromBytes, quantizeModel, importOnnx, importTfjsLayers, importTfjsGraph } from '../../src/index.js';
import { decodeSafetensors, encodeSafetensors, StTensorIn } from '../../src/format/safetensors.js';
import { decodeOnnx, encodeOnnx, OnnxModel } from '../../src/import/onnx_proto.js';
import { compileBundle, HEADER_BYTES, bundleChecksum } from '../../src/wasi/bundle.js';
import { inferBundle, finetuneBundle } from '../../src/wasi/finetune.js';
import { runNodeWasi } from '../../targets/wasi/run.js';
import { mutateBytes, mutateJson, mutateText, pick } from './mutate.js';
import { loadTokenizer } from '../../src/text/tokenizer.js';

const ROOT = new URL('../../', import.meta.url);
/** Per-sample values above which a harness refuses to build an input (the loader should have refused first). */
const MAX_INPUT_VALUES = DEFAULT_LIMITS.maxTensorBytes / 4;

export class Finding extends Error {}
export interface Format<S = unknown> {
  name: string;
  seeds(e: Engine): Promise<S[]>;
  /** one mutant of a seed, as the entry takes it */
  mutate(r: Rng, seed: S): S;
  /** loads (and runs) one input; throws what the entry throws */
  run(e: Engine, input: S): Promise<void>;
}

export async function loadEngine(): Promise<Engine> {
  const read = (b: string) => readFileSync(new URL(`build/axon.${b}.wasm`, ROOT));
  return Engine.create({ simd: read('simd'), relaxed: read('relaxed') }, { build: 'simd' });
}

/** Predicts zeros on every input (i32 inputs: their smallest allowed id; open axes at length 3, within their maxima). */
async function predictZeros(m: Model, batch = 2): Promise<void> {
  const feeds: Record<string, Tensor> = {};
  for (const inp of m.inputs) {
    const shape = inp.shape.map((d, i) => d ?? Math.min(3, inp.max[i] ?? 3));
    const per = shape.reduce((a, b) => a * b, 1);
    if (!(per > 0 && per <= MAX_INPUT_VALUES)) throw new Finding(`loaded a model whose input "${inp.name}" takes ${per} values per sample`);
    feeds[inp.name] = inp.dtype === 'i32'
      ? new Tensor(new Int32Array(batch * per).fill(Math.max(0, inp.range?.[0] ?? 0)), [batch, ...shape], 'i32')
      : new Tensor(new Float32Array(batch * per), [batch, ...shape]);
  }
  void await m.predict(m.inputs.length === 1 && m.inputs[0].dtype === 'f32' ? feeds[m.inputs[0].name] : feeds);
}

// ---- .axon model files: the graph JSON edited (most informative), or the bytes ----
async function axonSeeds(e: Engine): Promise<Uint8Array[]> {
  const r = new Rng(3), x = (n: number, d: number[]) => new Tensor(Float32Array.from({ length: n * d.reduce((a, b) => a * b, 1) }, () => r.normal()), [n, ...d]);
  const mlp = new Sequential({ inputShape: [16], seed: 1, engine: e });
  mlp.add(layers.dense({ units: 12, activation: 'relu' })); mlp.add(layers.dropout({ rate: 0.1 })); mlp.add(layers.dense({ units: 4, activation: 'softmax' }));
  mlp.compile({ optimizer: { type: 'adam', lr: 1e-3 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy', { type: 'topKAccuracy', k: 2 }] });
  await mlp.fit(x(16, [16]), new Tensor(Int32Array.from({ length: 16 }, (_, i) => i % 4), [16]), { epochs: 1, batchSize: 8 });
  const cnn = new Sequential({ inputShape: [8, 8, 2], seed: 2, engine: e });
  cnn.add(layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' })); cnn.add(layers.maxPool2d({ poolSize: 2 }));
  cnn.add(layers.flatten()); cnn.add(layers.dense({ units: 3 }));
  const q = await quantizeModel(cnn, x(4, [8, 8, 2]));
  const g = new Model({ inputShape: [6], seed: 4, engine: e });
  g.add(layers.dense({ units: 6, name: 'a' })); g.add(layers.dense({ units: 6, name: 'b' }), { inputs: ['input'] });
  g.add(layers.add({ name: 'sum' }), { inputs: ['a', 'b'] }); g.add(layers.dense({ units: 2, name: 'out' }), { inputs: ['sum'] });
  const onnx = await importOnnx(new Uint8Array(readFileSync(new URL('tests/fixtures/onnx/torch_mlp.onnx', ROOT))), { engine: e });
  // a Transformer classifier (ids + padding mask, an open sequence axis) and its dynamic int8 form
  const enc = new Model({ inputs: [{ name: 'ids', shape: [null], dtype: 'i32', maxShape: [8] }, { name: 'keep', shape: [null], dtype: 'i32', maxShape: [8] }], seed: 6, engine: e });
  enc.add(layers.embedding({ inputDim: 12, outputDim: 8, paddingIdx: 0, name: 'tok' }), { inputs: ['ids'] }).add(layers.positionEmbedding({ maxLength: 8, name: 'pos' }));
  enc.add(layers.multiHeadAttention({ numHeads: 2, mask: true, name: 'attn' }), { inputs: ['pos', 'keep'] }).add(layers.layerNormalization({ name: 'ln' }));
  enc.add(layers.maskedMeanPooling({ name: 'pool' }), { inputs: ['ln', 'keep'] }).add(layers.dense({ units: 3, activation: 'softmax', name: 'cls' }));
  const encQ = await quantizeModel(enc, undefined, { mode: 'dynamic' });
  return [modelToBytes(mlp), modelToBytes(cnn), modelToBytes(q), modelToBytes(g), modelToBytes(onnx.model), modelToBytes(enc), modelToBytes(encQ), modelToBytes(await sensorInt8(e))];
}

/** A sensor classifier (Conv1D → GRU → Dense) quantized statically: int8 Conv1D, the int8 GRU (qs8_gru), int8 head. */
async function sensorInt8(e: Engine): Promise<Model> {
  const r = new Rng(8);
  const m = new Sequential({ inputShape: [16, 3], seed: 7, engine: e });
  m.add(layers.conv1d({ filters: 4, kernelSize: 3, strides: 2, activation: 'relu' })); m.add(layers.gru({ units: 5 })); m.add(layers.dense({ units: 3, activation: 'softmax' }));
  return quantizeModel(m, new Tensor(Float32Array.from({ length: 8 * 48 }, () => r.normal()), [8, 16, 3]));
}

function mutateAxon(r: Rng, seed: Uint8Array): Uint8Array {
  if (r.uniform() < 0.35) return mutateBytes(r, seed, 8 + new DataView(seed.buffer, seed.byteOffset).getUint32(0, true));
  const { tensors, metadata } = decodeSafetensors(seed, 'seed', { copy: true });
  const md = { ...metadata }, key = r.uniform() < 0.85 || md.quant === undefined ? 'graph' : 'quant';
  md[key] = r.uniform() < 0.15 ? mutateText(r, md[key]) : JSON.stringify(mutateJson(r, JSON.parse(md[key])));
  const ts: Record<string, StTensorIn> = {};
  for (const [k, t] of tensors) ts[k] = { dtype: t.dtype, shape: t.shape, data: t.data };
  return encodeSafetensors(ts, md);
}

export const axonFormat: Format<Uint8Array> = {
  name: 'axon', seeds: axonSeeds, mutate: mutateAxon,
  async run(e, bytes) { await predictZeros(modelFromBytes(bytes, 'fuzz.axon', e).model); },
};

// ---- ONNX: the decoded ModelProto edited field by field and re-encoded, or the bytes ----
const ONNX_SEEDS = ['torch_mlp', 'torch_lenet', 'torch_mobilenet', 'torch_mobilenet_op17', 'torch_pools'];
interface OnnxSeed { bytes: Uint8Array; model?: OnnxModel }

function mutateOnnxModel(r: Rng, m: OnnxModel): void {
  const g = m.graph!;
  for (let n = 1 + r.int(3); n > 0; n--) {
    const op = r.int(8), node = g.node.length ? pick(r, g.node) : undefined, init = g.initializer?.length ? pick(r, g.initializer) : undefined;
    const big = () => pick(r, [0, -1, 2, 3, 7, 1e9, 16_777_216, 2 ** 31 - 1, -(2 ** 31), 65_536, 100_000]);
    if (op === 0 && init) { init.dims = (init.dims ?? []).map((d) => (r.uniform() < 0.4 ? big() : d)); if (r.uniform() < 0.2) init.dims.push(big()); }
    else if (op === 1 && init?.raw_data) init.raw_data = init.raw_data.subarray(0, r.int(init.raw_data.length + 1));
    else if (op === 2 && init) init.data_type = pick(r, [0, 1, 2, 3, 5, 6, 7, 9, 10, 11, 13, 16, 99]);
    else if (op === 3 && node?.attribute?.length) {
      const a = pick(r, node.attribute);
      if (a.ints?.length) a.ints = a.ints.map((v) => (r.uniform() < 0.5 ? big() : v));
      else if (a.i !== undefined) a.i = big();
      else if (a.f !== undefined) a.f = pick(r, [NaN, Infinity, -1, 0, 1e30]);
      else a.ints = [big(), big()];
    } else if (op === 4 && node) node.op_type = pick(r, ['Pad', 'Conv', 'MaxPool', 'Reshape', 'Gemm', 'Relu', 'Concat', 'Slice', 'Gather', 'Transpose', 'Flatten', 'Split', 'LSTM', 'Xyz']);
    else if (op === 5 && node) { if (node.input.length) node.input[r.int(node.input.length)] = pick(r, [g.node[0]?.output[0] ?? '', '', 'missing', g.input?.[0]?.name ?? 'x']); }
    else if (op === 6 && g.input?.[0]?.type?.tensor_type?.shape?.dim) { const d = pick(r, g.input[0].type.tensor_type.shape.dim); d.dim_value = big(); }
    else if (op === 7 && node) node.attribute = [...(node.attribute ?? []), { name: pick(r, ['pads', 'dilations', 'strides', 'kernel_shape', 'group', 'axis', 'perm', 'mode']), type: 7, ints: [big(), big(), big(), big()] }];
  }
}

export const onnxFormat: Format<OnnxSeed> = {
  name: 'onnx',
  async seeds() { return Promise.all(ONNX_SEEDS.map(async (s) => { const bytes = new Uint8Array(readFileSync(new URL(`tests/fixtures/onnx/${s}.onnx`, ROOT))); return { bytes, model: await decodeOnnx(bytes) }; })); },
  mutate(r, s) {
    if (r.uniform() < 0.3 || !s.model) return { bytes: mutateBytes(r, s.bytes, s.bytes.length) };
    const m = structuredClone(s.model) as OnnxModel;
    mutateOnnxModel(r, m);
    return { bytes: new Uint8Array(0), model: m };
  },
  async run(e, s) {
    const bytes = s.bytes.length ? s.bytes : await encodeOnnx(s.model!);
    await predictZeros((await importOnnx(bytes, { engine: e, file: 'fuzz.onnx' })).model, 1);
  },
};

// ---- TF.js: model.json text (edited as JSON or as text) and its weight shard ----
interface TfjsSeed { json: string; shard: Uint8Array }
function mutateTfjs(r: Rng, s: TfjsSeed): TfjsSeed {
  const k = r.uniform();
  if (k < 0.55) return { json: JSON.stringify(mutateJson(r, JSON.parse(s.json))), shard: s.shard };
  if (k < 0.75) return { json: mutateText(r, s.json), shard: s.shard };
  return { json: s.json, shard: mutateBytes(r, s.shard) };
}
const shardOf = (s: TfjsSeed) => (path: string) => {
  if (path !== 'weights.bin') throw new AxonError('IO', `no shard "${path}"`);   // as a file reader answers a missing file
  return s.shard;
};

async function tfjsLayersSeeds(): Promise<TfjsSeed[]> {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-cpu');
  const tfl = await import('@tensorflow/tfjs-layers');
  await tf.setBackend('cpu');
  const save = async (m: import('@tensorflow/tfjs-layers').LayersModel): Promise<TfjsSeed> => {
    let a: import('@tensorflow/tfjs-core').io.ModelArtifacts | undefined;
    await m.save(tf.io.withSaveHandler(async (x) => { a = x; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }; }));
    const data = new Uint8Array(a!.weightData as ArrayBuffer);
    return { json: JSON.stringify({ modelTopology: a!.modelTopology, format: 'layers-model', weightsManifest: [{ paths: ['weights.bin'], weights: a!.weightSpecs }] }), shard: data };
  };
  const mlp = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [10], units: 8, activation: 'relu' }), tfl.layers.dense({ units: 3, activation: 'softmax' })] });
  const cnn = tfl.sequential({ layers: [
    tfl.layers.conv2d({ inputShape: [10, 10, 2], filters: 4, kernelSize: 3, dilationRate: 2, padding: 'same', activation: 'relu' }),
    tfl.layers.maxPooling2d({ poolSize: 2 }), tfl.layers.batchNormalization(), tfl.layers.flatten(), tfl.layers.dense({ units: 3 })] });
  const inp = tfl.input({ shape: [6] }), a = tfl.layers.dense({ units: 5 }).apply(inp), b = tfl.layers.dense({ units: 5 }).apply(inp);
  const fn = tfl.model({ inputs: inp, outputs: tfl.layers.dense({ units: 2 }).apply(tfl.layers.add().apply([a, b] as never)) as never });
  const rnn = tfl.sequential({ layers: [tfl.layers.lstm({ inputShape: [5, 3], units: 4, recurrentInitializer: 'glorotUniform' }), tfl.layers.dense({ units: 2 })] });
  return Promise.all([mlp, cnn, fn, rnn].map(save));
}

export const tfjsLayersFormat: Format<TfjsSeed> = {
  name: 'tfjs-layers', seeds: tfjsLayersSeeds, mutate: mutateTfjs,
  async run(e, s) { await predictZeros((await importTfjsLayers(s.json, { loadShard: shardOf(s), engine: e, file: 'fuzz/model.json' })).model); },
};

async function tfjsGraphSeeds(): Promise<TfjsSeed[]> {
  const { A, GraphBuilder: G } = await import('../../tests/import/tfjs_graph_kit.js');
  const g = new G(), x = g.input('input', [-1, 8, 8, 3]);
  const c1 = g.op('c1/Conv2D', 'Conv2D', [x, g.rand('c1/w', [3, 3, 3, 4])], G.conv(1, 'SAME', 2));
  const r1 = g.op('c1/Relu', 'Relu', [g.op('c1/BiasAdd', 'BiasAdd', [c1, g.rand('c1/b', [4])], { data_format: A.s('NHWC') })]);
  const pad = g.op('pad/Pad', 'Pad', [r1, g.const('pad/paddings', [4, 2], [0, 0, 1, 0, 0, 1, 0, 0], 'int32')]);
  const mp = g.op('pool/MaxPool', 'MaxPool', [pad], { ksize: A.ints([1, 2, 2, 1]), strides: A.ints([1, 2, 2, 1]), padding: A.s('VALID') });
  const rs = g.op('flat/Reshape', 'Reshape', [mp, g.ints('flat/shape', [-1, 64])]);
  const mm = g.op('fc/MatMul', 'MatMul', [rs, g.rand('fc/w', [64, 5])], { transpose_a: A.b(false), transpose_b: A.b(false) });
  g.op('out/Softmax', 'Softmax', [g.op('fc/BiasAdd', 'BiasAdd', [mm, g.rand('fc/b', [5])])]);
  const j = g.json();
  return [{ json: JSON.stringify({ format: 'graph-model', modelTopology: j.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: j.weightSpecs }] }), shard: new Uint8Array(j.weightData) }];
}

export const tfjsGraphFormat: Format<TfjsSeed> = {
  name: 'tfjs-graph', seeds: tfjsGraphSeeds, mutate: mutateTfjs,
  async run(e, s) { await predictZeros((await importTfjsGraph(s.json, { loadShard: shardOf(s), engine: e, file: 'fuzz/model.json' })).model, 1); },
};

// ---- WASI bundles: the bytes (header-heavy), run by the WASI program and by the JS host ----
interface BundleSeed { bundle: Uint8Array; x: Float32Array; y: Int32Array }
let wasiDir: string | undefined;
async function bundleSeeds(e: Engine): Promise<BundleSeed[]> {
  const r = new Rng(9), n = 12;
  const m = new Sequential({ inputShape: [10], seed: 5, engine: e });
  m.add(layers.dense({ units: 8, activation: 'relu' })); m.add(layers.dense({ units: 3, activation: 'softmax' }));
  m.compile({ optimizer: { type: 'sgd', lr: 0.05 }, loss: 'sparseCategoricalCrossentropy' });
  const x = Float32Array.from({ length: n * 10 }, () => r.normal()), y = Int32Array.from({ length: n }, (_, i) => i % 3);
  // GELU in training (gelu_train_fwd, its derivative read back by dropout_bwd)
  const gm = new Sequential({ inputShape: [10], seed: 6, engine: e });
  gm.add(layers.dense({ units: 8, activation: 'gelu' })); gm.add(layers.dense({ units: 3, activation: 'softmax' }));
  gm.compile({ optimizer: { type: 'adam', lr: 0.01 }, loss: 'sparseCategoricalCrossentropy' });
  const xs = Float32Array.from({ length: n * 48 }, () => r.normal());
  return [
    { bundle: await compileBundle(m, { batch: 4, epochs: 2, samples: n }), x, y },
    { bundle: await compileBundle(m, { batch: 3 }), x, y },
    { bundle: await compileBundle(m, { batch: 4, device: true }), x, y },   // on-device training (TRAIN section, eval plans)
    { bundle: await compileBundle(gm, { batch: 4, epochs: 2, samples: n }), x, y },
    { bundle: await compileBundle(await sensorInt8(e), { batch: 2 }), x: xs, y },   // int8 Conv1D + qs8_gru inference
  ];
}

/** A corrupted bundle with its checksum recomputed, so the structural checks (not the checksum) must catch it. */
function sealed(b: Uint8Array): Uint8Array {
  if (b.length >= HEADER_BYTES) new DataView(b.buffer, b.byteOffset).setUint32(88, bundleChecksum(b), true);
  return b;
}
const mutateBundle = (r: Rng, s: BundleSeed) => mutateBytes(r, s.bundle, r.uniform() < 0.6 ? HEADER_BYTES : s.bundle.length);

export const wasiFormat: Format<BundleSeed> = {
  name: 'wasi', seeds: bundleSeeds,
  mutate: (r, s) => ({ ...s, bundle: mutateBundle(r, s) }),
  run: (e, s) => runBundle(e, s),
};
/** Bundles corrupted and then re-sealed with a valid checksum: what the WASI program's own validation meets. */
export const wasiSealedFormat: Format<BundleSeed> = {
  name: 'wasi-sealed', seeds: bundleSeeds,
  mutate: (r, s) => ({ ...s, bundle: sealed(mutateBundle(r, s)) }),
  run: (e, s) => runBundle(e, s),
};

async function runBundle(e: Engine, s: BundleSeed): Promise<void> {
  wasiDir ??= mkdtempSync(join(tmpdir(), 'axon-fuzz-wasi-'));
  writeFileSync(join(wasiDir, 'b.axb'), s.bundle);
  writeFileSync(join(wasiDir, 'x.bin'), new Uint8Array(s.x.buffer));
  writeFileSync(join(wasiDir, 'y.bin'), new Uint8Array(s.y.buffer));
  for (const args of [['infer', '/d/b.axb', '/d/x.bin', '/d/o.bin'], ['finetune', '/d/b.axb', '/d/x.bin', '/d/y.bin', '1', '/d/w.bin'],
    ['finetune', '/d/b.axb', '/d/x.bin', '/d/y.bin', '/d/w.bin', '--epochs', '2', '--val', '0.25', '--patience', '1', '--schedule', 'step,1,0.5', '--checkpoint', '/d/ck.bin']]) {
    const run = await runNodeWasi(args, { preopens: { '/d': wasiDir } });
    if (run.code !== 0 && !/\S/.test(run.stderr)) throw new Finding(`WASI ${args[0]} exited ${run.code} without a message`);
    if (![0, 64, 65, 66, 70, 73].includes(run.code)) throw new Finding(`WASI ${args[0]} exited ${run.code}: ${run.stderr.slice(0, 200)}`);
  }
  inferBundle(e, s.bundle, s.x);
  finetuneBundle(e, s.bundle, s.x, s.y, 1);
}

// ---- Hugging Face tokenizer.json: the parsed JSON edited (vocabularies set aside half the time, so
// edits reach the normalizer, pre-tokenizer, post-processor and model fields), or the text ----
const TOKENIZER_SEEDS = ['models/text/tokenizer.json', 'tests/fixtures/text/bpe.tokenizer.json', 'tests/fixtures/text/unigram.tokenizer.json'];
const TEXTS = ['turn on the kitchen lights', 'Ünïcödé ✓ 日本語 emoji 🙂 and a very long wooooooooooooooord', '', '   ', 'set a timer for 10 minutes, then play jazz!'];

function mutateTokenizer(r: Rng, seed: string): string {
  if (r.uniform() < 0.2) return mutateText(r, seed);
  const j = JSON.parse(seed) as { model?: Record<string, unknown> };
  const vocab = j.model?.vocab, merges = j.model?.merges;
  if (j.model && r.uniform() < 0.5) { delete j.model.vocab; delete j.model.merges; }   // (edits away from the thousands of vocabulary entries)
  const m = mutateJson(r, j) as { model?: Record<string, unknown> };
  if (m && typeof m === 'object' && m.model && typeof m.model === 'object' && !('vocab' in m.model) && vocab !== undefined) {
    m.model.vocab = vocab; if (merges !== undefined) m.model.merges = merges;
  }
  return JSON.stringify(m);
}

export const tokenizerFormat: Format<string> = {
  name: 'tokenizer', seeds: async () => TOKENIZER_SEEDS.map((f) => readFileSync(new URL(f, ROOT), 'utf8')), mutate: mutateTokenizer,
  async run(_e, text) {
    const t = await loadTokenizer(text, 'fuzz/tokenizer.json');
    const b = t.encode(TEXTS, { maxLength: 24 });
    if (b.ids.shape[0] !== TEXTS.length || b.mask.shape[1] !== b.ids.shape[1]) throw new Finding(`encode gave ids [${b.ids.shape}] and mask [${b.mask.shape}]`);
  },
};

export const FORMATS: Record<string, Format<any>> = {
  axon: axonFormat, onnx: onnxFormat, 'tfjs-layers': tfjsLayersFormat, 'tfjs-graph': tfjsGraphFormat, wasi: wasiFormat, 'wasi-sealed': wasiSealedFormat, tokenizer: tokenizerFormat,
};
export const cleanupFormats = () => { if (wasiDir) rmSync(wasiDir, { recursive: true, force: true }); wasiDir = undefined; };
void readdirSync;
