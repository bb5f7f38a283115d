// Compiles a model's units into a Session: one Layout (inputs, parameters, gradients, optimizer
// state, activations for the largest batch and the largest input shapes it was made for) and
// cached plans per (mode, batch, input shapes). A plan is a whole predict / eval / train step;
// see DESIGN.md §1. Input shapes other than the capacity's (an open sequence length) get their own
// units (built on those shapes) and plans over the same buffers; the plan cache is a bounded LRU.
import { AxonError } from '../errors.js';
import { Layout, Plan, Buf } from '../compile/plan.js';
import { BoundLayout, LoadedPlan } from '../runtime/bound.js';
import { Engine } from '../runtime/engine.js';
import { Ctx, IO, Layer, OutputTap, outputSize, size } from '../layers/layer.js';
import { OutputLoss, emitLoss, lossPlan } from '../train/loss.js';
import type { Optimizer } from '../train/optimizers.js';
import { dropZeroFills, fuseConvActivation } from '../compile/fuse.js';
import { INPUT, UnitGraph, inputIndex, isInputRef } from './wiring.js';
import { InputDtype, emitInputChecks, shapeKey } from './inputs.js';
import { activationSlots } from './slots.js';
import { readOnlyByNext, fusionEnds } from './fusion_groups.js';
import { layerCtx } from './ctx.js';

/** grads[i] of a unit whose output is not f32 (int8): no gradient buffer */
const NO_GRAD = -1;
export { INPUT };
/** plans kept per session (least recently used dropped first) */
const PLAN_CACHE = 64;

/** grad: a training step without the optimizer (loss and gradients only) */
export type Mode = 'predict' | 'eval' | 'train' | 'grad' | 'prepare';

export interface SessionSpec {
  /** compile units in a topological order, at the capacity input shapes */
  units: Layer[];
  /** per unit, the units it reads (negative: model inputs); absent: a chain (each unit reads the one before) */
  inputs?: number[][];
  /** the model's outputs (unit indices); absent: the last unit */
  outputs?: number[];
  /** per model input: dtype and per-sample shape at capacity; absent: one f32 input of inputShape */
  modelInputs?: Array<{ dtype: InputDtype; shape: number[] }>;
  inputShape?: number[];
  /** other concrete input shapes to compile plans for (each within the capacity) and their unit graphs */
  variants?: { shapes: number[][][]; graphAt: (shapes: number[][]) => UnitGraph };
  /** keep every unit's output readable after a run (calibration); otherwise sessions without an optimizer share activation memory */
  keepActivations?: boolean;
  /** false: no Conv2D + bias + ReLU fusion in the plans (tests compare against it) */
  fuse?: boolean;
  maxBatch: number;
  losses?: OutputLoss[];
  optimizer?: Optimizer;
  seed: number;
}

/** Everything a model needs in wasm memory, for batches up to maxBatch. */
export class Session {
  readonly layout = new Layout();
  readonly bound: BoundLayout;
  /** per model input, its buffer (x: the first) */
  readonly xs: Buf[] = [];
  /** per loss (spec.losses order), its target buffer (target: the first) and loss buffer */
  readonly targets: Buf[] = [];
  readonly lossBufs: Buf[] = [];
  readonly outputs: Buf[] = [];
  readonly grads: Buf[] = [];
  /** per unit, the units it reads (negative: model inputs) */
  readonly inputs: number[][];
  /** the model's outputs: unit indices */
  readonly outputUnits: number[];
  readonly modelInputs: Array<{ dtype: InputDtype; shape: number[] }>;
  private readonly plans = new Map<string, LoadedPlan>();
  private readonly graphs = new Map<string, UnitGraph>();
  private readonly known = new Set<string>();
  /** the capacity's shape key (its plans are keyed without it) */
  private readonly capKey: string;
  /** arena blocks of plans dropped from the cache */
  private readonly spare: LoadedPlan[] = [];
  private scratch: Buf;
  private rng: Buf;
  /** Ctx.constant buffers and their contents, written when the layout is placed */
  private readonly constants = new Map<Buf, ArrayBuffer>();

  constructor(readonly engine: Engine, readonly spec: SessionSpec) {
    const L = this.layout, B = spec.maxBatch, n = spec.units.length;
    this.modelInputs = spec.modelInputs ?? [{ dtype: 'f32', shape: spec.inputShape! }];
    this.modelInputs.forEach((m, k) => this.xs.push(L.add(k ? `input:${k}` : 'input', m.dtype, B * size(m.shape))));
    this.scratch = L.add('gemm.scratch', 'f32', 4);
    this.rng = L.add('rng.state', 'x32', 4);
    for (const u of spec.units) for (const p of u.params) {
      const count = size(p.shape), dtype = p.dtype ?? 'f32';
      L.add(`${u.name}.${p.name}`, dtype, count);
      // (gradients only where a train plan can run: with an optimizer)
      if (spec.optimizer && u.trainable && p.trainable && dtype === 'f32') L.add(`grad:${u.name}.${p.name}`, 'f32', count);
    }
    this.capKey = shapeKey(this.modelInputs.map((m) => m.shape));
    this.inputs = spec.inputs ?? spec.units.map((_, i) => [i - 1]);
    this.outputUnits = spec.outputs ?? [n - 1];
    const capacity = { units: spec.units, inputs: this.inputs, outputs: this.outputUnits };
    const slots = spec.optimizer || spec.keepActivations ? undefined : activationSlots(L, capacity, B, this.lossReads(capacity), spec.fuse === false ? undefined : fusionEnds(capacity));
    spec.units.forEach((u, i) => {
      const src = this.inputs[i][0];
      let out: Buf, grad: Buf;
      const wantGrad = spec.optimizer !== undefined;
      if (u instanceof OutputTap) {   // a view of the main unit's region k (its gradient likewise)
        const off = 4 * B * regionOffset(spec.units[src], u.k), count = B * size(u.outputShape);
        out = L.view(`act:${i}:${u.name}`, this.outputs[src], off, 'f32', count);
        grad = this.grads[src] === NO_GRAD ? NO_GRAD : L.view(`dact:${i}:${u.name}`, this.grads[src], off, 'f32', count);
      } else {
        out = u.aliasesInput ? this.src(src) : slots ? slots[i] : L.add(`act:${i}:${u.name}`, u.outputDtype, B * outputSize(u));
        // no gradient buffers without an optimizer (inference and evaluation sessions), nor for int8 activations
        grad = !wantGrad || L.get(out).dtype !== 'f32' ? NO_GRAD : u.aliasesInput && !isInputRef(src) ? this.grads[src] : L.add(`dact:${i}:${u.name}`, 'f32', B * outputSize(u));
      }
      this.outputs.push(out);
      this.grads.push(grad);
    });
    for (const [k, l] of (spec.losses ?? []).entries()) {
      this.targets.push(L.add(k ? `target:${k}` : 'target', l.spec.targetDtype, B * l.spec.targetPerSample));
      this.lossBufs.push(L.add(k ? `loss:${k}` : 'loss', 'f32', 1));
    }
    spec.optimizer?.declare(this);
    // Emit every plan shape once at the largest batch so all buffers exist before placement.
    const drafts: Array<[string, Plan]> = [];
    const keys = [this.capacityShapes(), ...(spec.variants?.shapes ?? [])];
    for (const shapes of keys) {
      const key = this.keyOf(shapes);
      if (this.known.has(key)) continue;
      this.known.add(key);
      for (const m of this.modes()) drafts.push([this.planKey(m, B, key), this.build(m, B, this.graphOf(shapes), shapes)]);
    }
    if (spec.units.some((u) => u.prepare)) drafts.push([`prepare:${B}`, this.build('prepare', B, capacity)]);
    this.bound = new BoundLayout(engine, L);
    (engine.kernels.rng_seed)(this.bound.ptr(this.rng), spec.seed >>> 0);
    for (const [b, data] of this.constants) this.bound.u8(b).set(new Uint8Array(data));
    for (const [k, plan] of drafts) this.plans.set(k, this.bound.load(plan));
  }

  get x(): Buf { return this.xs[0]; }
  get target(): Buf | undefined { return this.targets[0]; }
  get lossBuf(): Buf { return this.lossBufs[0]; }
  get units(): Layer[] { return this.spec.units; }

  /** True when units' outputs share memory (an inference session): only the model outputs are readable after a run. */
  get sharesActivations(): boolean { return !this.spec.optimizer && !this.spec.keepActivations; }

  /** The capacity's per-sample input shapes. */
  capacityShapes(): number[][] { return this.modelInputs.map((m) => m.shape); }

  /**
   * True when plans for these input shapes can run in this session's buffers: shapes it was made
   * for, or others whose plans fit (compiled now and cached).
   */
  supports(shapes: number[][]): boolean {
    const key = this.keyOf(shapes);
    if (this.known.has(key)) return true;
    if (shapes.some((s, k) => s.length !== this.modelInputs[k].shape.length || s.some((d, i) => d > this.modelInputs[k].shape[i]))) return false;
    try {
      for (const m of this.modes()) this.plan(m, this.spec.maxBatch, shapes);
    } catch (e) {
      if (e instanceof AxonError && (e.code === 'PLAN_INVALID' || e.code === 'OUT_OF_BOUNDS')) return false;   // (a buffer it would need is missing or too small)
      throw e;
    }
    this.known.add(key);
    return true;
  }

  /** Plans held (at most PLAN_CACHE besides the prepare plan). */
  get planCount(): number { return this.plans.size; }

  /** Every concrete shape key this session holds plans for. */
  get knownShapes(): string[] { return [...this.known]; }

  /** The unit graph of these input shapes (the capacity's: the spec's). */
  graphOf(shapes: number[][] = this.capacityShapes()): UnitGraph {
    const key = this.keyOf(shapes);
    if (key === this.capKey || !this.spec.variants) return { units: this.spec.units, inputs: this.inputs, outputs: this.outputUnits };
    let g = this.graphs.get(key);
    if (!g) this.graphs.set(key, (g = this.spec.variants.graphAt(shapes)));
    return g;
  }

  /** The loaded plan for a mode, batch size and input shapes (default: the capacity's), compiled on first use. */
  plan(mode: Mode, batch: number, shapes?: number[][]): LoadedPlan {
    if (batch > this.spec.maxBatch) throw new AxonError('BAD_SHAPE', `batch ${batch} exceeds the session's ${this.spec.maxBatch}`);
    const key = this.planKey(mode, batch, shapes ? this.keyOf(shapes) : this.capKey);
    let p = this.plans.get(key);
    if (p) { this.plans.delete(key); this.plans.set(key, p); return p; }   // (most recently used last)
    const plan = this.build(mode, batch, this.graphOf(shapes), shapes);
    // (the arena is a bump allocator: a dropped plan's block holds the next plan that fits in it)
    const enc = plan.encode().byteLength, at = this.spare.findIndex((b) => b.bytes >= enc);
    p = this.bound.load(plan, at >= 0 ? this.spare.splice(at, 1)[0] : undefined);
    this.plans.set(key, p);
    for (const [k, old] of this.plans) {
      if (this.plans.size <= PLAN_CACHE) break;
      if (!k.startsWith('prepare:')) { this.plans.delete(k); this.spare.push(old); }
    }
    return p;
  }

  run(mode: Mode, batch: number, shapes?: number[][]): void { this.bound.run(this.plan(mode, batch, shapes)); }

  /** Runs the prepare plan (if any unit has one); call after writing parameters. */
  prepare(): void {
    const p = this.plans.get(`prepare:${this.spec.maxBatch}`);
    if (p) this.bound.run(p);
  }

  /** The weighted total of the last run's losses (each loss buffer holds weight · loss). */
  lossValue(): number { return this.lossBufs.reduce((s, b) => s + this.bound.f32(b)[0], 0); }

  buf(name: string): Buf {
    const b = this.layout.byName(name);
    if (!b) throw new AxonError('BAD_ARGUMENT', `no buffer "${name}"`);
    return b.id;
  }

  /** Output buffer of the first model output (what a single-output predict returns). */
  get output(): Buf { return this.outputs[this.outputUnits[0]]; }

  private modes(): Mode[] { return this.spec.losses?.length ? (this.spec.optimizer ? ['predict', 'eval', 'train'] : ['predict', 'eval']) : ['predict']; }
  private keyOf(shapes: number[][]): string { return shapeKey(shapes); }
  private planKey(mode: Mode, B: number, key: string): string { return key === this.capKey ? `${mode}:${B}` : `${mode}:${B}:${key}`; }

  /** Per loss: the unit whose output it reads and whether it skips the output unit (a fused final softmax / sigmoid). */
  lossReads(g: UnitGraph): Array<{ pred: number; skip?: number }> {
    return (this.spec.losses ?? []).map((l) => {
      const o = g.outputs[l.output], fused = lossPlan(l.spec, g.units[o]);
      if (!fused.skipLast) return { pred: o };
      if (g.inputs.some((ins) => ins.includes(o))) throw new AxonError('BAD_CONFIG', `output "${l.name}" ends in a ${g.units[o].type} that other layers read; its ${l.spec.name} loss fuses it, so give the loss the logits (fromLogits) or read the layer before it`);
      return { pred: g.inputs[o][0], skip: o };
    });
  }

  /**
   * A batch-1 predict plan running only units from … end over this session's buffers and weights,
   * unit `from` emitted by `first` instead of its forward (model/tail.ts: a model's tail on values
   * the host writes). Call again for a rebuilt session.
   */
  tailPlan(from: number, first: (c: Ctx, io: IO) => void): LoadedPlan {
    return this.bound.load(this.build('predict', 1, this.graphOf(), this.capacityShapes(), { from, first }));
  }

  private build(mode: Mode, B: number, g: UnitGraph, shapes = this.capacityShapes(), tail?: { from: number; first: (c: Ctx, io: IO) => void }): Plan {
    const plan = new Plan(this.layout, `${mode}:${B}`);
    const { units, inputs } = g;
    if (mode === 'prepare') {
      for (const u of units) u.prepare?.(this.ctx(plan, u, B, false));
      return plan;
    }
    if (mode === 'predict' && !tail) emitInputChecks(plan, this.xs, this.modelInputs, B, shapes);
    const training = mode === 'train' || mode === 'grad';
    const losses = mode === 'predict' ? [] : this.spec.losses ?? [];
    const reads = mode === 'predict' ? [] : this.lossReads(g);
    const skip = new Set(reads.flatMap((r) => (r.skip === undefined ? [] : [r.skip])));
    // a unit's input gradient is needed when the unit feeding it has trainable parameters upstream
    const upstream: boolean[] = [];
    units.forEach((u, i) => { upstream[i] = (u.trainable && u.params.some((p) => p.trainable)) || inputs[i].some((j) => !isInputRef(j) && upstream[j]); });
    const needDx = (j: number) => !isInputRef(j) && upstream[j] && this.grads[j] !== NO_GRAD;
    if (training) {
      for (const b of this.layout.buffers) if (b.name.startsWith('grad:')) plan.emit('fill', { y: b.id, v: 0, n: b.count });
      const zeroed = new Set<number>();
      const zero = (j: number) => {
        if (!isInputRef(j) && units[j] instanceof OutputTap) j = inputs[j][0];   // (a tap's gradient is a region of its layer's)
        if (isInputRef(j) || this.grads[j] === NO_GRAD || zeroed.has(this.grads[j])) return;
        zeroed.add(this.grads[j]);
        plan.emit('fill', { y: this.grads[j], v: 0, n: B * outputSize(units[j]) });
      };
      for (const r of reads) zero(r.pred);
      units.forEach((_, i) => { if (!skip.has(i)) for (const j of inputs[i]) if (needDx(j)) zero(j); });
    }
    units.forEach((u, i) => {
      if (skip.has(i) || (tail && i < tail.from)) return;
      (tail?.from === i ? tail.first : u.forward.bind(u))(this.ctx(plan, u, B, training), this.io(g, i, training, needDx));
    });
    losses.forEach((l, k) => {
      const { pred } = reads[k], per = size(units[g.outputs[l.output]].outputShape);
      if (per !== l.spec.outputs) throw new AxonError('BAD_SHAPE', `output "${l.name}" has ${per} values per sample at these input shapes, but its ${l.spec.name} loss was compiled for ${l.spec.outputs}; a loss needs an output whose size does not depend on an open axis`);
      const dpred = training && !isInputRef(pred) ? this.grads[pred] : undefined;
      emitLoss(plan, l.spec, { pred: this.src(pred), dpred, target: this.targets[k], loss: this.lossBufs[k], batch: B, fused: lossPlan(l.spec, units[g.outputs[l.output]]), weight: l.weight });
    });
    if (!training) return this.fuse(mode, plan, g);
    for (let i = units.length - 1; i >= 0; i--) if (!skip.has(i)) units[i].backward(this.ctx(plan, units[i], B, true), this.io(g, i, true, needDx));
    if (mode === 'train') this.spec.optimizer!.emit(plan);
    return this.fuse(mode, plan, g);
  }

  /** Plan peepholes (src/compile/fuse.ts): conv/Dense + activation in training plans and inference sessions' predict plans; zero fills an accumulating gemm can skip in training plans. */
  private fuse(mode: Mode, plan: Plan, g: UnitGraph): Plan {
    if (this.spec.fuse === false) return plan;
    if (mode === 'train' || mode === 'grad' || (mode === 'predict' && this.sharesActivations)) fuseConvActivation(plan, readOnlyByNext(g), mode === 'predict');
    if (mode === 'train' || mode === 'grad') dropZeroFills(plan);
    return plan;
  }

  /** The buffer a unit index stands for: a unit's output, or a model input. */
  src(j: number): Buf { return isInputRef(j) ? this.xs[inputIndex(j)] : this.outputs[j]; }

  private io(g: UnitGraph, i: number, training: boolean, needDx: (j: number) => boolean): IO {
    const xs = g.inputs[i].map((j) => this.src(j));
    const dxs = g.inputs[i].map((j) => (training && needDx(j) ? this.grads[j] : undefined));
    const dy = training && this.grads[i] !== NO_GRAD ? this.grads[i] : undefined;
    const extra = g.units[i].extraOutputs.map((_, k) => i + 1 + k);   // (its taps follow it)
    return { x: xs[0], y: this.outputs[i], dy, dx: dxs[0], xs, dxs,
      ys: [this.outputs[i], ...extra.map((t) => this.outputs[t])], dys: [dy, ...extra.map((t) => (dy === undefined ? undefined : this.grads[t]))] };
  }

  private ctx(plan: Plan, u: Layer, batch: number, training: boolean): Ctx {
    return layerCtx({ layout: this.layout, maxBatch: this.spec.maxBatch, scratch: this.scratch, rng: this.rng, constants: this.constants }, plan, u, batch, training);
  }
}

/** Floats from the start of a unit's output buffer (per sample, times the batch) to its output region k. */
function regionOffset(u: Layer, k: number): number {
  return size(u.outputShape) + u.extraOutputs.slice(0, k - 1).reduce((s, o) => s + size(o), 0);
}
