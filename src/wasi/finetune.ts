// The JS-host twin of build/axon.wasi.wasm: runs a WASI bundle (src/wasi/bundle.ts) on an Engine
// with the same steps in the same order (image placement, predict chunks of N, seeded Fisher-Yates
// shuffle, per-step hyperparameter words, one train plan call per mini-batch), so its outputs and
// weights can be compared bit for bit with the WASI program's. Node-free; any target can use it.
import { AxonError } from '../errors.js';
import { Layout } from '../compile/plan.js';
import { BoundLayout } from '../runtime/bound.js';
import { Engine } from '../runtime/engine.js';
import { Rng } from '../runtime/rng.js';
import { Bundle, BundlePlan, MODE, parseBundle, shapeIndex } from './bundle.js';
import { describeShapes, inputSize, shapesFitting } from './bundle_io.js';

export type Rows = Float32Array | Int32Array;

export interface BundleFinetuneResult {
  /** the parameters, concatenated in the bundle's PARAMS order (= out-weights.bin) */
  weights: Float32Array;
  /** mean training loss per epoch (sample-weighted, as printed by the WASI program) */
  losses: number[];
}

/** A bundle placed in an engine's arena. dispose() frees the arena block. */
export class BundleRunner {
  readonly bundle: Bundle;
  readonly bound: BoundLayout;
  private readonly mark: number;
  private readonly plans = new Map<string, { ptr: number; plan: BundlePlan }>();

  constructor(readonly engine: Engine, bundle: Bundle | Uint8Array) {
    this.bundle = bundle instanceof Uint8Array ? parseBundle(bundle) : bundle;
    const b = this.bundle;
    this.mark = engine.mark();
    const layout = new Layout();
    layout.add('arena', 'u8', b.arenaBytes);
    this.bound = new BoundLayout(engine, layout);
    for (const seg of b.image) engine.u8(this.bound.base + seg.offset, seg.data.length).set(seg.data);
    for (const p of b.plans) {
      const ptr = engine.put(p.words);
      const rc = engine.exports.plan_validate(ptr, p.words.byteLength, this.bound.base);
      if (rc !== 0) throw new AxonError('PLAN_INVALID', `bundle plan (mode ${p.mode}, batch ${p.batch}) failed validation (${rc})`);
      this.plans.set(`${p.mode}:${p.batch}:${p.shape}`, { ptr, plan: p });
    }
  }

  private f32(offset: number, n: number): Float32Array { return this.engine.f32(this.bound.base + offset, n); }

  private run(mode: number, batch: number, what: string, shape = 0): void {
    const p = this.plans.get(`${mode}:${batch}:${shape}`);
    if (!p) throw new AxonError('PLAN_INVALID', `bundle has no plan for mode ${mode} batch ${batch} shape set ${shape}`);
    const rc = this.engine.exports.plan_run(p.ptr, this.bound.base);
    this.engine.afterRun();
    if (rc !== 0) throw new AxonError('NOT_FINITE', `${what}: non-finite values at instruction ${rc - 1}`);
  }

  /** A single-input, single-output bundle: rows of f32 in, rows of f32 out (inferAll for the general case). */
  infer(x: Float32Array): Float32Array { return this.inferAll([x])[0]; }

  /**
   * One array per input (in the bundle's input order: f32 or i32 rows of a shape set's per-sample
   * shape) → one f32 array per output, in chunks of N (the last chunk with its own plan). `shapes`
   * picks the shape set; without it, the one whose sizes divide the inputs into the same rows.
   */
  inferAll(xs: Rows[], shapes?: number[][]): Float32Array[] {
    const b = this.bundle, io = b.io;
    const k = this.shapeSet(xs, shapes);
    const per = io.inputs.map((_, i) => inputSize(io, k, i)), rows = xs[0].length / per[0];
    const outs = io.outSizes[k].map((O) => new Float32Array(rows * O));
    for (let from = 0; from < rows; from += b.batch) {
      const n = Math.min(b.batch, rows - from);
      io.inputs.forEach((m, i) => (m.dtype === 'i32' ? this.engine.i32(this.bound.base + m.offset, n * per[i]) : this.f32(m.offset, n * per[i])).set(xs[i].subarray(from * per[i], (from + n) * per[i])));
      this.run(MODE.predict, n, `rows ${from}..${from + n - 1}`, k);
      io.outputs.forEach((o, j) => { const O = io.outSizes[k][j]; outs[j].set(this.f32(o.offset, n * O), from * O); });
    }
    return outs;
  }

  /** Checks the inputs (count, dtype, whole rows, id ranges, finiteness) and returns their shape set. */
  private shapeSet(xs: Rows[], shapes?: number[][]): number {
    const io = this.bundle.io, names = io.inputs.map((m) => `${m.name} (${m.dtype})`).join(', ');
    if (!Array.isArray(xs) || xs.length !== io.inputs.length) throw new AxonError('BAD_ARGUMENT', `this bundle takes ${io.inputs.length} input${io.inputs.length > 1 ? 's' : ''} (${names}), got ${Array.isArray(xs) ? xs.length : typeof xs}`);
    io.inputs.forEach((m, i) => {
      if (!(xs[i] instanceof (m.dtype === 'i32' ? Int32Array : Float32Array))) throw new AxonError('BAD_DTYPE', `input "${m.name}" is ${m.dtype}: pass ${m.dtype === 'i32' ? 'an Int32Array' : 'a Float32Array'}`);
    });
    const fits = shapes ? [shapeIndex(this.bundle, shapes)] : shapesFitting(io, xs.map((x) => x.length));
    if (fits.length !== 1) throw new AxonError('BAD_SHAPE', `${fits.length ? 'several' : 'none'} of the bundle's shape sets fit${fits.length ? '' : ' the inputs'} (${xs.map((x, i) => `${io.inputs[i].name}: ${x.length} values`).join(', ')}); it was compiled for ${describeShapes(io)}${fits.length ? '; say which' : ''}`);
    const k = fits[0], rows = Math.floor(xs[0].length / inputSize(io, k, 0));
    io.inputs.forEach((m, i) => {
      const per = inputSize(io, k, i), x = xs[i];
      if (x.length % per || x.length / per !== rows) throw new AxonError('BAD_SHAPE', `input "${m.name}" has ${x.length} values: ${x.length % per ? 'not a whole number of' : `${x.length / per} rows, not the ${rows} of the first input, of`} rows of [${io.shapes[k][i]}] (${per} values)`);
      if (m.dtype === 'i32') {
        const [lo, hi] = m.range ?? [-(2 ** 31), 2 ** 31 - 1];
        for (let j = 0; j < x.length; j++) if (x[j] < lo || x[j] > hi) throw new AxonError('BAD_DATA', `input "${m.name}": value ${x[j]} at sample ${Math.floor(j / per)} is outside the input's range [${lo}, ${hi}]`);
      } else for (let j = 0; j < x.length; j++) if (!Number.isFinite(x[j])) throw new AxonError('NOT_FINITE', `input "${m.name}" has a non-finite value at sample ${Math.floor(j / per)}`);
    });
    return k;
  }

  /**
   * Fine-tunes for `epochs` (at most the compiled number) on exactly the compiled number of samples,
   * at the bundle's train shape set: x (or one array per input) and y (or one per loss).
   */
  finetune(x: Rows | Rows[], y: Rows | Rows[], epochs: number): BundleFinetuneResult {
    const b = this.bundle, hp = b.hp, io = b.io;
    if (!b.hasTrain || !hp) throw new AxonError('BAD_CONFIG', 'this bundle was compiled without fine-tuning (axon compile --epochs E --data x.npy)');
    if (!hp.base.length) throw new AxonError('NOTHING_TO_TRAIN', 'this bundle has no trainable parameters (every layer frozen or int8): fine-tuning would change nothing');
    if (!Number.isInteger(epochs) || epochs < 1 || epochs > b.epochs) throw new AxonError('BAD_CONFIG', `epochs must be an integer in [1, ${b.epochs}] (the bundle's hyperparameters cover ${b.epochs})`);
    const xs = Array.isArray(x) ? x : [x], ys = Array.isArray(y) ? y : [y];
    const n = b.samples, B = b.trainBatch, k = b.trainShape;
    if (this.shapeSet(xs, io.shapes[k]) !== k) throw new AxonError('BAD_SHAPE', 'inputs do not match the train shapes');
    const per = io.inputs.map((_, i) => inputSize(io, k, i));
    io.inputs.forEach((m, i) => { if (xs[i].length !== n * per[i]) throw new AxonError('BAD_SHAPE', `${io.inputs.length > 1 ? `input "${m.name}"` : 'x'} has ${xs[i].length} values; the bundle was compiled for ${n} samples of ${per[i]}`); });
    if (ys.length !== io.losses.length) throw new AxonError('BAD_ARGUMENT', `this bundle has ${io.losses.length} losses (${io.losses.map((l) => io.outputs[l.output].name).join(', ')}); got ${ys.length} targets`);
    io.losses.forEach((l, j) => {
      const t = ys[j], who = io.losses.length > 1 ? `y for "${io.outputs[l.output].name}"` : 'y';
      if (t.length !== n * l.words) throw new AxonError('BAD_SHAPE', `${who} has ${t.length} values; the bundle was compiled for ${n} samples of ${l.words}`);
      if ((l.kind === 2) !== (t instanceof Int32Array)) throw new AxonError('BAD_DTYPE', `${who} must be ${l.kind === 2 ? 'Int32Array class ids' : 'Float32Array rows'}`);
      if (l.kind === 2) for (let i = 0; i < n; i++) if (!(t[i] >= 0 && t[i] < l.classes)) throw new AxonError('BAD_DATA', `label ${t[i]} of sample ${i} is not a class id in [0, ${l.classes})`);
      if (l.kind === 1) for (let i = 0; i < t.length; i++) if (!Number.isFinite(t[i])) throw new AxonError('NOT_FINITE', `${who} has a non-finite value at sample ${Math.floor(i / l.words)}`);
    });
    const mem = () => new Uint32Array(this.engine.memory.buffer);
    let w = 0;
    for (const blk of hp.blocks) { mem().set(hp.base.subarray(w, w + blk.words), (this.bound.base + blk.offset) >> 2); w += blk.words; }
    const wordAt = new Uint32Array(hp.base.length);  // arena word index of each hp word
    w = 0;
    for (const blk of hp.blocks) for (let j = 0; j < blk.words; j++) wordAt[w++] = (this.bound.base + blk.offset) / 4 + j;
    const rng = new Rng(b.seed), order = Int32Array.from({ length: n }, (_, i) => i);
    const losses: number[] = [];
    const V = hp.varying.length;
    const view = (offset: number, i32: boolean, count: number) => (i32 ? this.engine.i32(this.bound.base + offset, count) : this.f32(offset, count));
    const copy = (dst: Rows, src: Rows, F: number, cnt: number, from: number) => { for (let r = 0; r < cnt; r++) { const i = order[from + r]; dst.set(src.subarray(i * F, (i + 1) * F), r * F); } };
    for (let epoch = 0; epoch < epochs; epoch++) {
      if (b.shuffle) rng.shuffle(order);
      let sum = 0;
      for (let s = 0; s < b.stepsPerEpoch; s++) {
        const from = s * B, cnt = Math.min(B, n - from);
        io.inputs.forEach((m, i) => copy(view(m.offset, m.dtype === 'i32', cnt * per[i]), xs[i], per[i], cnt, from));
        io.losses.forEach((l, j) => copy(view(l.target, l.kind === 2, cnt * l.words), ys[j], l.words, cnt, from));
        const t = epoch * b.stepsPerEpoch + s, m = mem();
        for (let j = 0; j < V; j++) m[wordAt[hp.varying[j]]] = hp.values[t * V + j];
        this.run(MODE.train, cnt, `epoch ${epoch + 1}, step ${s + 1}`, k);
        for (const l of io.losses) sum += this.f32(l.loss, 1)[0] * cnt;
      }
      losses.push(sum / n);
    }
    return { weights: this.weights(), losses };
  }

  /** Sets the parameters from a weights file (f32 LE in PARAMS order, as finetune writes it). */
  setWeights(bin: Uint8Array | Float32Array): void {
    const bytes = bin instanceof Float32Array ? new Uint8Array(bin.buffer, bin.byteOffset, bin.byteLength) : bin;
    const total = this.bundle.params.reduce((a, p) => a + p.bytes, 0);
    if (bytes.length !== total) throw new AxonError('BAD_DATA', `weights file has ${bytes.length} bytes; this bundle's parameters take ${total}`);
    let at = 0;
    for (const p of this.bundle.params) { this.engine.u8(this.bound.base + p.offset, p.bytes).set(bytes.subarray(at, at + p.bytes)); at += p.bytes; }
  }

  /** The parameters now, concatenated in PARAMS order. */
  weights(): Float32Array {
    // byte copies (as the WASI program writes out-weights.bin): a parameter's offset need not be 4-aligned
    const total = this.bundle.params.reduce((a, p) => a + p.bytes, 0), out = new Uint8Array((total + 3) & ~3);
    let at = 0;
    for (const p of this.bundle.params) { out.set(this.engine.u8(this.bound.base + p.offset, p.bytes), at); at += p.bytes; }
    return new Float32Array(out.buffer, 0, out.length >> 2);
  }

  dispose(): void { this.engine.reset(this.mark); }
}

/** One-shot helpers over a fresh placement of the bundle. */
export function inferBundle(engine: Engine, bundle: Bundle | Uint8Array, x: Float32Array): Float32Array {
  const r = new BundleRunner(engine, bundle);
  try { return r.infer(x); } finally { r.dispose(); }
}
export function finetuneBundle(engine: Engine, bundle: Bundle | Uint8Array, x: Rows | Rows[], y: Rows | Rows[], epochs: number): BundleFinetuneResult {
  const r = new BundleRunner(engine, bundle);
  try { return r.finetune(x, y, epochs); } finally { r.dispose(); }
}
