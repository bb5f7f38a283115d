// Optimizer kernels against an independent f64 implementation of PyTorch's documented algorithms
// (torch.optim SGD, RMSprop, Adam, AdamW) plus Axon's coupled L1 term, and against real torch.optim
// output (tests/fixtures/optim_torch.json, written once by tests/fixtures/gen_optim_torch.py).
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { engine, randn, SIZES } from '../helpers.js';
import { call, out, inp, close, expectMatch, EXACT } from './kit.js';

const e = await engine();
type F64 = Float64Array;

/** Hyperparameters, named as in torch.optim (camelCase); l1 is Axon's g += l1 * sign(w). */
interface Opt {
  kind: 'sgd' | 'rmsprop' | 'adam' | 'adamw';
  lr: number; momentum?: number; dampening?: number; nesterov?: boolean; weightDecay?: number; l1?: number;
  alpha?: number; eps?: number; centered?: boolean; betas?: [number, number]; amsgrad?: boolean;
}

// ---- the f64 reference: torch.optim's algorithms as documented ----

const sign = (v: number) => (v > 0 ? 1 : v < 0 ? -1 : 0);

/** One optimizer's state over n weights; step(w, g) updates w in place. */
class Reference {
  t = 0;
  readonly s: Record<string, F64>;
  constructor(readonly o: Opt, n: number) {
    this.s = o.kind === 'sgd' ? { b: new Float64Array(n) }
      : o.kind === 'rmsprop' ? { v: new Float64Array(n), b: new Float64Array(n), ga: new Float64Array(n) }
        : { m: new Float64Array(n), v: new Float64Array(n), vmax: new Float64Array(n) };
  }
  step(w: F64, grad: ArrayLike<number>): void {
    const o = this.o, t = ++this.t, wd = o.weightDecay ?? 0, l1 = o.l1 ?? 0, { b, v, ga, m, vmax } = this.s;
    for (let i = 0; i < w.length; i++) {
      let g = grad[i] + l1 * sign(w[i]);
      if (o.kind === 'sgd') {
        const mu = o.momentum ?? 0;
        g += wd * w[i];
        if (mu !== 0) {
          b[i] = t === 1 ? g : mu * b[i] + (1 - (o.dampening ?? 0)) * g; // first step: b = g
          g = o.nesterov ? g + mu * b[i] : b[i];
        }
        w[i] -= o.lr * g;
      } else if (o.kind === 'rmsprop') {
        const a = o.alpha ?? 0.99, mu = o.momentum ?? 0;
        g += wd * w[i];
        v[i] = a * v[i] + (1 - a) * g * g;
        let vt = v[i];
        if (o.centered) { ga[i] = a * ga[i] + (1 - a) * g; vt -= ga[i] * ga[i]; }
        const step = g / (Math.sqrt(vt) + (o.eps ?? 1e-8));
        if (mu > 0) { b[i] = mu * b[i] + step; w[i] -= o.lr * b[i]; } else w[i] -= o.lr * step;
      } else {
        const [b1, b2] = o.betas ?? [0.9, 0.999];
        if (o.kind === 'adamw') w[i] -= o.lr * wd * w[i]; // decoupled: θ ← θ - γλθ
        else g += wd * w[i];
        m[i] = b1 * m[i] + (1 - b1) * g;
        v[i] = b2 * v[i] + (1 - b2) * g * g;
        // NOTE: amsgrad keeps the max of the raw v (as torch's implementation does), then corrects
        if (o.amsgrad) vmax[i] = Math.max(vmax[i], v[i]);
        const vhat = (o.amsgrad ? vmax[i] : v[i]) / (1 - b2 ** t), mhat = m[i] / (1 - b1 ** t);
        w[i] -= (o.lr * mhat) / (Math.sqrt(vhat) + (o.eps ?? 1e-8));
      }
    }
  }
}

// ---- the wasm kernels, driven the way the host drives them ----

const SENTINEL = 7.5; // state buffers an optimizer does not use must stay untouched

class Wasm {
  t = 0;
  readonly s: Record<string, Float32Array>;
  constructor(readonly o: Opt, readonly isa: string, public w: Float32Array) {
    const n = w.length, z = () => new Float32Array(n), unused = () => new Float32Array(n).fill(SENTINEL);
    const mu = o.momentum ?? 0;
    this.s = o.kind === 'sgd' ? { b: mu !== 0 ? z() : unused() }
      : o.kind === 'rmsprop' ? { v: z(), b: mu > 0 ? z() : unused(), ga: o.centered ? z() : unused() }
        : { m: z(), v: z(), vmax: o.amsgrad ? z() : unused() };
  }
  /** The hyperparameter block documented above each kernel in assembly/kernels/optim.ts. */
  hp(t: number): number[] {
    const o = this.o, wd = o.weightDecay ?? 0, l1 = o.l1 ?? 0;
    if (o.kind === 'sgd') return [o.lr, o.momentum ?? 0, o.dampening ?? 0, wd, l1, o.nesterov ? 1 : 0, t === 1 ? 1 : 0];
    if (o.kind === 'rmsprop') return [o.lr, o.alpha ?? 0.99, o.eps ?? 1e-8, wd, l1, o.momentum ?? 0, o.centered ? 1 : 0];
    const [b1, b2] = o.betas ?? [0.9, 0.999];
    return [o.lr, b1, b2, o.eps ?? 1e-8, wd, l1, 1 - b1 ** t, 1 - b2 ** t, o.kind === 'adamw' ? 1 : 0, o.amsgrad ? 1 : 0];
  }
  step(g: ArrayLike<number>): void {
    const t = ++this.t, n = this.w.length, s = this.s, k = (name: string) => `f32_${name}__${this.isa}`;
    if (this.o.kind === 'sgd') [this.w, s.b] = call(e, k('sgd'), [out(this.w), inp(g), out(s.b), inp(this.hp(t)), n]);
    else if (this.o.kind === 'rmsprop') [this.w, s.v, s.b, s.ga] = call(e, k('rmsprop'), [out(this.w), inp(g), out(s.v), out(s.b), out(s.ga), inp(this.hp(t)), n]);
    else [this.w, s.m, s.v, s.vmax] = call(e, k('adam'), [out(this.w), inp(g), out(s.m), out(s.v), out(s.vmax), inp(this.hp(t)), n]);
  }
}

// label, hyperparameters: every documented option, alone and combined
const CASES: [string, Opt][] = [
  ['sgd', { kind: 'sgd', lr: 0.1 }],
  ['sgd momentum', { kind: 'sgd', lr: 0.1, momentum: 0.9 }],
  ['sgd momentum dampening', { kind: 'sgd', lr: 0.1, momentum: 0.9, dampening: 0.3 }],
  ['sgd nesterov', { kind: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true }],
  ['sgd weight decay', { kind: 'sgd', lr: 0.1, weightDecay: 0.05 }],
  ['sgd l1', { kind: 'sgd', lr: 0.1, l1: 0.02 }],
  ['sgd nesterov dampening weight decay l1', { kind: 'sgd', lr: 0.05, momentum: 0.8, dampening: 0.1, nesterov: true, weightDecay: 0.05, l1: 0.02 }],
  ['rmsprop', { kind: 'rmsprop', lr: 0.01, alpha: 0.99, eps: 1e-8 }],
  ['rmsprop centered', { kind: 'rmsprop', lr: 0.01, alpha: 0.9, eps: 1e-6, centered: true }],
  ['rmsprop momentum', { kind: 'rmsprop', lr: 0.01, alpha: 0.99, momentum: 0.9 }],
  ['rmsprop centered momentum weight decay l1', { kind: 'rmsprop', lr: 0.01, alpha: 0.95, momentum: 0.5, centered: true, weightDecay: 0.1, l1: 0.01 }],
  ['adam', { kind: 'adam', lr: 0.05 }],
  ['adam l2', { kind: 'adam', lr: 0.05, betas: [0.8, 0.99], eps: 1e-6, weightDecay: 0.1 }],
  ['adamw', { kind: 'adamw', lr: 0.05, weightDecay: 0.1 }],
  ['adam amsgrad', { kind: 'adam', lr: 0.05, betas: [0.9, 0.99], amsgrad: true }],
  ['adamw amsgrad l1', { kind: 'adamw', lr: 0.05, weightDecay: 0.2, amsgrad: true, l1: 0.01 }],
];

const N = 37, STEPS = 3;
const w0 = (n: number) => { const w = randn(n, 1); w[Math.min(5, n - 1)] = 0; return w; }; // sign(0) = 0 for L1
const grads = (n: number) => Array.from({ length: STEPS }, (_, t) => randn(n, 10 + t));
const TOL = close(1e-5, 1e-7);

describe('optim: wasm matches the f64 PyTorch algorithm after 1 and 3 steps (n = 37)', () => {
  it.each(CASES)('%s', (_, o) => {
    for (const isa of ['ref', 'simd']) {
      const ref = new Reference(o, N), w = Float64Array.from(w0(N)), wasm = new Wasm(o, isa, w0(N)), gs = grads(N);
      for (let t = 1; t <= STEPS; t++) {
        ref.step(w, gs[t - 1]);
        wasm.step(gs[t - 1]);
        if (t !== 1 && t !== STEPS) continue;
        expectMatch(wasm.w, w, close(1e-5, 1e-6), `${isa} w after step ${t}`);
        for (const [name, buf] of Object.entries(wasm.s)) {
          if (buf[0] === SENTINEL) expectMatch(buf, new Float32Array(N).fill(SENTINEL), EXACT, `${isa} unused ${name} untouched`);
          else expectMatch(buf, ref.s[name], TOL, `${isa} state ${name} after step ${t}`);
        }
      }
    }
  });
});

describe('optim: __simd matches __ref bit for bit and stays inside its buffers', () => {
  it.each(CASES)('%s', (_, o) => {
    for (const n of SIZES) {
      const a = new Wasm(o, 'ref', w0(n)), b = new Wasm(o, 'simd', w0(n));
      for (const g of grads(n)) { a.step(g); b.step(g); }
      expectMatch(b.w, a.w, EXACT, `w n=${n}`);
      for (const name of Object.keys(a.s)) expectMatch(b.s[name], a.s[name], EXACT, `${name} n=${n}`);
    }
  });
});

interface TorchCase { name: string; optimizer: string; hp: Record<string, number | boolean | number[]>; l1: number; w: number[][] }
const TORCH = JSON.parse(readFileSync(new URL('../fixtures/optim_torch.json', import.meta.url), 'utf8')) as
  { torch: string; n: number; w0: number[]; grads: number[][]; cases: TorchCase[] };
const KIND: Record<string, Opt['kind']> = { SGD: 'sgd', RMSprop: 'rmsprop', Adam: 'adam', AdamW: 'adamw' };
const fromTorch = (c: TorchCase): Opt => {
  const h = c.hp as Record<string, never>;
  return { kind: KIND[c.optimizer], lr: h.lr, momentum: h.momentum, dampening: h.dampening, nesterov: h.nesterov,
    weightDecay: h.weight_decay ?? (c.optimizer === 'AdamW' ? 0.01 : 0), l1: c.l1, alpha: h.alpha, eps: h.eps,
    centered: h.centered, betas: h.betas, amsgrad: h.amsgrad };
};

describe(`optim: matches real torch.optim (${TORCH.torch}, float64) step by step`, () => {
  it.each(TORCH.cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const o = fromTorch(c), ref = new Reference(o, TORCH.n), w = Float64Array.from(TORCH.w0);
    const wasm = ['ref', 'simd'].map((isa) => new Wasm(o, isa, Float32Array.from(TORCH.w0)));
    TORCH.grads.forEach((g, t) => {
      ref.step(w, g);
      expectMatch(w, c.w[t], close(1e-12, 1e-14), `f64 reference after step ${t + 1}`);
      for (const x of wasm) { x.step(g); expectMatch(x.w, c.w[t], close(1e-5, 1e-6), `__${x.isa} after step ${t + 1}`); }
    });
  });
  it('covers every option', () => {
    const seen = new Set(TORCH.cases.flatMap((c) => [c.optimizer, ...Object.keys(c.hp), ...(c.l1 ? ['l1'] : [])]));
    for (const k of ['SGD', 'RMSprop', 'Adam', 'AdamW', 'momentum', 'dampening', 'nesterov', 'weight_decay', 'l1', 'centered', 'amsgrad'])
      expect(seen.has(k), k).toBe(true);
  });
});
