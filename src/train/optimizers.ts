// Optimizers: state buffers and update instructions for every trainable parameter, plus the
// per-step hyperparameter blocks (LR from the schedule, bias corrections) the host writes before
// each plan call. Formulas: assembly/kernels/optim.ts (PyTorch's documented algorithms).
// Per-layer regularizers (Keras semantics, loss += l2·Σw² + l1·Σ|w|) become gradient terms
// g += 2·l2·w (an axpy) and g += l1·sign(w) (the kernels' l1 slot); weightDecay is the optimizer's.
import { AxonError } from '../errors.js';
import { Plan, Buf } from '../compile/plan.js';
import { HP_WORDS } from '../ops.js';
import type { Layout } from '../compile/plan.js';
import type { BoundLayout } from '../runtime/bound.js';
import type { Layer } from '../layers/layer.js';
import { makeSchedule, Schedule, ScheduleConfig } from './schedules.js';
import { size } from '../layers/layer.js';

export type OptimizerName = 'sgd' | 'momentum' | 'nesterov' | 'rmsprop' | 'adam' | 'adamw';
export const OPTIMIZERS: readonly OptimizerName[] = ['sgd', 'momentum', 'nesterov', 'rmsprop', 'adam', 'adamw'];

export interface OptimizerConfig {
  type: OptimizerName;
  lr?: number;
  momentum?: number; dampening?: number; nesterov?: boolean;   // sgd family
  alpha?: number; centered?: boolean;                           // rmsprop
  beta1?: number; beta2?: number; amsgrad?: boolean;            // adam family
  eps?: number;
  weightDecay?: number;
  schedule?: ScheduleConfig;
  /** clip each gradient element to [-clipValue, clipValue] */
  clipValue?: number;
  /** scale all gradients so their global L2 norm is at most clipNorm */
  clipNorm?: number;
}

interface ParamSlot { name: string; w: Buf; g: Buf; state: Buf[]; hp: Buf; l1: number; l2: number; n: number }

/** What the optimizer needs of a session: its buffer table and units (the compiler's Session is one). */
export interface ParamTable { readonly layout: Layout; readonly units: Layer[]; buf(name: string): number }

export class Optimizer {
  readonly cfg: Required<Pick<OptimizerConfig, 'type' | 'lr' | 'eps' | 'weightDecay'>> & OptimizerConfig;
  readonly schedule: Schedule;
  private slots: ParamSlot[] = [];
  private normSlot?: Buf;

  constructor(c: OptimizerConfig | OptimizerName) {
    const cfg = typeof c === 'string' ? { type: c } : c;
    if (!OPTIMIZERS.includes(cfg.type)) throw new AxonError('BAD_CONFIG', `unknown optimizer "${cfg.type}"; use one of ${OPTIMIZERS.join(', ')}`);
    const t = cfg.type;
    const lr = cfg.lr ?? (t === 'adam' || t === 'adamw' ? 1e-3 : 1e-2);
    this.cfg = {
      ...cfg, lr,
      momentum: cfg.momentum ?? (t === 'momentum' || t === 'nesterov' ? 0.9 : 0),
      nesterov: cfg.nesterov ?? t === 'nesterov',
      eps: cfg.eps ?? 1e-8,
      weightDecay: cfg.weightDecay ?? (t === 'adamw' ? 1e-2 : 0),
    };
    for (const [k, v] of Object.entries(this.cfg)) if (typeof v === 'number' && !(Number.isFinite(v) && v >= 0)) throw new AxonError('BAD_CONFIG', `optimizer ${t}: ${k} must be a finite non-negative number, got ${v}`);
    if (this.cfg.nesterov && !(this.cfg.momentum! > 0 && (this.cfg.dampening ?? 0) === 0)) throw new AxonError('BAD_CONFIG', 'Nesterov momentum requires a momentum > 0 and zero dampening (as in PyTorch)');
    this.schedule = makeSchedule(cfg.schedule);
  }

  private get kernel(): 'sgd' | 'rmsprop' | 'adam' {
    const t = this.cfg.type;
    return t === 'rmsprop' ? 'rmsprop' : t === 'adam' || t === 'adamw' ? 'adam' : 'sgd';
  }

  /** State buffer names per parameter, in kernel argument order. */
  /** State buffer names per parameter (PyTorch's state_dict names); unused slots are not allocated. */
  private stateKeys(): string[] {
    const c = this.cfg;
    switch (this.kernel) {
      case 'sgd': return c.momentum! > 0 ? ['momentum_buffer'] : [];
      case 'rmsprop': return ['square_avg', ...(c.momentum! > 0 ? ['momentum_buffer'] : []), ...(c.centered ? ['grad_avg'] : [])];
      case 'adam': return ['exp_avg', 'exp_avg_sq', ...(c.amsgrad ? ['max_exp_avg_sq'] : [])];
    }
  }

  /** Kernel state arguments: declared buffers, with untouched slots pointing at a real buffer of the same size. */
  private stateArgs(byKey: Map<string, Buf>, g: Buf): Buf[] {
    const k = (key: string, fallback: Buf) => byKey.get(key) ?? fallback;
    switch (this.kernel) {
      case 'sgd': return [k('momentum_buffer', g)];
      case 'rmsprop': { const v = byKey.get('square_avg')!; return [v, k('momentum_buffer', v), k('grad_avg', v)]; }
      case 'adam': { const v = byKey.get('exp_avg_sq')!; return [byKey.get('exp_avg')!, v, k('max_exp_avg_sq', v)]; }
    }
  }

  /** Declares state and hyperparameter buffers for every trainable parameter of the session. */
  declare(s: ParamTable): void {
    this.slots = [];
    const L = s.layout;
    for (const u of s.units) {
      if (!u.trainable) continue;
      for (const p of u.params) {
        if (!p.trainable) continue;
        const name = `${u.name}.${p.name}`, n = size(p.shape);
        const g = s.buf(`grad:${name}`);
        const state = this.stateArgs(new Map(this.stateKeys().map((k) => [k, L.add(`opt:${name}.${k}`, 'f32', n)])), g);
        const reg = p.regularize ? u.regularizer : undefined;
        this.slots.push({ name, w: s.buf(name), g, state, hp: L.add(`hp:${name}`, 'f32', HP_WORDS[this.kernel]), l1: reg?.l1 ?? 0, l2: reg?.l2 ?? 0, n });
      }
    }
    if (this.cfg.clipNorm !== undefined) this.normSlot = L.add('opt:grad_norm_sq', 'f32', 1);
  }

  /** Regularizer terms, gradient checks, clipping, then every update. */
  emit(plan: Plan): void {
    for (const p of this.slots) if (p.l2 > 0) plan.emit('axpy', { y: p.g, x: p.w, a: 2 * p.l2, n: p.n }, `${p.name} l2`);
    for (const p of this.slots) plan.emit('check_finite', { x: p.g, n: p.n }, `${p.name} gradient`);
    if (this.cfg.clipValue !== undefined) for (const p of this.slots) plan.emit('clip_value', { g: p.g, c: this.cfg.clipValue, n: p.n });
    if (this.normSlot !== undefined) {
      plan.emit('fill', { y: this.normSlot, v: 0, n: 1 });
      for (const p of this.slots) plan.emit('sumsq', { out: this.normSlot, x: p.g, n: p.n });
      for (const p of this.slots) plan.emit('clip_norm', { g: p.g, ss: this.normSlot, maxNorm: this.cfg.clipNorm!, n: p.n });
    }
    for (const p of this.slots) {
      const [a, b, c] = p.state;
      const label = `${this.cfg.type} ${p.name}`;
      if (this.kernel === 'sgd') plan.emit('sgd', { w: p.w, g: p.g, b: a, hp: p.hp, n: p.n }, label);
      else if (this.kernel === 'rmsprop') plan.emit('rmsprop', { w: p.w, g: p.g, v: a, b, ga: c, hp: p.hp, n: p.n }, label);
      else plan.emit('adam', { w: p.w, g: p.g, m: a, v: b, vmax: c, hp: p.hp, n: p.n }, label);
    }
  }

  /** Writes the hyperparameter blocks for optimizer step t (1-based) at learning rate lr. */
  writeStep(s: { readonly bound: BoundLayout }, t: number, lr: number): void {
    const c = this.cfg;
    for (const p of this.slots) {
      const hp = s.bound.f32(p.hp);
      switch (this.kernel) {
        case 'sgd': hp.set([lr, c.momentum!, c.dampening ?? 0, c.weightDecay, p.l1, c.nesterov ? 1 : 0, t === 1 ? 1 : 0]); break;
        case 'rmsprop': hp.set([lr, c.alpha ?? 0.99, c.eps, c.weightDecay, p.l1, c.momentum ?? 0, c.centered ? 1 : 0]); break;
        case 'adam': {
          const b1 = c.beta1 ?? 0.9, b2 = c.beta2 ?? 0.999;
          hp.set([lr, b1, b2, c.eps, c.weightDecay, p.l1, 1 - b1 ** t, 1 - b2 ** t, c.type === 'adamw' ? 1 : 0, c.amsgrad ? 1 : 0]);
        }
      }
    }
  }

  /** Names of the state buffers (saved with checkpoints so training resumes exactly). */
  stateBuffers(): string[] { return this.slots.flatMap((p) => this.stateKeys().map((k) => `opt:${p.name}.${k}`)); }
}
