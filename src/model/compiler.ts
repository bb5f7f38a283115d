// Compiles a model's units into a Session: one Layout (parameters, gradients, optimizer state,
// activations for the largest batch) and cached plans per (mode, batch). A plan is a whole
// predict / eval / train step; see DESIGN.md §1.
import { AxonError } from '../errors.js';
import { Layout, Plan, Buf } from '../compile/plan.js';
import { gemmScratchFloats, Dtype, DTYPE_BYTES } from '../ops.js';
import { BoundLayout, LoadedPlan } from '../runtime/bound.js';
import { Engine } from '../runtime/engine.js';
import { Ctx, IO, Layer, size } from '../layers/layer.js';
import { LossSpec, emitLoss, lossPlan } from '../train/loss.js';
import { Optimizer } from '../train/optimizers.js';
import { fuseConvActivation } from '../compile/fuse.js';

/** prepare: one-time work after parameters are written (Layer.prepare, e.g. packing int8 weights). */
/** grads[i] of a unit whose output is not f32 (int8): no gradient buffer */
const NO_GRAD = -1;
/** a unit's input that is the model input */
export const INPUT = -1;

export type Mode = 'predict' | 'eval' | 'train' | 'prepare';

export interface SessionSpec {
  /** compile units in a topological order; the last one is the model's output */
  units: Layer[];
  /** per unit, the units it reads (INPUT: the model input); absent: a chain (each unit reads the one before) */
  inputs?: number[][];
  /** keep every unit's output readable after a run (calibration); otherwise sessions without an optimizer share activation memory */
  keepActivations?: boolean;
  /** false: no Conv2D + bias + ReLU fusion in the plans (tests compare against it) */
  fuse?: boolean;
  inputShape: number[];
  maxBatch: number;
  loss?: LossSpec;
  optimizer?: Optimizer;
  seed: number;
}

/** Everything a model needs in wasm memory, for batches up to maxBatch. */
export class Session {
  readonly layout = new Layout();
  readonly bound: BoundLayout;
  readonly x: Buf;
  readonly target?: Buf;
  readonly lossBuf: Buf;
  readonly outputs: Buf[] = [];
  readonly grads: Buf[] = [];
  /** per unit, the units it reads (INPUT for the model input) */
  readonly inputs: number[][];
  private readonly plans = new Map<string, LoadedPlan>();
  private scratch: Buf;
  private rng: Buf;
  /** Ctx.constant buffers and their contents, written when the layout is placed */
  private readonly constants: Array<[Buf, ArrayBuffer]> = [];

  constructor(readonly engine: Engine, readonly spec: SessionSpec) {
    const L = this.layout, B = spec.maxBatch;
    this.x = L.add('input', 'f32', B * size(spec.inputShape));
    this.lossBuf = L.add('loss', 'f32', 1);
    this.scratch = L.add('gemm.scratch', 'f32', 4);
    this.rng = L.add('rng.state', 'x32', 4);
    for (const u of spec.units) for (const p of u.params) {
      const n = size(p.shape), dtype = p.dtype ?? 'f32';
      L.add(`${u.name}.${p.name}`, dtype, n);
      // (gradients only where a train plan can run: with an optimizer)
      if (spec.optimizer && u.trainable && p.trainable && dtype === 'f32') L.add(`grad:${u.name}.${p.name}`, 'f32', n);
    }
    this.inputs = spec.inputs ?? spec.units.map((_, i) => [i - 1]);
    const slots = spec.optimizer || spec.keepActivations ? undefined : this.activationSlots();
    spec.units.forEach((u, i) => {
      const src = this.inputs[i][0];
      const out = u.aliasesInput ? this.src(src) : slots ? slots[i] : L.add(`act:${i}:${u.name}`, u.outputDtype, B * size(u.outputShape));
      this.outputs.push(out);
      // no gradient buffers without an optimizer (inference and evaluation sessions), nor for int8
      // activations (int8 layers are inference-only): NO_GRAD
      const grad = spec.optimizer !== undefined && L.get(out).dtype === 'f32';
      this.grads.push(!grad ? NO_GRAD : u.aliasesInput && src !== INPUT ? this.grads[src] : L.add(`dact:${i}:${u.name}`, 'f32', B * size(u.outputShape)));
    });
    if (spec.loss) this.target = L.add('target', spec.loss.targetDtype, B * spec.loss.targetPerSample);
    spec.optimizer?.declare(this);
    // Emit every plan shape once at the largest batch so all buffers exist before placement.
    const modes: Mode[] = spec.loss ? (spec.optimizer ? ['predict', 'eval', 'train'] : ['predict', 'eval']) : ['predict'];
    if (spec.units.some((u) => u.prepare)) modes.push('prepare');
    const drafts = modes.map((m) => [m, this.build(m, B)] as const);
    this.bound = new BoundLayout(engine, L);
    (engine.kernels.rng_seed)(this.bound.ptr(this.rng), spec.seed >>> 0);
    for (const [b, data] of this.constants) this.bound.u8(b).set(new Uint8Array(data));
    for (const [m, plan] of drafts) this.plans.set(`${m}:${B}`, this.bound.load(plan));
  }

  /** True when units' outputs share memory (an inference session): only the model output is readable after a run. */
  get sharesActivations(): boolean { return !this.spec.optimizer && !this.spec.keepActivations; }

  /**
   * Output buffers for an inference session, shared by liveness: a unit's output takes a free buffer
   * (smallest that fits, else the largest grown, else a new one) and its buffer is freed after its
   * last reader runs (readers through aliasing units count). Outputs never share with the unit's own
   * inputs; the last unit's output and the one a fused loss reads live to the end.
   */
  private activationSlots(): Buf[] {
    const { units, maxBatch: B } = this.spec, L = this.layout, n = units.length;
    const owner: number[] = [], lastUse: number[] = [];
    units.forEach((u, i) => {
      const src = this.inputs[i][0];
      owner[i] = u.aliasesInput ? (src === INPUT ? INPUT : owner[src]) : i;
      lastUse[i] = i;
      for (const j of this.inputs[i]) if (j !== INPUT && owner[j] !== INPUT) lastUse[owner[j]] = Math.max(lastUse[owner[j]], i);
    });
    for (const j of [n - 1, this.inputs[n - 1][0]]) if (j !== INPUT && owner[j] !== INPUT) lastUse[owner[j]] = Infinity;
    const free: Buf[] = [], out: Buf[] = [], freedAt = new Map<number, Buf[]>();
    let made = 0;
    units.forEach((u, i) => {
      if (owner[i] === i) {
        const need = B * size(u.outputShape), same = free.filter((b) => L.get(b).dtype === u.outputDtype);
        const fit = same.filter((b) => L.get(b).count >= need).sort((a, b) => L.get(a).count - L.get(b).count)[0]
          ?? same.sort((a, b) => L.get(b).count - L.get(a).count)[0];
        if (fit === undefined) out[i] = L.add(`act:${made++}`, u.outputDtype, need);
        else { out[i] = fit; free.splice(free.indexOf(fit), 1); L.grow(fit, need); }
        if (lastUse[i] !== Infinity) freedAt.set(lastUse[i], [...(freedAt.get(lastUse[i]) ?? []), out[i]]);
      }
      free.push(...(freedAt.get(i) ?? []));   // after this unit's output is placed: never its own input
    });
    return out;
  }

  /** The loaded plan for a mode and batch size (compiled on first use). */
  plan(mode: Mode, batch: number): LoadedPlan {
    if (batch > this.spec.maxBatch) throw new AxonError('BAD_SHAPE', `batch ${batch} exceeds the session's ${this.spec.maxBatch}`);
    const key = `${mode}:${batch}`;
    let p = this.plans.get(key);
    if (!p) { p = this.bound.load(this.build(mode, batch)); this.plans.set(key, p); }
    return p;
  }

  run(mode: Mode, batch: number): void { this.bound.run(this.plan(mode, batch)); }

  /** Runs the prepare plan (if any unit has one); call after writing parameters. */
  prepare(): void {
    const p = this.plans.get(`prepare:${this.spec.maxBatch}`);
    if (p) this.bound.run(p);
  }

  buf(name: string): Buf {
    const b = this.layout.byName(name);
    if (!b) throw new AxonError('BAD_ARGUMENT', `no buffer "${name}"`);
    return b.id;
  }

  /** Output buffer of the last unit (what predict returns). */
  get output(): Buf { return this.outputs[this.outputs.length - 1]; }

  private build(mode: Mode, B: number): Plan {
    const plan = new Plan(this.layout, `${mode}:${B}`);
    const { units } = this.spec;
    if (mode === 'prepare') {
      for (const u of units) u.prepare?.(this.ctx(plan, u, B, false));
      return plan;
    }
    const training = mode === 'train';
    const fused = this.spec.loss && mode !== 'predict' ? lossPlan(this.spec.loss, units) : undefined;
    const last = fused?.skipLast ? units.length - 1 : units.length;
    const pred = this.predUnit(fused?.skipLast ?? false);
    // a unit's input gradient is needed when the unit feeding it has trainable parameters upstream
    const upstream: boolean[] = [];
    units.forEach((u, i) => { upstream[i] = (u.trainable && u.params.some((p) => p.trainable)) || this.inputs[i].some((j) => j !== INPUT && upstream[j]); });
    const needDx = (j: number) => j !== INPUT && upstream[j] && this.grads[j] !== NO_GRAD;
    if (training) {
      for (const g of this.layout.buffers) if (g.name.startsWith('grad:')) plan.emit('fill', { y: g.id, v: 0, n: g.count });
      const zeroed = new Set<number>();
      const zero = (j: number) => {
        if (j === INPUT || this.grads[j] === NO_GRAD || zeroed.has(this.grads[j])) return;
        zeroed.add(this.grads[j]);
        plan.emit('fill', { y: this.grads[j], v: 0, n: B * size(units[j].outputShape) });
      };
      zero(pred);
      for (let i = 0; i < last; i++) for (const j of this.inputs[i]) if (needDx(j)) zero(j);
    }
    for (let i = 0; i < last; i++) units[i].forward(this.ctx(plan, units[i], B, training), this.io(i, training, needDx));
    if (fused) {
      const dpred = training && pred !== INPUT ? this.grads[pred] : undefined;
      emitLoss(plan, this.spec.loss!, { pred: this.src(pred), dpred, target: this.target!, loss: this.lossBuf, batch: B, fused });
    }
    if (!training) return this.fuse(mode, plan);
    for (let i = last - 1; i >= 0; i--) units[i].backward(this.ctx(plan, units[i], B, true), this.io(i, true, needDx));
    this.spec.optimizer!.emit(plan, this);
    return this.fuse(mode, plan);
  }

  /** Conv2D + bias + ReLU peepholes (src/compile/fuse.ts): in training plans and inference sessions' predict plans. */
  private fuse(mode: Mode, plan: Plan): Plan {
    if (this.spec.fuse !== false && (mode === 'train' || (mode === 'predict' && this.sharesActivations))) fuseConvActivation(plan, this.readOnlyByNext());
    return plan;
  }

  /**
   * Names of the units whose output is read by exactly one unit, the next, which writes its own
   * output (not an alias). By unit, not by buffer: an inference session's units share buffers.
   */
  private readOnlyByNext(): Set<string> {
    const { units } = this.spec, readers = units.map(() => [] as number[]);
    this.inputs.forEach((js, i) => js.forEach((j) => { if (j !== INPUT) readers[j].push(i); }));
    const next = (i: number) => readers[i].length === 1 && readers[i][0] === i + 1 && !units[i + 1].aliasesInput;
    return new Set(units.filter((u, i) => next(i) && !u.aliasesInput).map((u) => u.name));
  }

  /** The buffer a unit index stands for: a unit's output, or the model input. */
  src(j: number): Buf { return j === INPUT ? this.x : this.outputs[j]; }

  /** The unit whose output the loss reads: the last, or the one feeding a final activation the loss fuses. */
  predUnit(skipLast: boolean): number {
    const n = this.spec.units.length;
    return skipLast ? this.inputs[n - 1][0] : n - 1;
  }

  private io(i: number, training: boolean, needDx: (j: number) => boolean): IO {
    const xs = this.inputs[i].map((j) => this.src(j));
    const dxs = this.inputs[i].map((j) => (training && needDx(j) ? this.grads[j] : undefined));
    return { x: xs[0], y: this.outputs[i], dy: training && this.grads[i] !== NO_GRAD ? this.grads[i] : undefined, dx: dxs[0], xs, dxs };
  }

  private ctx(plan: Plan, u: Layer, batch: number, training: boolean): Ctx {
    const L = this.layout;
    const get = (name: string, dtype: Dtype, count: number) => L.byName(name)?.id ?? L.add(name, dtype, count);
    return {
      batch, training,
      emit: (op, args, label) => { plan.emit(op, args, label ?? u.name); },
      param: (name) => this.buf(`${u.name}.${name}`),
      grad: (name) => L.byName(`grad:${u.name}.${name}`)?.id,
      aux: (key, dtype, perSample) => get(`aux:${u.name}:${key}`, dtype, perSample * this.spec.maxBatch),
      fixed: (key, dtype, count) => get(`fixed:${u.name}:${key}`, dtype, count),
      gemmScratch: (M, N, K) => { L.finalized || L.grow(this.scratch, gemmScratchFloats(M, N, K)); return this.scratch; },
      scratch: (floats) => { L.finalized || L.grow(this.scratch, floats); return this.scratch; },
      rngState: () => this.rng,
      constant: (key, dtype, data) => {
        const name = `const:${u.name}:${key}`, have = L.byName(name);
        if (have) return have.id;
        const b = L.add(name, dtype, data.byteLength / DTYPE_BYTES[dtype]);
        this.constants.push([b, data]);
        return b;
      },
    };
  }
}
