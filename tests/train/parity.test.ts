// Parity with PyTorch semantics: an MLP with fixed weights on a fixed batch. Gradients of MSE and
// cross-entropy, and parameters after 1 and 3 steps of every optimizer (with and without weight
// decay / L2; AdamW decoupled), against an independent float64 implementation of PyTorch's
// formulas written here. Tolerance: 1e-5 relative, with an absolute floor of 1e-5 x max|ref|.
import { describe, it, beforeAll } from 'vitest';
import { Sequential, layers, Tensor, OptimizerConfig } from '../../src/index.js';
import { Engine } from '../../src/runtime/engine.js';
import { engine, randn, randInt, expectClose } from '../helpers.js';

const B = 6, I = 4, H = 5, O = 3;
type P = Record<string, Float64Array>;

function close(got: ArrayLike<number>, want: Float64Array, what: string) {
  const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  expectClose(got, want, 1e-5, 1e-5 * scale, what);
}

/** f64 forward + backward: Dense(I→H) tanh, Dense(H→O), then softmax-CE or MSE (mean). */
function grads(p: P, x: Float64Array, yIds: Int32Array, yVals: Float64Array, loss: 'ce' | 'mse'): P {
  const h = new Float64Array(B * H), z = new Float64Array(B * O);
  for (let r = 0; r < B; r++) for (let j = 0; j < H; j++) {
    let s = p['dense_1.bias'][j]; for (let k = 0; k < I; k++) s += x[r * I + k] * p['dense_1.weight'][j * I + k]; h[r * H + j] = Math.tanh(s);
  }
  for (let r = 0; r < B; r++) for (let j = 0; j < O; j++) {
    let s = p['dense_2.bias'][j]; for (let k = 0; k < H; k++) s += h[r * H + k] * p['dense_2.weight'][j * H + k]; z[r * O + j] = s;
  }
  const dz = new Float64Array(B * O);
  for (let r = 0; r < B; r++) {
    if (loss === 'ce') {
      const m = Math.max(...z.subarray(r * O, r * O + O)); let s = 0;
      for (let j = 0; j < O; j++) s += Math.exp(z[r * O + j] - m);
      for (let j = 0; j < O; j++) dz[r * O + j] = (Math.exp(z[r * O + j] - m) / s - (j === yIds[r] ? 1 : 0)) / B;
    } else for (let j = 0; j < O; j++) dz[r * O + j] = (2 * (z[r * O + j] - yVals[r * O + j])) / (B * O);
  }
  const g: P = { 'dense_1.weight': new Float64Array(H * I), 'dense_1.bias': new Float64Array(H), 'dense_2.weight': new Float64Array(O * H), 'dense_2.bias': new Float64Array(O) };
  const dh = new Float64Array(B * H);
  for (let r = 0; r < B; r++) for (let j = 0; j < O; j++) {
    const d = dz[r * O + j]; g['dense_2.bias'][j] += d;
    for (let k = 0; k < H; k++) { g['dense_2.weight'][j * H + k] += d * h[r * H + k]; dh[r * H + k] += d * p['dense_2.weight'][j * H + k]; }
  }
  for (let r = 0; r < B; r++) for (let j = 0; j < H; j++) {
    const d = dh[r * H + j] * (1 - h[r * H + j] ** 2); g['dense_1.bias'][j] += d;
    for (let k = 0; k < I; k++) g['dense_1.weight'][j * I + k] += d * x[r * I + k];
  }
  return g;
}

/** torch.optim semantics, float64, one step t (1-based) on every parameter. */
function step(cfg: OptimizerConfig, p: P, g: P, st: Record<string, P>, t: number) {
  const lr = cfg.lr!, wd = cfg.weightDecay ?? (cfg.type === 'adamw' ? 1e-2 : 0), eps = cfg.eps ?? 1e-8;
  for (const k of Object.keys(p)) {
    const w = p[k], s = (st[k] ??= {});
    for (let i = 0; i < w.length; i++) {
      let gi = g[k][i];
      if (cfg.type === 'adam' || cfg.type === 'adamw') {
        const b1 = cfg.beta1 ?? 0.9, b2 = cfg.beta2 ?? 0.999;
        if (cfg.type === 'adamw') w[i] -= lr * wd * w[i]; else gi += wd * w[i];
        const m = (s.m ??= new Float64Array(w.length)), v = (s.v ??= new Float64Array(w.length)), vm = (s.vm ??= new Float64Array(w.length));
        m[i] = b1 * m[i] + (1 - b1) * gi; v[i] = b2 * v[i] + (1 - b2) * gi * gi;
        let vh = v[i]; if (cfg.amsgrad) { vm[i] = Math.max(vm[i], v[i]); vh = vm[i]; }
        w[i] -= lr * (m[i] / (1 - b1 ** t)) / (Math.sqrt(vh / (1 - b2 ** t)) + eps);
      } else if (cfg.type === 'rmsprop') {
        gi += wd * w[i];
        const a = cfg.alpha ?? 0.99, mu = cfg.momentum ?? 0;
        const v = (s.v ??= new Float64Array(w.length)), ga = (s.ga ??= new Float64Array(w.length)), bb = (s.b ??= new Float64Array(w.length));
        v[i] = a * v[i] + (1 - a) * gi * gi;
        let vt = v[i]; if (cfg.centered) { ga[i] = a * ga[i] + (1 - a) * gi; vt -= ga[i] ** 2; }
        if (mu > 0) { bb[i] = mu * bb[i] + gi / (Math.sqrt(vt) + eps); w[i] -= lr * bb[i]; } else w[i] -= lr * gi / (Math.sqrt(vt) + eps);
      } else {
        gi += wd * w[i];
        const mu = cfg.momentum ?? (cfg.type === 'sgd' ? 0 : 0.9), damp = cfg.dampening ?? 0, nest = cfg.nesterov ?? cfg.type === 'nesterov';
        if (mu !== 0) {
          const bb = (s.b ??= new Float64Array(w.length));
          bb[i] = t === 1 ? gi : mu * bb[i] + (1 - damp) * gi;
          gi = nest ? gi + mu * bb[i] : bb[i];
        }
        w[i] -= lr * gi;
      }
    }
  }
}

const OPTIMIZERS: OptimizerConfig[] = [
  { type: 'sgd', lr: 0.1 }, { type: 'sgd', lr: 0.1, momentum: 0.9, dampening: 0.1 }, { type: 'momentum', lr: 0.05 },
  { type: 'nesterov', lr: 0.05 }, { type: 'rmsprop', lr: 0.01 }, { type: 'rmsprop', lr: 0.01, momentum: 0.5, centered: true },
  { type: 'adam', lr: 0.01 }, { type: 'adam', lr: 0.01, amsgrad: true, beta1: 0.8, beta2: 0.99 }, { type: 'adamw', lr: 0.01 },
];

describe('parity with PyTorch semantics (f64 reference)', () => {
  let e: Engine;
  const x = randn(B * I, 11), ids = randInt(B, O, 12), vals = randn(B * O, 13);
  beforeAll(async () => { e = await engine(); });

  const model = (loss: 'ce' | 'mse', opt: OptimizerConfig) => {
    const m = new Sequential({ inputShape: [I], seed: 5, engine: e });
    m.add(layers.dense({ units: H, activation: 'tanh', biasInitializer: { type: 'randomNormal', std: 0.3 } }));
    m.add(layers.dense({ units: O, activation: loss === 'ce' ? 'softmax' : 'linear', biasInitializer: { type: 'randomNormal', std: 0.3 } }));
    m.compile({ optimizer: opt, loss: loss === 'ce' ? 'sparseCategoricalCrossentropy' : 'mse' });
    return m;
  };
  const data = (loss: 'ce' | 'mse'): [Tensor, Tensor] => [new Tensor(x, [B, I]), loss === 'ce' ? new Tensor(ids, [B]) : new Tensor(vals, [B, O])];
  const f64 = (m: Sequential): P => Object.fromEntries([...m.getWeights()].map(([k, v]) => [k, Float64Array.from(v)]));

  for (const loss of ['ce', 'mse'] as const) {
    it(`gradients of ${loss}`, async () => {
      const m = model(loss, { type: 'sgd', lr: 0 });
      const p0 = f64(m);
      await m.fit(...data(loss), { epochs: 1, batchSize: B, shuffle: false });
      const s = await m.session(B);
      const want = grads(p0, Float64Array.from(x), ids, Float64Array.from(vals), loss);
      for (const k of Object.keys(want)) close(s.bound.f32(s.buf(`grad:${k}`)), want[k], `${loss} grad ${k}`);
    });
    for (const base of OPTIMIZERS) for (const wd of [0, 0.05]) {
      const opt = { ...base, ...(wd ? { weightDecay: wd } : {}) };
      it(`${loss} ${JSON.stringify(opt)}: parameters after 1 and 3 steps`, async () => {
        const m = model(loss, opt);
        const p = f64(m), st: Record<string, P> = {};
        for (const [t, epochs] of [[1, 1], [3, 2]] as const) {
          await m.fit(...data(loss), { epochs, batchSize: B, shuffle: false });
          for (let k = (t === 1 ? 1 : 2); k <= t; k++) step(opt, p, grads(p, Float64Array.from(x), ids, Float64Array.from(vals), loss), st, k);
          const got = m.getWeights();
          for (const k of Object.keys(p)) close(got.get(k)!, p[k], `step ${t} ${k}`);
        }
      });
    }
  }
});
