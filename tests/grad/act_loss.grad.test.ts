// Gradient checks for every activation (act.ts, act_smooth.ts) and loss backward kernel: the wasm backward (__simd and
// __ref) against a central difference of an independent f64 forward written here, weighted by a
// random upstream gradient dy so the whole vector-Jacobian product is covered. Every backward
// starts from a non-zero dx, so the checks also prove it accumulates (dx += ...). Each forward
// kernel is checked against the same f64 forward.
import { describe, it, expect } from 'vitest';
import { engine, randn, numGrad, expectClose } from '../helpers.js';
import { Rng } from '../../src/runtime/rng.js';
import { call, out, inp, idx, state, expectMatch, EXACT, Arg, Buf, uniform } from '../kernels/kit.js';
import { SELU, SMOOTH } from '../kernels/smooth_ref.js';

const e = await engine();
type F64 = Float64Array;
const ISAS = ['ref', 'simd'];
const f32 = (a: ArrayLike<number>) => Float32Array.from(a);
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; };
/** Random f32 values kept at least 0.01 away from 0 (the kink of relu-like functions). */
const awayFromKink = (n: number, seed: number, scale = 2) => randn(n, seed, scale).map((v) => (v < 0 ? v - 0.01 : v + 0.01));
const GRAD_TOL = [1e-5, 2e-6] as const; // rtol, atol: f32 backward vs f64 central difference

// ---- the f64 forwards ----
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const leaky = (a: number) => (x: F64) => x.map((v) => (v > 0 ? v : a * v));
const rowwise = (cols: number, log: boolean) => (x: F64) => {
  const y = new Float64Array(x.length);
  for (let o = 0; o < x.length; o += cols) {
    let m = -Infinity, s = 0;
    for (let c = 0; c < cols; c++) m = Math.max(m, x[o + c]);
    for (let c = 0; c < cols; c++) s += Math.exp(x[o + c] - m);
    const l = m + Math.log(s);
    for (let c = 0; c < cols; c++) y[o + c] = log ? x[o + c] - l : Math.exp(x[o + c] - l);
  }
  return y;
};

/** The dropout mask the wasm forward draws for n elements at p = 0.4 (fixed seed). */
const dropMask = (n: number) =>
  call(e, 'f32_dropout_fwd__ref', [out(n), out(n), inp(new Float32Array(n)), state(new Rng(21).s), n, 0.4])[1];

// ---- activations ----

interface ActCase {
  fwd: (x: F64) => F64;        // f64 forward over the whole (rows, cols) block
  saved: 'x' | 'y' | Float32Array; // what the backward reads: the input, the output, or a mask
  tail: number[];              // dimension / attribute arguments after the pointers
}
type Shape = [number, number];
const EW: Shape[] = [[1, 1], [1, 3], [1, 4], [1, 7], [1, 33], [1, 100], [1, 257]];
const ROWS: Shape[] = [[1, 1], [2, 3], [3, 4], [1, 5], [4, 7], [2, 8], [3, 33], [2, 100]];

// label, kernel stem (fwd/bwd), shapes, case at (rows, cols)
const ACT: [string, string, Shape[], (r: number, c: number) => ActCase][] = [
  ['relu', 'f32_leaky_relu', EW, (r, c) => ({ fwd: leaky(0), saved: 'x', tail: [r * c, 0] })],
  ['leaky relu α=0.2', 'f32_leaky_relu', EW, (r, c) => ({ fwd: leaky(0.2), saved: 'x', tail: [r * c, 0.2] })],
  ['sigmoid', 'f32_sigmoid', EW, (r, c) => ({ fwd: (x) => x.map(sigmoid), saved: 'y', tail: [r * c] })],
  ['tanh', 'f32_tanh', EW, (r, c) => ({ fwd: (x) => x.map(Math.tanh), saved: 'y', tail: [r * c] })],
  ['softmax', 'f32_softmax', ROWS, (r, c) => ({ fwd: rowwise(c, false), saved: 'y', tail: [r, c] })],
  ['log_softmax', 'f32_log_softmax', ROWS, (r, c) => ({ fwd: rowwise(c, true), saved: 'y', tail: [r, c] })],
  ['elu α=0.7', 'f32_elu', EW, (r, c) => ({ fwd: (x) => x.map(SMOOTH.elu(0.7)), saved: 'x', tail: [r * c, 0.7, 1] })],
  ['selu', 'f32_elu', EW, (r, c) => ({ fwd: (x) => x.map(SMOOTH.elu(SELU.alpha, SELU.scale)), saved: 'x', tail: [r * c, SELU.alpha, SELU.scale] })],
  ['gelu (erf)', 'f32_gelu', EW, (r, c) => ({ fwd: (x) => x.map(SMOOTH.gelu), saved: 'x', tail: [r * c, 0] })],
  ['gelu (tanh)', 'f32_gelu', EW, (r, c) => ({ fwd: (x) => x.map(SMOOTH.geluTanh), saved: 'x', tail: [r * c, 1] })],
  ['silu', 'f32_silu', EW, (r, c) => ({ fwd: (x) => x.map(SMOOTH.silu), saved: 'x', tail: [r * c] })],
  ['dropout p=0.4', 'f32_dropout', EW, (r, c) => { const m = dropMask(r * c); return { fwd: (x) => x.map((v, i) => v * m[i]), saved: m, tail: [r * c] }; }],
];

describe('grad: activation backward = dx0 + J^T dy (central difference, f64 forward)', () => {
  it.each(ACT)('%s', (_, k, shapes, make) => {
    for (const [r, c] of shapes) {
      const n = r * c, { fwd, saved, tail } = make(r, c);
      const x = awayFromKink(n, n + 1), dy = randn(n, 2), dx0 = randn(n, 3);
      const keep = saved === 'x' ? x : saved === 'y' ? f32(fwd(Float64Array.from(x))) : saved;
      const g = numGrad((v) => dot(dy, fwd(v)), Float64Array.from(x));
      const want = dx0.map((v, i) => v + g[i]);
      for (const isa of ISAS) {
        const [dx] = call(e, `${k}_bwd__${isa}`, [out(dx0), inp(dy), inp(keep), ...tail]);
        expectClose(dx, want, GRAD_TOL[0], GRAD_TOL[1], `${k}_bwd__${isa} ${r}x${c}`);
      }
    }
  });
});

describe('grad: GELU in training (the forward writes d, the backward is dx += dy * d)', () => {
  it('d = the central difference of the f64 GELU', () => {
    for (const [r, c] of EW) {
      const n = r * c, xv = awayFromKink(n, n + 7), dy = randn(n, 2), dx0 = randn(n, 3);
      const g = numGrad((v) => dot(dy, v.map(SMOOTH.gelu)), Float64Array.from(xv));
      const want = dx0.map((v, i) => v + g[i]);
      for (const isa of ISAS) {
        const [, d] = call(e, `f32_gelu_train_fwd__${isa}`, [out(n), out(n), inp(xv), n]);
        const [dx] = call(e, `f32_dropout_bwd__${isa}`, [out(dx0), inp(dy), inp(d), n]);
        expectClose(dx, want, GRAD_TOL[0], GRAD_TOL[1], `gelu train ${isa} ${r}x${c}`);
      }
    }
  });
});

describe('grad: activation forward matches the f64 forward', () => {
  it.each(ACT.filter(([l]) => !l.startsWith('dropout')))('%s', (_, k, shapes, make) => {
    for (const [r, c] of shapes) {
      const { fwd, tail } = make(r, c), x = randn(r * c, 5, 4);
      const want = fwd(Float64Array.from(x));
      for (const isa of ISAS) {
        const [y] = call(e, `${k}_fwd__${isa}`, [out(r * c), inp(x), ...tail]);
        // the f32 tanh-form GELU is ill-conditioned far left, and the erf form's Phi has an absolute error
        // (act_smooth.test.ts): absolute bounds there
        expectClose(y, want, 2e-6, k === 'f32_log_softmax' || k === 'f32_gelu' ? 2e-6 : 1e-30, `${k}_fwd__${isa} ${r}x${c}`);
      }
    }
  });
  it('dropout forward: y = x * mask', () => {
    const n = 37, x = randn(n, 5), [y, mask] = call(e, 'f32_dropout_fwd__ref', [out(n), out(n), inp(x), state(new Rng(21).s), n, 0.4]);
    expectMatch(y, x.map((v, i) => v * mask[i]), EXACT, 'y');
    expectMatch(mask, dropMask(n), EXACT, 'same seed, same mask');
  });
});

// ---- losses ----

interface LossCase {
  x: Float32Array;             // the differentiated input (predictions, logits or probabilities)
  target: Buf;                 // targets (f32) or class ids (i32)
  loss: (x: F64) => number;    // unscaled f64 loss
  tail: number[];              // dimensions before `scale`
  count: number;               // the 'mean' divisor
}
const ELEMS = [1, 3, 4, 7, 33, 100, 257];
const probs = (n: number, seed: number) => uniform(n, 0.02, 0.98, seed);
const soft = (n: number, seed: number) => uniform(n, 0, 1, seed);
const hard = (n: number, seed: number) => soft(n, seed).map(Math.round);

/** Class ids, every fourth out of range (-1 or cols): those rows must contribute nothing. */
const classIds = (rows: number, cols: number) => {
  const r = new Rng(rows * 31 + cols);
  return Int32Array.from({ length: rows }, (_, i) => (i % 4 === 3 ? (i % 8 === 3 ? -1 : cols) : r.int(cols)));
};
const xent = (labels: Int32Array, cols: number) => (x: F64) => {
  let s = 0;
  labels.forEach((k, r) => {
    if (k < 0 || k >= cols) return;
    const row = x.subarray(r * cols, r * cols + cols), m = Math.max(...row);
    s += m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0)) - row[k];
  });
  return s;
};
const mse = (t: ArrayLike<number>) => (p: F64) => p.reduce((s, v, i) => s + (v - t[i]) ** 2, 0);
const bceLogits = (t: ArrayLike<number>) => (x: F64) => x.reduce((s, v, i) => s + Math.max(v, 0) - v * t[i] + Math.log1p(Math.exp(-Math.abs(v))), 0);
const bce = (t: ArrayLike<number>) => (p: F64) =>
  -p.reduce((s, v, i) => s + t[i] * Math.max(Math.log(v), -100) + (1 - t[i]) * Math.max(Math.log(1 - v), -100), 0);

// label, kernel stem, isas, cases
const LOSS: [string, string, string[], LossCase[]][] = [
  ['mse', 'f32_mse', ISAS, ELEMS.map((n) => { const t = randn(n, 9); return { x: randn(n, n), target: inp(t), loss: mse(t), tail: [n], count: n }; })],
  ['cross-entropy from logits', 'f32_xent_logits', ISAS, [[1, 1], [2, 3], [4, 4], [5, 7], [8, 10], [9, 33], [4, 100]].map(([r, c]) => {
    const y = classIds(r, c);
    return { x: randn(r * c, r + c, 3), target: idx(y), loss: xent(y, c), tail: [r, c], count: r };
  })],
  ['bce from logits, soft targets', 'f32_bce_logits', ['ref'], ELEMS.map((n) => { const t = soft(n, n); return { x: awayFromKink(n, n, 4), target: inp(t), loss: bceLogits(t), tail: [n], count: n }; })],
  ['bce from logits, 0/1 targets', 'f32_bce_logits', ['ref'], ELEMS.map((n) => { const t = hard(n, n); return { x: awayFromKink(n, n, 4), target: inp(t), loss: bceLogits(t), tail: [n], count: n }; })],
  ['bce, soft targets', 'f32_bce', ['ref'], ELEMS.map((n) => { const t = soft(n, n); return { x: probs(n, n + 1), target: inp(t), loss: bce(t), tail: [n], count: n }; })],
  ['bce, 0/1 targets', 'f32_bce', ['ref'], ELEMS.map((n) => { const t = hard(n, n); return { x: probs(n, n + 1), target: inp(t), loss: bce(t), tail: [n], count: n }; })],
];
const REDUCTIONS: [string, (c: LossCase) => number][] = [['mean', (c) => 1 / c.count], ['sum', () => 1]];

describe('grad: loss forward and backward against f64, mean and sum reductions', () => {
  for (const [red, scaleOf] of REDUCTIONS) {
    it.each(LOSS)(`%s (${red})`, (_, k, isas, cases) => {
      for (const c of cases) {
        const scale = Math.fround(scaleOf(c)), x64 = Float64Array.from(c.x), dx0 = randn(c.x.length, 4);
        const g = numGrad((v) => scale * c.loss(v), x64);
        for (const isa of isas) {
          const [loss] = call(e, `${k}_fwd__${isa}`, [out([123]), inp(c.x), c.target, ...c.tail, scale]);
          expectClose(loss, [scale * c.loss(x64)], 1e-5, 1e-7, `${k}_fwd__${isa} [${c.tail}]`);
          const [dx] = call(e, `${k}_bwd__${isa}`, [out(dx0), inp(c.x), c.target, ...c.tail, scale]);
          expectClose(dx, dx0.map((v, i) => v + g[i]), GRAD_TOL[0], GRAD_TOL[1], `${k}_bwd__${isa} [${c.tail}]`);
        }
      }
    });
  }

  it.each(LOSS)('%s: scale is a pure multiplier (mean = sum / count)', (_, k, isas, cases) => {
    const c = cases[cases.length - 1];
    for (const isa of isas) {
      const at = (s: number) => [call(e, `${k}_fwd__${isa}`, [out(1), inp(c.x), c.target, ...c.tail, s])[0][0],
        ...call(e, `${k}_bwd__${isa}`, [out(c.x.length), inp(c.x), c.target, ...c.tail, s])[0]];
      const sum = at(1), mean = at(1 / c.count);
      expectClose(mean, sum.map((v) => v / c.count), 1e-6, 1e-9, `${k}__${isa}`);
    }
  });
});

describe('grad: cross-entropy labels outside [0, cols) contribute nothing', () => {
  const [rows, cols] = [6, 5], x = randn(rows * cols, 8, 3), dx0 = randn(rows * cols, 9);
  const CASES: [string, number[]][] = [
    ['all out of range', [-1, 5, 6, -100, 2147483647, -2147483648]],
    ['some out of range', [0, -1, 4, 5, 2, 1]],
  ];
  it.each(CASES)('%s', (_, labels) => {
    const valid = labels.map((k) => k >= 0 && k < cols);
    const want = xent(Int32Array.from(labels), cols)(Float64Array.from(x));
    for (const isa of ISAS) {
      const [loss] = call(e, `f32_xent_logits_fwd__${isa}`, [out([123]), inp(x), idx(labels), rows, cols, 1]);
      expectClose(loss, [want], 1e-5, 1e-7, `fwd__${isa}`);
      const [dx] = call(e, `f32_xent_logits_bwd__${isa}`, [out(dx0), inp(x), idx(labels), rows, cols, 1]);
      for (let r = 0; r < rows; r++) if (!valid[r]) expectMatch(dx.subarray(r * cols, r * cols + cols), dx0.subarray(r * cols, r * cols + cols), EXACT, `bwd__${isa} row ${r} untouched`);
    }
  });
});

describe('grad: BCE edge cases follow PyTorch', () => {
  it('bce clamps log at -100 and the gradient denominator at 1e-12', () => {
    const p = [0, 1, 0, 1, 1e-30], t = [1, 0, 0, 1, 1], n = p.length;
    const [loss] = call(e, 'f32_bce_fwd__ref', [out(1), inp(p), inp(t), n, 1]);
    expect(loss[0]).toBeCloseTo(100 + 100 + 0 + 0 + 69.0775527898, 3);
    const [dp] = call(e, 'f32_bce_bwd__ref', [out(n), inp(p), inp(t), n, 0.5]);
    expectClose(dp, [-0.5e12, 0.5e12, 0, 0, -0.5e12], 1e-6, 0, 'dp');
  });
  it('bce from logits is finite and accurate at large |x|', () => {
    const x = [100, -100, 20, -20, 30, -88], t = [0, 1, 1, 0, 1, 0], n = x.length;
    const [loss] = call(e, 'f32_bce_logits_fwd__ref', [out(1), inp(x), inp(t), n, 1]);
    expectClose(loss, [bceLogits(t)(Float64Array.from(x))], 1e-6, 0, 'wrong-and-confident terms');
    const [loss2] = call(e, 'f32_bce_logits_fwd__ref', [out(1), inp([20, -20, 25, -30]), inp([1, 0, 1, 0]), 4, 1]);
    expectClose(loss2, [bceLogits([1, 0, 1, 0])(Float64Array.from([20, -20, 25, -30]))], 1e-5, 0, 'right-and-confident terms (log1p)');
    const [dx] = call(e, 'f32_bce_logits_bwd__ref', [out(n), inp(x), inp(t), n, 1]);
    // sigmoid(20) - 1 = -2e-9 rounds to 0 in f32 (as in PyTorch): absolute tolerance
    expectClose(dx, x.map((v, i) => sigmoid(v) - t[i]), 1e-6, 1e-8, 'dx');
  });
});

describe('grad: the checker itself', () => {
  it('rejects a wrong backward (relu gradient passed for leaky)', () => {
    const n = 9, x = awayFromKink(n, 1), dy = randn(n, 2);
    const g = numGrad((v) => dot(dy, leaky(0.2)(v)), Float64Array.from(x));
    const [dx] = call(e, 'f32_leaky_relu_bwd__simd', [out(n), inp(dy), inp(x), n, 0] as Arg[]);
    expect(() => expectClose(dx, g, GRAD_TOL[0], GRAD_TOL[1])).toThrow();
  });
});

describe('grad: a conv\'s bias + leaky ReLU backward in one pass (mask from the output)', () => {
  // z = pre + b (broadcast over rows), y = leaky(z), loss = <dy, y>: dx = dz, db = column sums of dz
  it.each([[5, 8, 0], [3, 16, 0.2], [4, 6, 0.1]])('%s x %s, alpha %s', (M, N, alpha) => {
    const n = M * N, pre = awayFromKink(n, 21), b = randn(N, 22, 0.001), dy = randn(n, 23), dx0 = randn(n, 24), db0 = randn(N, 25);
    const z = (p: F64, bb: F64) => p.map((v, i) => v + bb[i % N]);
    const loss = (p: F64, bb: F64) => dot(dy, leaky(alpha)(z(p, bb)));
    const gx = numGrad((v) => loss(v, Float64Array.from(b)), Float64Array.from(pre)), gb = numGrad((v) => loss(Float64Array.from(pre), v), Float64Array.from(b));
    const y = f32(leaky(alpha)(z(Float64Array.from(pre), Float64Array.from(b))));
    for (const isa of ISAS) {
      const [dx, db] = call(e, `f32_leaky_relu_bwd_bias_grad__${isa}`, [out(dx0), out(db0), inp(dy), inp(y), M, N, alpha]);
      expectClose(dx, Float64Array.from(dx0, (v, i) => v + gx[i]), GRAD_TOL[0], GRAD_TOL[1], `dx__${isa}`);
      // db sums the UPDATED dx (dx0 included), as bias_grad after leaky_relu_bwd does
      const colsum = Float64Array.from(db0, (v, j) => { let s = v; for (let i = 0; i < M; i++) s += dx0[i * N + j]; return s + gb[j]; });
      expectClose(db, colsum, 1e-5, 1e-5, `db__${isa}`);
    }
  });
});
