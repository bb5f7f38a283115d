// Writing a WASI bundle (.axb) from a model's Session: the layout is documented in bundle_format.ts,
// read back by bundle_read.ts (the Node target's runner) and assembly/wasi/bundle.ts (the program).
import { AxonError } from '../errors.js';
import { size } from '../layers/layer.js';
import type { Model } from '../model/model.js';
import { requireTrainable } from '../train/trainer.js';
import { encodeIO, shapeSetKey } from './bundle_io.js';
import { bundleIO, shapeSets, trainShapeIndex } from './bundle_shapes.js';
import { trainSection } from './bundle_train.js';
import { classesOf } from '../train/loss.js';

export * from './bundle_format.js';
export { parseBundle, shapeIndex, weightsFromBin } from './bundle_read.js';
import { BundleHp, BundleParam, BundlePlan, BUNDLE_MAGIC, BUNDLE_VERSION, HEADER_BYTES, SEC, MODE, NONE, FLAG_SHUFFLE, FLAG_TRAIN, FLAG_CHECKSUM, MAX_ARENA_BYTES, bundleChecksum } from './bundle_format.js';

/** Buffers whose contents never carry over from one plan call to the next (left out of the image). */
const TRANSIENT = (name: string) => /^(input|target|loss)(:\d+)?$/.test(name) || name === 'gemm.scratch' || /^(act|dact|grad|hp|aux):/.test(name);

export interface BundleOptions {
  /** the batch size N the plans are compiled for (predict chunks and fine-tuning mini-batches) */
  batch: number;
  /** fine-tuning epochs to precompute hyperparameters for (0 or absent: inference only) */
  epochs?: number;
  /** number of fine-tuning samples (the steps per epoch and the last short batch depend on it) */
  samples?: number;
  /** shuffle seed (default as Model.fit: the model's seed ^ 0x5eed) */
  seed?: number;
  /** shuffle every epoch (default true, as fit) */
  shuffle?: boolean;
  /**
   * the concrete per-sample input shapes to hold plans for: a list of shape sets, each one shape
   * per input (e.g. [[[5, 4], [6]], [[9, 4], [6]]]). Default: the declared shapes (open dimensions
   * at their maxima; a model with an unbounded open dimension must list them).
   */
  shapes?: number[][][];
  /** the shape set fine-tuning runs at (default: the first) */
  trainShape?: number[][];
  /**
   * on-device training: the device gets any number of rows and chooses epochs, learning rate,
   * schedule, validation split and early stopping itself (train and eval plans for every batch
   * 1..N, the TRAIN section: bundle_train.ts); `epochs` and `samples` are not needed
   */
  device?: boolean;
  /** with device: the device applies the model file's saved normalizer to input 0 (infer and finetune) */
  normalize?: boolean;
}

const pad16 = (n: number) => (n + 15) & ~15;
const pad4 = (n: number) => (n + 3) & ~3;

/** Builds the bundle of a model at batch N (and its fine-tuning schedule when epochs are given). */
export async function compileBundle(model: Model, o: BundleOptions): Promise<Uint8Array> {
  const N = o.batch, device = o.device === true, epochs = device ? 1 : o.epochs ?? 0, n = device ? N : o.samples ?? 0;
  if (o.normalize && !device) throw new AxonError('BAD_CONFIG', 'bundle: normalize (on the device) needs device: true; otherwise normalize the data on the host');
  if (!Number.isInteger(N) || N < 1) throw new AxonError('BAD_CONFIG', `bundle: batch must be a positive integer, got ${o.batch}`);
  if (!Number.isInteger(epochs) || epochs < 0) throw new AxonError('BAD_CONFIG', `bundle: epochs must be a non-negative integer, got ${o.epochs}`);
  const train = epochs > 0;
  if (train) {
    if (!model.losses.length || !model.optimizer) throw new AxonError('BAD_CONFIG', 'bundle: fine-tuning needs a compiled model (loss and optimizer); compile it or save it with its compile settings');
    requireTrainable(model, 'bundle');
    if (!Number.isInteger(n) || n < 1) throw new AxonError('BAD_CONFIG', `bundle: fine-tuning needs the number of samples (a positive integer), got ${o.samples}`);
  }
  const sets = shapeSets(model, o.shapes);
  const trainAt = train ? trainShapeIndex(sets, o.trainShape) : 0;
  const s = await model.session(N, { shapes: model.inputs.map((_, i) => sets[0][i].map((_, d) => Math.max(...sets.map((set) => set[i][d])))) });
  for (const set of sets) if (!s.supports(set)) throw new AxonError('BAD_CONFIG', `bundle: no plans fit input shapes ${shapeSetKey(set)}`);
  const L = s.layout;
  const B = train ? Math.min(N, n) : 0, steps = train ? Math.ceil(n / B) : 0, T = epochs * steps;

  // image: non-transient roots with a non-zero byte
  const image: Array<{ offset: number; data: Uint8Array }> = [];
  for (const b of L.buffers) {
    if (b.root >= 0 || TRANSIENT(b.name) || b.bytes === 0) continue;
    const bytes = s.bound.u8(b.id);
    if (bytes.some((v) => v !== 0)) image.push({ offset: b.offset, data: bytes.slice() });
  }
  const params: BundleParam[] = [];
  for (const l of model.layers) for (const p of l.params) {
    const b = L.get(s.buf(`${l.name}.${p.name}`));
    params.push({ name: `${l.name}.${p.name}`, offset: b.offset, bytes: b.bytes });
  }
  const plans: BundlePlan[] = [];
  sets.forEach((set, k) => { for (let b = 1; b <= N; b++) plans.push({ mode: MODE.predict, batch: b, shape: k, words: s.plan('predict', b, set).plan.encode() }); });
  let hp: BundleHp | undefined;
  if (train) {
    plans.push({ mode: MODE.train, batch: B, shape: trainAt, words: s.plan('train', B, sets[trainAt]).plan.encode() });
    const last = n - (steps - 1) * B;
    if (last !== B) plans.push({ mode: MODE.train, batch: last, shape: trainAt, words: s.plan('train', last, sets[trainAt]).plan.encode() });
    if (device) for (let b = 1; b < B; b++) plans.push({ mode: MODE.train, batch: b, shape: trainAt, words: s.plan('train', b, sets[trainAt]).plan.encode() });
    if (device) for (let b = 1; b <= B; b++) plans.push({ mode: MODE.eval, batch: b, shape: trainAt, words: s.plan('eval', b, sets[trainAt]).plan.encode() });
    hp = hyperparameters(model, s, T, steps);
  }
  const io = bundleIO(model, s, sets, train);
  const tgt = train && s.target !== undefined ? L.get(s.target) : undefined;
  const header = new Uint32Array(HEADER_BYTES / 4);
  if (L.bytes > MAX_ARENA_BYTES) throw new AxonError('OUT_OF_MEMORY', `bundle: the model's arena at batch ${N} takes ${L.bytes} bytes, more than the ${MAX_ARENA_BYTES} a bundle may ask for; use a smaller --batch`);
  header.set([BUNDLE_MAGIC, BUNDLE_VERSION, 0, 0, L.bytes, N, io.shapes[0][0].reduce((a, b) => a * b, 1), io.outSizes[0][0],
    io.inputs[0].offset, io.outputs[0].offset, train ? L.get(s.lossBuf).offset : NONE, tgt ? tgt.offset : NONE,
    tgt ? (tgt.dtype === 'i32' ? 2 : 1) : 0, tgt ? model.loss!.targetPerSample : 0, tgt && tgt.dtype === 'i32' ? classesOf(model.loss!) : 0,
    n * +train, epochs, steps, (o.seed ?? (model.seed ^ 0x5eed)) >>> 0, ((o.shuffle ?? true) ? FLAG_SHUFFLE : 0) | (train ? FLAG_TRAIN : 0) | FLAG_CHECKSUM, B, trainAt]);
  const meta = {
    format: 'axon-wasi-bundle', version: BUNDLE_VERSION, model: model.name, inputShape: model.inputShape, outputShape: model.outputShape,
    inputs: model.inputs.map((m) => ({ name: m.name, dtype: m.dtype, shape: m.shape, maxShape: m.max, ...(m.range ? { range: m.range } : {}) })), outputs: model.outputNames, shapes: sets,
    batch: N, ...(device ? { device: true, normalize: o.normalize === true } : {}), ...(train ? { samples: n, epochs, trainBatch: B, stepsPerEpoch: steps, trainShape: sets[trainAt], firstStep: model.step + 1, losses: model.losses.map((l) => ({ output: l.name, loss: l.spec.name, weight: l.weight })), optimizer: model.optimizer!.cfg } : {}),
    params: params.map((p) => p.name), kernels: 'simd',
  };
  const sections: Array<[number, Uint8Array, number]> = [
    [SEC.IMAGE, imageSection(image), image.length],
    [SEC.PARAMS, paramsSection(params), params.length],
    [SEC.PLANS, plansSection(plans), plans.length],
    ...(hp ? [[SEC.HP, hpSection(hp), hp.steps] as [number, Uint8Array, number]] : []),
    ...(device ? [[SEC.TRAIN, trainSection(model, L.buffers.filter((b) => b.root < 0 && !TRANSIENT(b.name) && b.bytes > 0).map((b) => ({ offset: b.offset, bytes: b.bytes })), o.normalize === true), 0] as [number, Uint8Array, number]] : []),
    [SEC.META, new TextEncoder().encode(JSON.stringify(meta)), 0],
    [SEC.IO, encodeIO(io), 0],
  ];
  let at = pad16(HEADER_BYTES + sections.length * 16);
  const table = new Uint32Array(sections.length * 4);
  sections.forEach(([kind, data, count], i) => { table.set([kind, at, data.length, count], i * 4); at = pad16(at + data.length); });
  const out = new Uint8Array(at);
  header[2] = out.length; header[3] = sections.length;
  out.set(bytesOf(header), 0);
  out.set(bytesOf(table), HEADER_BYTES);
  sections.forEach(([, data], i) => out.set(data, table[i * 4 + 1]));
  new DataView(out.buffer).setUint32(88, bundleChecksum(out), true);
  return out;
}

/** Runs Optimizer.writeStep for every step and records what it writes (the session is left as it was). */
function hyperparameters(model: Model, s: Awaited<ReturnType<Model['session']>>, T: number, steps: number): BundleHp {
  const opt = model.optimizer!;
  const hpBufs = s.layout.buffers.filter((b) => b.root < 0 && b.name.startsWith('hp:'));
  const blocks = hpBufs.map((b) => ({ offset: b.offset, words: b.bytes >> 2 }));
  const W = blocks.reduce((a, b) => a + b.words, 0);
  const saved = hpBufs.map((b) => s.bound.u8(b.id).slice());
  const all = new Uint32Array(T * W);
  for (let i = 0; i < T; i++) {
    const t = model.step + i + 1, epoch = Math.floor(i / steps);
    opt.writeStep(s, t, opt.schedule(opt.cfg.lr, t - 1, epoch));
    let k = i * W;
    for (const b of hpBufs) { const u = new Uint32Array(s.bound.u8(b.id).slice().buffer); all.set(u, k); k += u.length; }
  }
  hpBufs.forEach((b, i) => s.bound.u8(b.id).set(saved[i]));
  const base = all.slice(0, W);
  const varying: number[] = [];
  for (let w = 0; w < W; w++) for (let i = 1; i < T; i++) if (all[i * W + w] !== base[w]) { varying.push(w); break; }
  const values = new Uint32Array(T * varying.length);
  for (let i = 0; i < T; i++) varying.forEach((w, j) => { values[i * varying.length + j] = all[i * W + w]; });
  return { blocks, base, varying: Uint32Array.from(varying), steps: T, values };
}

function bytesOf(a: Uint32Array): Uint8Array { return new Uint8Array(a.buffer, a.byteOffset, a.byteLength); }

function imageSection(segs: Array<{ offset: number; data: Uint8Array }>): Uint8Array {
  const head = segs.length * 8;
  const out = new Uint8Array(head + segs.reduce((a, s) => a + pad4(s.data.length), 0));
  const dv = new DataView(out.buffer);
  let at = head;
  segs.forEach((s, i) => { dv.setUint32(i * 8, s.offset, true); dv.setUint32(i * 8 + 4, s.data.length, true); out.set(s.data, at); at += pad4(s.data.length); });
  return out;
}

function paramsSection(ps: BundleParam[]): Uint8Array {
  const names = ps.map((p) => new TextEncoder().encode(p.name));
  const head = ps.length * 16;
  const out = new Uint8Array(head + names.reduce((a, n) => a + n.length, 0));
  const dv = new DataView(out.buffer);
  let at = head;
  ps.forEach((p, i) => { dv.setUint32(i * 16, p.offset, true); dv.setUint32(i * 16 + 4, p.bytes, true); dv.setUint32(i * 16 + 8, at, true); dv.setUint32(i * 16 + 12, names[i].length, true); out.set(names[i], at); at += names[i].length; });
  return out;
}

function plansSection(plans: BundlePlan[]): Uint8Array {
  let at = pad16(plans.length * 16);
  const starts = plans.map((p) => { const s = at; at = pad16(at + p.words.byteLength); return s; });
  const out = new Uint8Array(at);
  const dv = new DataView(out.buffer);
  plans.forEach((p, i) => { dv.setUint32(i * 16, p.mode | (p.shape << 8), true); dv.setUint32(i * 16 + 4, p.batch, true); dv.setUint32(i * 16 + 8, starts[i], true); dv.setUint32(i * 16 + 12, p.words.byteLength, true); out.set(bytesOf(p.words), starts[i]); });
  return out;
}

function hpSection(h: BundleHp): Uint8Array {
  const K = h.blocks.length, W = h.base.length, V = h.varying.length;
  const w = new Uint32Array(4 + 2 * K + W + V + h.steps * V);
  w.set([K, W, V, 0]);
  let k = 4;
  for (const b of h.blocks) { w[k++] = b.offset; w[k++] = b.words; }
  w.set(h.base, k); k += W;
  w.set(h.varying, k); k += V;
  w.set(h.values, k);
  return bytesOf(w);
}

