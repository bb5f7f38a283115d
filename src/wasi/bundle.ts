// The WASI bundle (.axb): everything the standalone program (build/axon.wasi.wasm, no JS on the
// device) needs to run a model's predict plan and fine-tune it with its train plan. Node-free:
// written here from a model's Session, read here (by the Node target's runner) and by
// assembly/wasi/bundle.ts (by the WASI program). Both readers must accept exactly this layout.
//
// Little-endian; every integer is a u32 word; every section starts on a 16-byte boundary.
// Version 2 adds the IO section (several named, typed inputs and outputs, the concrete shape sets
// the plans were compiled for, several losses); version 1 files (one f32 input, one output, one
// shape) are still read: their IO is implied by the header (bundle_io.ts legacyIO).
//
//   HEADER, 96 bytes (24 words); words 6..14 describe input 0 / output 0 / loss 0 at shape set 0
//     0 magic 'AXBN' (0x4e425841)      1 version (2; 1 read)  2 file bytes         3 section count S
//     4 arena bytes (the Layout)       5 batch N              6 input f32 per row  7 output f32 per row
//     8 input offset                   9 output offset       10 loss offset       11 target offset
//    12 target kind (0 none, 1 f32 rows, 2 i32 class ids)    13 target words per sample
//    14 classes (i32 ids must lie in [0, classes))           15 samples n the fine-tuning was compiled for (0: none)
//    16 epochs compiled E             17 steps per epoch ceil(n / B)                 18 shuffle seed
//    19 flags: bit0 shuffle every epoch, bit1 has a train plan, bit2 word 22 is a checksum   20 train batch B = min(N, n)
//    21 the shape set the train plans run at (version 1: 0)   22 checksum: FNV-1a (32-bit) of the whole file with this word read as 0 (when flag bit2)   23 zero
//   SECTION TABLE, S x 16 bytes: kind, start (from file start), bytes, count
//   SECTIONS (kinds):
//     1 IMAGE   count segments: count x (arena offset, bytes), then each segment's bytes padded to 4.
//               The arena is zero except for these (parameters, optimizer state, rng state: every
//               non-transient buffer with a non-zero byte when the bundle was made).
//     2 PARAMS  count params: count x (arena offset, bytes, name start, name length), then UTF-8
//               names (starts relative to the section). out-weights.bin = these, concatenated.
//     3 PLANS   count plans: count x (mode | shape set << 8, batch, start, bytes), mode 0 predict / 2 train, then the plans
//               (assembly/plan.ts format, offsets relative to the arena base), each 16-aligned,
//               start relative to the section. Predict plans for every shape set and batch 1..N (so the last,
//               short chunk runs exactly as Model.predict runs it); train plans for B and for
//               the epoch's last short batch n - (steps-1)B when that differs.
//     4 HP      count = steps T = E x steps-per-epoch. Words: K, W, V, 0; K x (arena offset, words)
//               hyperparameter blocks (W words in all, in this order); W base words (f32 bits, the
//               values that never change); V indices into those W words that change; T x V words,
//               step t's values. Before step t (0-based, over all epochs) the runner writes the base
//               words once and step t's V words: exactly what Optimizer.writeStep writes there.
//     5 META    UTF-8 JSON for people and tools (model name, shapes, loss, optimizer, param names).
//     6 IO      inputs, outputs, shape sets, losses (version 2; layout in bundle_io.ts).
//
// Data files the program reads and writes, one per input / output / loss: rows of f32 LE (or i32
// LE for an i32 input), in the shape set's per-sample shape; y.bin is i32 LE class ids (target
// kind 2) or f32 LE rows (kind 1); out-weights.bin is f32 LE.
import { AxonError } from '../errors.js';
import { checkPlanWords } from '../compile/plan_check.js';
import { size } from '../layers/layer.js';
import type { Model } from '../model/model.js';
import { BundleIO, describeShapes, encodeIO, legacyIO, parseIO, shapeSetKey } from './bundle_io.js';
import { bundleIO, shapeSets, trainShapeIndex } from './bundle_shapes.js';

export const BUNDLE_MAGIC = 0x4e425841;
export const BUNDLE_VERSION = 2;
export const HEADER_BYTES = 96;
export const SEC = { IMAGE: 1, PARAMS: 2, PLANS: 3, HP: 4, META: 5, IO: 6 } as const;
export const MODE = { predict: 0, train: 2 } as const;
export const NONE = 0xffffffff;
export const FLAG_SHUFFLE = 1, FLAG_TRAIN = 2, FLAG_CHECKSUM = 4;
/** The largest model arena a bundle may ask for (both readers refuse more; compileBundle too). */
export const MAX_ARENA_BYTES = 512 * 2 ** 20;

/** FNV-1a (32-bit) of the bundle with header word 22 (the checksum itself) read as zero. */
export function bundleChecksum(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= i >= 88 && i < 92 ? 0 : bytes[i];
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

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
}

export interface BundleParam { name: string; offset: number; bytes: number }
export interface BundlePlan { mode: number; batch: number; words: Uint32Array; /** shape set index */ shape: number }
export interface BundleHp { blocks: Array<{ offset: number; words: number }>; base: Uint32Array; varying: Uint32Array; steps: number; values: Uint32Array }
export interface Bundle {
  version: number; arenaBytes: number; batch: number; inFeatures: number; outFeatures: number;
  input: number; output: number; loss: number; target: number; targetKind: 0 | 1 | 2; targetWords: number; classes: number;
  samples: number; epochs: number; stepsPerEpoch: number; seed: number; shuffle: boolean; hasTrain: boolean; trainBatch: number;
  /** inputs, outputs, shape sets, losses (a version-1 bundle's: implied by its header) */
  io: BundleIO; trainShape: number;
  image: Array<{ offset: number; data: Uint8Array }>;
  params: BundleParam[];
  plans: BundlePlan[];
  hp?: BundleHp;
  meta: Record<string, unknown>;
}

const pad16 = (n: number) => (n + 15) & ~15;
const pad4 = (n: number) => (n + 3) & ~3;

/** Builds the bundle of a model at batch N (and its fine-tuning schedule when epochs are given). */
export async function compileBundle(model: Model, o: BundleOptions): Promise<Uint8Array> {
  const N = o.batch, epochs = o.epochs ?? 0, n = o.samples ?? 0;
  if (!Number.isInteger(N) || N < 1) throw new AxonError('BAD_CONFIG', `bundle: batch must be a positive integer, got ${o.batch}`);
  if (!Number.isInteger(epochs) || epochs < 0) throw new AxonError('BAD_CONFIG', `bundle: epochs must be a non-negative integer, got ${o.epochs}`);
  const train = epochs > 0;
  if (train) {
    if (!model.losses.length || !model.optimizer) throw new AxonError('BAD_CONFIG', 'bundle: fine-tuning needs a compiled model (loss and optimizer); compile it or save it with its compile settings');
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
    hp = hyperparameters(model, s, T, steps);
  }
  const io = bundleIO(model, s, sets, train);
  const tgt = train && s.target !== undefined ? L.get(s.target) : undefined;
  const header = new Uint32Array(HEADER_BYTES / 4);
  if (L.bytes > MAX_ARENA_BYTES) throw new AxonError('OUT_OF_MEMORY', `bundle: the model's arena at batch ${N} takes ${L.bytes} bytes, more than the ${MAX_ARENA_BYTES} a bundle may ask for; use a smaller --batch`);
  header.set([BUNDLE_MAGIC, BUNDLE_VERSION, 0, 0, L.bytes, N, io.shapes[0][0].reduce((a, b) => a * b, 1), io.outSizes[0][0],
    io.inputs[0].offset, io.outputs[0].offset, train ? L.get(s.lossBuf).offset : NONE, tgt ? tgt.offset : NONE,
    tgt ? (tgt.dtype === 'i32' ? 2 : 1) : 0, tgt ? model.loss!.targetPerSample : 0, tgt && tgt.dtype === 'i32' ? model.loss!.outputs : 0,
    n * +train, epochs, steps, (o.seed ?? (model.seed ^ 0x5eed)) >>> 0, ((o.shuffle ?? true) ? FLAG_SHUFFLE : 0) | (train ? FLAG_TRAIN : 0) | FLAG_CHECKSUM, B, trainAt]);
  const meta = {
    format: 'axon-wasi-bundle', version: BUNDLE_VERSION, model: model.name, inputShape: model.inputShape, outputShape: model.outputShape,
    inputs: model.inputs.map((m) => ({ name: m.name, dtype: m.dtype, shape: m.shape, maxShape: m.max, ...(m.range ? { range: m.range } : {}) })), outputs: model.outputNames, shapes: sets,
    batch: N, ...(train ? { samples: n, epochs, trainBatch: B, stepsPerEpoch: steps, trainShape: sets[trainAt], firstStep: model.step + 1, losses: model.losses.map((l) => ({ output: l.name, loss: l.spec.name, weight: l.weight })), optimizer: model.optimizer!.cfg } : {}),
    params: params.map((p) => p.name), kernels: 'simd',
  };
  const sections: Array<[number, Uint8Array, number]> = [
    [SEC.IMAGE, imageSection(image), image.length],
    [SEC.PARAMS, paramsSection(params), params.length],
    [SEC.PLANS, plansSection(plans), plans.length],
    ...(hp ? [[SEC.HP, hpSection(hp), hp.steps] as [number, Uint8Array, number]] : []),
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

/** Reads and checks a bundle (every offset and size), or throws BAD_MODEL_FILE saying what is wrong. */
export function parseBundle(bytes: Uint8Array, name = 'bundle'): Bundle {
  const bad = (m: string): never => { throw new AxonError('BAD_MODEL_FILE', `${name}: ${m}`); };
  if (bytes.length < HEADER_BYTES) bad(`${bytes.length} bytes is too short for an Axon WASI bundle`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const w = (i: number) => dv.getUint32(i * 4, true);
  if (w(0) !== BUNDLE_MAGIC) bad('not an Axon WASI bundle (bad magic)');
  if (w(1) !== BUNDLE_VERSION && w(1) !== 1) bad(`bundle version ${w(1)} is not supported (this Axon reads versions 1 and ${BUNDLE_VERSION}); recompile it with axon compile`);
  if (w(2) !== bytes.length) bad(`the header says ${w(2)} bytes but the file has ${bytes.length} (truncated?)`);
  if (w(1) !== 1 && !(w(19) & FLAG_CHECKSUM)) bad('this version-2 bundle carries no checksum (flag bit 2 of header word 19 is clear; axon compile always sets it): it is corrupt; copy it again or re-run axon compile');
  if (w(19) & FLAG_CHECKSUM && bundleChecksum(bytes) !== w(22)) bad(`checksum mismatch (the file says ${w(22).toString(16)}, its bytes give ${bundleChecksum(bytes).toString(16)}): the bundle is corrupt; copy it again or re-run axon compile`);
  const S = w(3), arenaBytes = w(4);
  if (HEADER_BYTES + S * 16 > bytes.length) bad('section table is truncated');
  const inArena = (off: number, len: number, what: string) => { if (off + len > arenaBytes) bad(`${what} [${off}, ${off + len}) lies outside the ${arenaBytes}-byte arena`); };
  const b: Bundle = {
    version: w(1), arenaBytes, batch: w(5), inFeatures: w(6), outFeatures: w(7), input: w(8), output: w(9), loss: w(10), target: w(11),
    targetKind: w(12) as 0 | 1 | 2, targetWords: w(13), classes: w(14), samples: w(15), epochs: w(16), stepsPerEpoch: w(17), seed: w(18),
    shuffle: (w(19) & FLAG_SHUFFLE) !== 0, hasTrain: (w(19) & FLAG_TRAIN) !== 0, trainBatch: w(20), image: [], params: [], plans: [], meta: {},
    io: undefined as unknown as BundleIO, trainShape: w(1) === 1 ? 0 : w(21),
  };
  if (b.batch < 1 || b.inFeatures < 1 || b.outFeatures < 1) bad('batch and feature counts must be positive');
  if (arenaBytes > MAX_ARENA_BYTES) bad(`its arena of ${arenaBytes} bytes exceeds the ${MAX_ARENA_BYTES} bytes a bundle may ask for`);
  if ((b.input | b.output | (b.hasTrain ? b.loss | b.target : 0)) % 4) bad('the input, output, loss and target offsets must be multiples of 4');
  inArena(b.input, b.batch * b.inFeatures * 4, 'input buffer');
  inArena(b.output, b.batch * b.outFeatures * 4, 'output buffer');
  if (b.hasTrain) {
    if (b.targetKind < 1 || b.targetKind > 2 || b.target === NONE || b.loss === NONE) bad('a fine-tuning bundle needs a target and a loss buffer');
    if (b.trainBatch < 1 || b.trainBatch > b.batch || b.samples < 1 || b.stepsPerEpoch !== Math.ceil(b.samples / b.trainBatch)) bad('inconsistent fine-tuning counts');
    inArena(b.target, b.trainBatch * b.targetWords * 4, 'target buffer');
    inArena(b.loss, 4, 'loss buffer');
  }
  const seen = new Set<number>();
  for (let i = 0; i < S; i++) {
    const [kind, start, len, count] = [w(24 + i * 4), w(25 + i * 4), w(26 + i * 4), w(27 + i * 4)];
    if (start % 16 || start + len > bytes.length) bad(`section ${i} (kind ${kind}) lies outside the file`);
    if (seen.has(kind)) bad(`section kind ${kind} appears twice`);
    seen.add(kind);
    const sec = new DataView(bytes.buffer, bytes.byteOffset + start, len);
    const u = (k: number) => { if (k * 4 + 4 > len) bad(`section kind ${kind} is truncated`); return sec.getUint32(k * 4, true); };
    const slice = (from: number, n: number, what: string) => { if (from + n > len) bad(`${what} lies outside its section`); return bytes.subarray(start + from, start + from + n); };
    if (kind === SEC.IMAGE) {
      let at = count * 8;
      for (let j = 0; j < count; j++) {
        const off = u(2 * j), n = u(2 * j + 1);
        inArena(off, n, `image segment ${j}`);
        b.image.push({ offset: off, data: slice(at, n, `image segment ${j}`) });
        at += pad4(n);
      }
    } else if (kind === SEC.PARAMS) {
      for (let j = 0; j < count; j++) {
        const off = u(4 * j), n = u(4 * j + 1);
        inArena(off, n, `parameter ${j}`);
        b.params.push({ offset: off, bytes: n, name: new TextDecoder().decode(slice(u(4 * j + 2), u(4 * j + 3), `parameter ${j}'s name`)) });
      }
    } else if (kind === SEC.PLANS) {
      for (let j = 0; j < count; j++) {
        const from = u(4 * j + 2), n = u(4 * j + 3);
        if (from % 16 || n % 4) bad(`plan ${j} is misaligned`);
        const raw = slice(from, n, `plan ${j}`);
        const words = new Uint32Array(raw.slice().buffer);
        checkPlanWords(words, arenaBytes, `${name}: plan ${j}`);
        b.plans.push({ mode: u(4 * j) & 0xff, shape: u(4 * j) >>> 8, batch: u(4 * j + 1), words });
      }
    } else if (kind === SEC.HP) {
      const K = u(0), W = u(1), V = u(2);
      if (4 + 2 * K + W + V + count * V > len / 4) bad('hyperparameter section is truncated');
      const blocks = Array.from({ length: K }, (_, j) => ({ offset: u(4 + 2 * j), words: u(5 + 2 * j) }));
      if (blocks.reduce((a, x) => a + x.words, 0) !== W) bad('hyperparameter blocks do not add up');
      for (const x of blocks) inArena(x.offset, x.words * 4, 'hyperparameter block');
      const words = new Uint32Array(bytes.slice(start, start + len).buffer);
      const varying = words.slice(4 + 2 * K + W, 4 + 2 * K + W + V);
      if (varying.some((v) => v >= W)) bad('hyperparameter index out of range');
      b.hp = { blocks, base: words.slice(4 + 2 * K, 4 + 2 * K + W), varying, steps: count, values: words.slice(4 + 2 * K + W + V, 4 + 2 * K + W + V + count * V) };
    } else if (kind === SEC.IO) {
      if (b.version === 1) bad('a version-1 bundle has no IO section');
      b.io = parseIO(slice(0, len, 'IO'), bad);
    } else if (kind === SEC.META) {
      try { b.meta = JSON.parse(new TextDecoder().decode(slice(0, len, 'meta'))); } catch { bad('META is not JSON'); }
    }
  }
  checkIO(b, bad, inArena);
  for (let s = 0; s < b.io.shapes.length; s++) for (let k = 1; k <= b.batch; k++) if (!b.plans.some((p) => p.mode === MODE.predict && p.batch === k && p.shape === s)) bad(`no predict plan for batch ${k}${b.io.shapes.length > 1 ? ` at shapes ${shapeSetKey(b.io.shapes[s])}` : ''}`);
  if (b.hasTrain) {
    if (!b.hp || b.hp.steps !== b.epochs * b.stepsPerEpoch) bad('the hyperparameter table does not cover the compiled epochs');
    const last = b.samples - (b.stepsPerEpoch - 1) * b.trainBatch;
    for (const k of [b.trainBatch, last]) if (!b.plans.some((p) => p.mode === MODE.train && p.batch === k && p.shape === b.trainShape)) bad(`no train plan for batch ${k}`);
  }
  return b;
}

/** The IO (a version-1 bundle's from its header) and its buffers inside the arena. */
function checkIO(b: Bundle, bad: (m: string) => never, inArena: (off: number, len: number, what: string) => void): void {
  if (!b.io) {
    if (b.version !== 1) bad('no IO section');
    b.io = legacyIO(b);
  }
  const io = b.io, K = io.shapes.length;
  if (b.trainShape >= K) bad(`the train plans' shape set ${b.trainShape} is not one of the ${K}`);
  const most = (per: (k: number) => number) => Math.max(...Array.from({ length: K }, (_, k) => per(k)));
  io.inputs.forEach((m, i) => inArena(m.offset, b.batch * most((k) => io.shapes[k][i].reduce((a, d) => a * d, 1)) * 4, `input "${m.name}" buffer`));
  io.outputs.forEach((o, j) => inArena(o.offset, b.batch * most((k) => io.outSizes[k][j]) * 4, `output "${o.name}" buffer`));
  if (b.hasTrain && !io.losses.length) bad('a fine-tuning bundle needs a loss');
  for (const l of io.losses) { inArena(l.target, b.trainBatch * l.words * 4, 'target buffer'); inArena(l.loss, 4, 'loss buffer'); }
}

/** The shape set index for these per-sample shapes, or an AxonError listing the ones the bundle has. */
export function shapeIndex(b: Bundle, shapes: number[][]): number {
  const k = b.io.shapes.findIndex((set) => shapeSetKey(set) === shapeSetKey(shapes));
  if (k < 0) throw new AxonError('BAD_SHAPE', `this bundle has no plans for input shapes ${shapeSetKey(shapes)}; it was compiled for ${describeShapes(b.io)} (recompile with those shapes added)`);
  return k;
}

/** out-weights.bin (or any concatenation of the PARAMS in order) → named weights for Model.setWeights. */
export function weightsFromBin(b: Bundle, bin: Uint8Array): Map<string, Float32Array> {
  const total = b.params.reduce((a, p) => a + p.bytes, 0);
  if (bin.length !== total) throw new AxonError('BAD_DATA', `weights file has ${bin.length} bytes; this bundle's parameters take ${total}`);
  const out = new Map<string, Float32Array>();
  let at = 0;
  for (const p of b.params) { out.set(p.name, new Float32Array(bin.slice(at, at + p.bytes).buffer)); at += p.bytes; }
  return out;
}
