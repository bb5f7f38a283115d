// The JS-host twin of build/axon.wasi.wasm: runs a WASI bundle (src/wasi/bundle.ts) on an Engine
// with the same steps in the same order (image placement, predict chunks of N, seeded Fisher-Yates
// shuffle, per-step hyperparameter words, one train plan call per mini-batch), so its outputs and
// weights can be compared bit for bit with the WASI program's. Node-free; any target can use it.
import { AxonError } from '../errors.js';
import { Layout } from '../compile/plan.js';
import { BoundLayout } from '../runtime/bound.js';
import { Engine } from '../runtime/engine.js';
import { Rng } from '../runtime/rng.js';
import { Bundle, BundlePlan, MODE, parseBundle } from './bundle.js';

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
      this.plans.set(`${p.mode}:${p.batch}`, { ptr, plan: p });
    }
  }

  private f32(offset: number, n: number): Float32Array { return this.engine.f32(this.bound.base + offset, n); }

  private run(mode: number, batch: number, what: string): void {
    const p = this.plans.get(`${mode}:${batch}`);
    if (!p) throw new AxonError('PLAN_INVALID', `bundle has no plan for mode ${mode} batch ${batch}`);
    const rc = this.engine.exports.plan_run(p.ptr, this.bound.base);
    this.engine.afterRun();
    if (rc !== 0) throw new AxonError('NOT_FINITE', `${what}: non-finite values at instruction ${rc - 1}`);
  }

  /** Rows of f32 in, rows of f32 out, in chunks of N (the last chunk with its own plan). */
  infer(x: Float32Array): Float32Array {
    const b = this.bundle, F = b.inFeatures, O = b.outFeatures;
    if (x.length % F) throw new AxonError('BAD_SHAPE', `input has ${x.length} values, not a whole number of ${F}-value rows`);
    const rows = x.length / F, out = new Float32Array(rows * O);
    for (let from = 0; from < rows; from += b.batch) {
      const n = Math.min(b.batch, rows - from);
      this.f32(b.input, n * F).set(x.subarray(from * F, (from + n) * F));
      this.run(MODE.predict, n, `rows ${from}..${from + n - 1}`);
      out.set(this.f32(b.output, n * O), from * O);
    }
    return out;
  }

  /** Fine-tunes for `epochs` (at most the compiled number) on exactly the compiled number of samples. */
  finetune(x: Float32Array, y: Float32Array | Int32Array, epochs: number): BundleFinetuneResult {
    const b = this.bundle, hp = b.hp;
    if (!b.hasTrain || !hp) throw new AxonError('BAD_CONFIG', 'this bundle was compiled without fine-tuning (axon compile --epochs E --data x.npy)');
    if (!Number.isInteger(epochs) || epochs < 1 || epochs > b.epochs) throw new AxonError('BAD_CONFIG', `epochs must be an integer in [1, ${b.epochs}] (the bundle's hyperparameters cover ${b.epochs})`);
    const n = b.samples, F = b.inFeatures, Y = b.targetWords, B = b.trainBatch;
    if (x.length !== n * F) throw new AxonError('BAD_SHAPE', `x has ${x.length} values; the bundle was compiled for ${n} samples of ${F}`);
    if (y.length !== n * Y) throw new AxonError('BAD_SHAPE', `y has ${y.length} values; the bundle was compiled for ${n} samples of ${Y}`);
    if ((b.targetKind === 2) !== (y instanceof Int32Array)) throw new AxonError('BAD_DTYPE', `y must be ${b.targetKind === 2 ? 'Int32Array class ids' : 'Float32Array rows'}`);
    if (b.targetKind === 2) for (let i = 0; i < n; i++) if (!(y[i] >= 0 && y[i] < b.classes)) throw new AxonError('BAD_DATA', `label ${y[i]} of sample ${i} is not a class id in [0, ${b.classes})`);
    for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) throw new AxonError('NOT_FINITE', `x has a non-finite value at sample ${Math.floor(i / F)}`);
    const mem = () => new Uint32Array(this.engine.memory.buffer);
    let k = 0;
    for (const blk of hp.blocks) { mem().set(hp.base.subarray(k, k + blk.words), (this.bound.base + blk.offset) >> 2); k += blk.words; }
    const wordAt = new Uint32Array(hp.base.length);  // arena word index of each hp word
    k = 0;
    for (const blk of hp.blocks) for (let j = 0; j < blk.words; j++) wordAt[k++] = (this.bound.base + blk.offset) / 4 + j;
    const rng = new Rng(b.seed), order = Int32Array.from({ length: n }, (_, i) => i);
    const losses: number[] = [];
    const V = hp.varying.length;
    for (let epoch = 0; epoch < epochs; epoch++) {
      if (b.shuffle) rng.shuffle(order);
      let sum = 0;
      for (let s = 0; s < b.stepsPerEpoch; s++) {
        const from = s * B, cnt = Math.min(B, n - from);
        const xb = this.f32(b.input, cnt * F);
        const yb = b.targetKind === 2 ? this.engine.i32(this.bound.base + b.target, cnt) : this.f32(b.target, cnt * Y);
        for (let r = 0; r < cnt; r++) {
          const i = order[from + r];
          xb.set(x.subarray(i * F, (i + 1) * F), r * F);
          yb.set(y.subarray(i * Y, (i + 1) * Y), r * Y);
        }
        const t = epoch * b.stepsPerEpoch + s, m = mem();
        for (let j = 0; j < V; j++) m[wordAt[hp.varying[j]]] = hp.values[t * V + j];
        this.run(MODE.train, cnt, `epoch ${epoch + 1}, step ${s + 1}`);
        sum += this.f32(b.loss, 1)[0] * cnt;
      }
      losses.push(sum / n);
    }
    return { weights: this.weights(), losses };
  }

  /** The parameters now, concatenated in PARAMS order. */
  weights(): Float32Array {
    const total = this.bundle.params.reduce((a, p) => a + p.bytes, 0) / 4;
    const out = new Float32Array(total);
    let at = 0;
    for (const p of this.bundle.params) { out.set(this.f32(p.offset, p.bytes / 4), at); at += p.bytes / 4; }
    return out;
  }

  dispose(): void { this.engine.reset(this.mark); }
}

/** One-shot helpers over a fresh placement of the bundle. */
export function inferBundle(engine: Engine, bundle: Bundle | Uint8Array, x: Float32Array): Float32Array {
  const r = new BundleRunner(engine, bundle);
  try { return r.infer(x); } finally { r.dispose(); }
}
export function finetuneBundle(engine: Engine, bundle: Bundle | Uint8Array, x: Float32Array, y: Float32Array | Int32Array, epochs: number): BundleFinetuneResult {
  const r = new BundleRunner(engine, bundle);
  try { return r.finetune(x, y, epochs); } finally { r.dispose(); }
}
