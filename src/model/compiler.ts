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

/** prepare: one-time work after parameters are written (Layer.prepare, e.g. packing int8 weights). */
/** grads[i] of a unit whose output is not f32 (int8): no gradient buffer */
const NO_GRAD = -1;

export type Mode = 'predict' | 'eval' | 'train' | 'prepare';

export interface SessionSpec {
  units: Layer[];
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
      if (u.trainable && p.trainable && dtype === 'f32') L.add(`grad:${u.name}.${p.name}`, 'f32', n);
    }
    let prev = this.x;
    spec.units.forEach((u, i) => {
      const out = u.aliasesInput ? prev : L.add(`act:${i}:${u.name}`, u.outputDtype, B * size(u.outputShape));
      this.outputs.push(out);
      // int8 activations have no gradient (int8 layers are inference-only): NO_GRAD
      const f32 = L.get(out).dtype === 'f32';
      this.grads.push(!f32 ? NO_GRAD : u.aliasesInput && i > 0 ? this.grads[i - 1] : L.add(`dact:${i}:${u.name}`, 'f32', B * size(u.outputShape)));
      prev = out;
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
    // which units need an input gradient: some earlier unit has trainable parameters
    const needDx: boolean[] = [];
    let anyTrainable = false;
    units.forEach((u, i) => { needDx[i] = anyTrainable && i > 0; anyTrainable ||= u.trainable && u.params.some((p) => p.trainable); });
    if (training) {
      for (const g of this.layout.buffers) if (g.name.startsWith('grad:')) plan.emit('fill', { y: g.id, v: 0, n: g.count });
      for (let i = 0; i < last; i++) if ((needDx[i + 1] || i + 1 === last) && this.grads[i] !== NO_GRAD) plan.emit('fill', { y: this.grads[i], v: 0, n: B * size(units[i].outputShape) });
    }
    for (let i = 0; i < last; i++) units[i].forward(this.ctx(plan, units[i], B, training), this.io(i, training, needDx[i]));
    if (fused) {
      const pred = last > 0 ? this.outputs[last - 1] : this.x;
      const dpred = training && last > 0 ? this.grads[last - 1] : undefined;
      emitLoss(plan, this.spec.loss!, { pred, dpred, target: this.target!, loss: this.lossBuf, batch: B, fused });
    }
    if (!training) return plan;
    for (let i = last - 1; i >= 0; i--) units[i].backward(this.ctx(plan, units[i], B, true), this.io(i, true, needDx[i]));
    this.spec.optimizer!.emit(plan, this);
    return plan;
  }

  private io(i: number, training: boolean, needDx: boolean): IO {
    return {
      x: i > 0 ? this.outputs[i - 1] : this.x,
      y: this.outputs[i],
      dy: training && this.grads[i] !== NO_GRAD ? this.grads[i] : undefined,
      dx: training && needDx && i > 0 && this.grads[i - 1] !== NO_GRAD ? this.grads[i - 1] : undefined,
    };
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
