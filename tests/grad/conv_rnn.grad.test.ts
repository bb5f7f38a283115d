// Gradient checks for the conv, pool, norm, mobile-activation and recurrent backward kernels: the
// wasm backward (__simd and __ref) against central differences of independent f64 forwards written
// here, weighted by a random upstream gradient (loss = <dy, f(x)>). Every backward starts from
// non-zero gradient buffers, so the checks also prove accumulation (+=). Each forward kernel is
// checked against the same f64 forward.
import { describe, it } from 'vitest';
import { engine, randn, numGrad, expectClose } from '../helpers.js';
import { run, out, inp, idx, Arg, Buf } from '../kernels/kit.js';

const e = await engine();
type F64 = Float64Array;
const ISAS = ['ref', 'simd'];
const f64 = (a: ArrayLike<number>) => Float64Array.from(a);
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; };
const plus = (a: ArrayLike<number>, b: ArrayLike<number>) => Float64Array.from(a, (v, i) => v + b[i]);
const GRAD = [1e-4, 1e-5] as const; // rtol, atol: f32 backward (sums of tens of products) vs f64 central difference
/** Runs a kernel and returns its f32 outputs in order. */
const k = (name: string, args: Arg[]) => run(e, name, args).outs as Float32Array[];
/** Scratch-sized out buffer (content irrelevant). */
const scr = (n: number) => out(Math.max(4, n));

// ---- Conv2D: NHWC x, HWIO w, explicit pads, stride, dilation, groups ----

interface Geo { N: number; H: number; W: number; C: number; OC: number; KH: number; KW: number; sh: number; sw: number; pt: number; pl: number; pb: number; pr: number; dh: number; dw: number; g: number }
const geo = (o: Partial<Geo> & Pick<Geo, 'N' | 'H' | 'W' | 'C' | 'OC' | 'KH' | 'KW'>): Geo =>
  ({ sh: 1, sw: 1, pt: 0, pl: 0, pb: 0, pr: 0, dh: 1, dw: 1, g: 1, ...o });
const outHW = (q: Geo) => [Math.floor((q.H + q.pt + q.pb - q.dh * (q.KH - 1) - 1) / q.sh) + 1, Math.floor((q.W + q.pl + q.pr - q.dw * (q.KW - 1) - 1) / q.sw) + 1];
const convDims = (q: Geo) => [q.N, q.H, q.W, q.C, q.OC, q.KH, q.KW, q.sh, q.sw, q.pt, q.pl, q.pb, q.pr, q.dh, q.dw, q.g];

function conv64(q: Geo, x: F64, w: F64): F64 {
  const [OH, OW] = outHW(q), Cg = q.C / q.g, OCg = q.OC / q.g;
  const y = new Float64Array(q.N * OH * OW * q.OC);
  for (let n = 0; n < q.N; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) for (let oc = 0; oc < q.OC; oc++) {
    const g = Math.floor(oc / OCg);
    let s = 0;
    for (let kh = 0; kh < q.KH; kh++) for (let kw = 0; kw < q.KW; kw++) {
      const ih = oh * q.sh - q.pt + kh * q.dh, iw = ow * q.sw - q.pl + kw * q.dw;
      if (ih < 0 || ih >= q.H || iw < 0 || iw >= q.W) continue;
      for (let ci = 0; ci < Cg; ci++) s += x[((n * q.H + ih) * q.W + iw) * q.C + g * Cg + ci] * w[((kh * q.KW + kw) * Cg + ci) * q.OC + oc];
    }
    y[((n * OH + oh) * OW + ow) * q.OC + oc] = s;
  }
  return y;
}

const CONV: [string, Geo][] = [
  ['3x3 C3→4 same', geo({ N: 2, H: 5, W: 4, C: 3, OC: 4, KH: 3, KW: 3, pt: 1, pl: 1, pb: 1, pr: 1 })],
  ['3x2 C5→3 stride 2 asym pads', geo({ N: 1, H: 7, W: 6, C: 5, OC: 3, KH: 3, KW: 2, sh: 2, sw: 2, pt: 1, pl: 0, pb: 2, pr: 1 })],
  ['3x3 C2→3 dilation 2', geo({ N: 1, H: 7, W: 6, C: 2, OC: 3, KH: 3, KW: 3, dh: 2, dw: 2, pt: 1, pl: 2, pb: 1, pr: 0 })],
  ['1x1 pointwise C5→4', geo({ N: 2, H: 3, W: 3, C: 5, OC: 4, KH: 1, KW: 1 })],
  ['groups 2 C4→6 stride (1,2)', geo({ N: 1, H: 5, W: 6, C: 4, OC: 6, KH: 3, KW: 3, g: 2, sw: 2, pt: 1, pl: 1, pb: 1, pr: 1 })],
  ['depthwise 3x3 C5 same', geo({ N: 1, H: 5, W: 6, C: 5, OC: 5, KH: 3, KW: 3, g: 5, pt: 1, pl: 1, pb: 1, pr: 1 })],
  ['depthwise 3x3 C4 stride 2 dilation 2', geo({ N: 2, H: 7, W: 7, C: 4, OC: 4, KH: 3, KW: 3, g: 4, sh: 2, sw: 2, dh: 2, dw: 2, pt: 2, pl: 2, pb: 1, pr: 1 })],
  ['depthwise ×2 multiplier C3→6', geo({ N: 1, H: 4, W: 5, C: 3, OC: 6, KH: 2, KW: 3, g: 3, pt: 0, pl: 1, pb: 1, pr: 1 })],
  ['conv1d k3 dilation 2 C3→2 (H=1)', geo({ N: 2, H: 1, W: 9, C: 3, OC: 2, KH: 1, KW: 3, dw: 2, pl: 2, pr: 2 })],
  // the implicit backward paths (assembly/kernels/conv_grad.ts)
  ['3x3 C8→5 same: transposed input grad, implicit weight grad (padded copy)', geo({ N: 2, H: 5, W: 6, C: 8, OC: 5, KH: 3, KW: 3, pt: 1, pl: 1, pb: 1, pr: 1 })],
  ['3x2 C16→9 dilation (2,1) asym pads: transposed input grad with dilation', geo({ N: 1, H: 6, W: 5, C: 16, OC: 9, KH: 3, KW: 2, dh: 2, pt: 2, pl: 1, pb: 1, pr: 0 })],
  ['5x5 C1→6 same (LeNet conv1): implicit weight grad, K tail', geo({ N: 2, H: 7, W: 6, C: 1, OC: 6, KH: 5, KW: 5, pt: 2, pl: 2, pb: 2, pr: 2 })],
  ['3x3 C8→12 valid: implicit weight grad from the input itself', geo({ N: 2, H: 6, W: 7, C: 8, OC: 12, KH: 3, KW: 3 })],
];

describe('grad: conv2d dx and dw (central difference of an f64 conv)', () => {
  it.each(CONV)('%s', (_, q) => {
    const [OH, OW] = outHW(q), nx = q.N * q.H * q.W * q.C, ny = q.N * OH * OW * q.OC, nw = q.KH * q.KW * (q.C / q.g) * q.OC;
    const x = randn(nx, 1), w = randn(nw, 2, 0.5), dy = randn(ny, 3), dx0 = randn(nx, 4), dw0 = randn(nw, 5);
    const sc = (e.kernels.conv2d_scratch_floats as (...a: number[]) => number)(...convDims(q));
    const gx = numGrad((v) => dot(dy, conv64(q, v, f64(w))), f64(x));
    const gw = numGrad((v) => dot(dy, conv64(q, f64(x), v)), f64(w));
    for (const isa of ISAS) {
      const [y] = k(`f32_conv2d_fwd__${isa}`, [out(ny), inp(x), inp(w), scr(sc), ...convDims(q)]);
      expectClose(y, conv64(q, f64(x), f64(w)), 1e-5, 1e-5, `fwd__${isa}`);
      const [dx] = k(`f32_conv2d_bwd_x__${isa}`, [out(dx0), inp(dy), inp(w), scr(sc), ...convDims(q)]);
      expectClose(dx, plus(dx0, gx), GRAD[0], GRAD[1], `bwd_x__${isa}`);
      const [dw] = k(`f32_conv2d_bwd_w__${isa}`, [out(dw0), inp(dy), inp(x), scr(sc), ...convDims(q)]);
      expectClose(dw, plus(dw0, gw), GRAD[0], GRAD[1], `bwd_w__${isa}`);
    }
  });
});

// ---- pooling and zero padding (NHWC) ----

interface PoolGeo { N: number; H: number; W: number; C: number; KH: number; KW: number; sh: number; sw: number; pt: number; pl: number; pb: number; pr: number; dh: number; dw: number }
const pgeo = (o: Partial<PoolGeo> & Pick<PoolGeo, 'N' | 'H' | 'W' | 'C' | 'KH' | 'KW'>): PoolGeo => ({ sh: 1, sw: 1, pt: 0, pl: 0, pb: 0, pr: 0, dh: 1, dw: 1, ...o });
const pout = (q: PoolGeo) => outHW({ ...q, OC: q.C, g: 1 });
const pdims = (q: PoolGeo) => [q.N, q.H, q.W, q.C, q.KH, q.KW, q.sh, q.sw, q.pt, q.pl, q.pb, q.pr];

/** f64 pooling: reduce over the window elements inside the input (max or mean with the given divisor rule). */
function pool64(q: PoolGeo, x: F64, kind: 'max' | 'avg', countIncludePad = 0): F64 {
  const [OH, OW] = pout(q), y = new Float64Array(q.N * OH * OW * q.C);
  for (let n = 0; n < q.N; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) for (let c = 0; c < q.C; c++) {
    let m = -Infinity, s = 0, cnt = 0;
    for (let kh = 0; kh < q.KH; kh++) for (let kw = 0; kw < q.KW; kw++) {
      const ih = oh * q.sh - q.pt + kh * q.dh, iw = ow * q.sw - q.pl + kw * q.dw;
      if (ih < 0 || ih >= q.H || iw < 0 || iw >= q.W) continue;
      const v = x[((n * q.H + ih) * q.W + iw) * q.C + c];
      m = Math.max(m, v); s += v; cnt++;
    }
    y[((n * OH + oh) * OW + ow) * q.C + c] = kind === 'max' ? m : s / (countIncludePad ? q.KH * q.KW : cnt);
  }
  return y;
}

const POOLS: [string, PoolGeo][] = [
  ['2x2 s2 C3 odd input', pgeo({ N: 2, H: 5, W: 5, C: 3, KH: 2, KW: 2, sh: 2, sw: 2 })],
  ['2x2 s2 C6 odd input (SIMD backward, scalar channel tail)', pgeo({ N: 2, H: 5, W: 7, C: 6, KH: 2, KW: 2, sh: 2, sw: 2 })],
  ['2x2 s2 C8 (SIMD backward)', pgeo({ N: 1, H: 4, W: 6, C: 8, KH: 2, KW: 2, sh: 2, sw: 2 })],
  ['3x3 s2 C5 asym pads', pgeo({ N: 1, H: 7, W: 6, C: 5, KH: 3, KW: 3, sh: 2, sw: 2, pt: 1, pl: 0, pb: 1, pr: 1 })],
  ['3x2 s1 C4 pads', pgeo({ N: 1, H: 4, W: 5, C: 4, KH: 3, KW: 2, pt: 1, pl: 1, pb: 1, pr: 0 })],
  ['1D k3 s2 C2 (H=1)', pgeo({ N: 2, H: 1, W: 9, C: 2, KH: 1, KW: 3, sw: 2, pl: 1, pr: 1 })],
];

describe('grad: pooling and zero padding', () => {
  it.each(POOLS)('maxpool2d %s', (_, q) => {
    const [OH, OW] = pout(q), nx = q.N * q.H * q.W * q.C, ny = q.N * OH * OW * q.C;
    const x = randn(nx, 11), dy = randn(ny, 12), dx0 = randn(nx, 13);
    const g = numGrad((v) => dot(dy, pool64(q, v, 'max')), f64(x));
    for (const isa of ISAS) {
      const r = run(e, `f32_maxpool2d_fwd__${isa}`, [out(ny), new Buf('i32', new Int32Array(ny), true), inp(x), ...pdims(q), q.dh, q.dw]).outs;
      expectClose(r[0], pool64(q, f64(x), 'max'), 0, 1e-30, `fwd__${isa}`);
      const [dx] = k(`f32_maxpool2d_bwd__${isa}`, [out(dx0), inp(dy), idx(r[1]), ...pdims(q), q.dh, q.dw]);
      expectClose(dx, plus(dx0, g), GRAD[0], GRAD[1], `bwd__${isa}`);
    }
  });
  it('maxpool2d dilation 2', () => {
    const q = pgeo({ N: 1, H: 7, W: 7, C: 3, KH: 3, KW: 2, dh: 2, dw: 2, sh: 2, pt: 2, pl: 1, pb: 1, pr: 1 });
    const [OH, OW] = pout(q), nx = q.N * q.H * q.W * q.C, ny = q.N * OH * OW * q.C, x = randn(nx, 14), dy = randn(ny, 15);
    const g = numGrad((v) => dot(dy, pool64(q, v, 'max')), f64(x));
    const r = run(e, 'f32_maxpool2d_fwd__simd', [out(ny), new Buf('i32', new Int32Array(ny), true), inp(x), ...pdims(q), q.dh, q.dw]).outs;
    expectClose(r[0], pool64(q, f64(x), 'max'), 0, 1e-30, 'fwd');
    expectClose(k('f32_maxpool2d_bwd__simd', [out(nx), inp(dy), idx(r[1]), ...pdims(q), q.dh, q.dw])[0], g, GRAD[0], GRAD[1], 'bwd');
  });
  it.each(POOLS)('avgpool2d %s (count_include_pad 0 and 1)', (_, q) => {
    const [OH, OW] = pout(q), nx = q.N * q.H * q.W * q.C, ny = q.N * OH * OW * q.C;
    const x = randn(nx, 16), dy = randn(ny, 17), dx0 = randn(nx, 18);
    for (const inc of [0, 1]) {
      const g = numGrad((v) => dot(dy, pool64(q, v, 'avg', inc)), f64(x));
      for (const isa of ISAS) {
        expectClose(k(`f32_avgpool2d_fwd__${isa}`, [out(ny), inp(x), ...pdims(q), inc])[0], pool64(q, f64(x), 'avg', inc), 1e-6, 1e-7, `fwd__${isa} inc=${inc}`);
        expectClose(k(`f32_avgpool2d_bwd__${isa}`, [out(dx0), inp(dy), ...pdims(q), inc])[0], plus(dx0, g), GRAD[0], GRAD[1], `bwd__${isa} inc=${inc}`);
      }
    }
  });
  it('global average pooling', () => {
    const [N, HW, C] = [2, 7, 5], x = randn(N * HW * C, 19), dy = randn(N * C, 20), dx0 = randn(N * HW * C, 21);
    const gap = (v: F64) => Float64Array.from({ length: N * C }, (_, o) => { let s = 0; for (let p = 0; p < HW; p++) s += v[(Math.floor(o / C) * HW + p) * C + (o % C)]; return s / HW; });
    const g = numGrad((v) => dot(dy, gap(v)), f64(x));
    for (const isa of ISAS) {
      expectClose(k(`f32_global_avgpool_fwd__${isa}`, [out(N * C), inp(x), N, HW, C])[0], gap(f64(x)), 1e-6, 1e-7, `fwd__${isa}`);
      expectClose(k(`f32_global_avgpool_bwd__${isa}`, [out(dx0), inp(dy), N, HW, C])[0], plus(dx0, g), GRAD[0], GRAD[1], `bwd__${isa}`);
    }
  });
  it('zero padding', () => {
    const [N, H, W, C, pt, pl, pb, pr] = [2, 3, 4, 3, 1, 0, 2, 1], PH = H + pt + pb, PW = W + pl + pr;
    const x = randn(N * H * W * C, 22), dy = randn(N * PH * PW * C, 23), dx0 = randn(N * H * W * C, 24);
    const pad = (v: F64) => {
      const y = new Float64Array(N * PH * PW * C);
      for (let n = 0; n < N; n++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) for (let c = 0; c < C; c++) y[((n * PH + h + pt) * PW + w + pl) * C + c] = v[((n * H + h) * W + w) * C + c];
      return y;
    };
    const g = numGrad((v) => dot(dy, pad(v)), f64(x));
    for (const isa of ISAS) {
      expectClose(k(`f32_zeropad2d_fwd__${isa}`, [out(N * PH * PW * C), inp(x), N, H, W, C, pt, pl, pb, pr])[0], pad(f64(x)), 0, 1e-30, `fwd__${isa}`);
      expectClose(k(`f32_zeropad2d_bwd__${isa}`, [out(dx0), inp(dy), N, H, W, C, pt, pl, pb, pr])[0], plus(dx0, g), GRAD[0], GRAD[1], `bwd__${isa}`);
    }
  });
});

// ---- batch norm (per channel over the rows of (M, C)) ----

function bn64(x: F64, gamma: F64, beta: F64, M: number, C: number, eps: number, stats?: [F64, F64]): F64 {
  const y = new Float64Array(M * C);
  for (let c = 0; c < C; c++) {
    let mean = 0, v = 0;
    if (stats) { mean = stats[0][c]; v = stats[1][c]; } else {
      for (let r = 0; r < M; r++) mean += x[r * C + c];
      mean /= M;
      for (let r = 0; r < M; r++) v += (x[r * C + c] - mean) ** 2;
      v /= M;
    }
    for (let r = 0; r < M; r++) y[r * C + c] = ((x[r * C + c] - mean) / Math.sqrt(v + eps)) * gamma[c] + beta[c];
  }
  return y;
}

describe('grad: batch norm dx, dgamma, dbeta', () => {
  const SHAPES: [number, number][] = [[2, 1], [4, 3], [6, 5], [9, 8], [5, 17]];
  it.each(SHAPES)('training statistics, M=%i C=%i', (M, C) => {
    const x = randn(M * C, M * C, 2), gamma = randn(C, 2), beta = randn(C, 3), dy = randn(M * C, 4);
    const dx0 = randn(M * C, 5), dg0 = randn(C, 6), db0 = randn(C, 7), eps = 1e-3;
    const gx = numGrad((v) => dot(dy, bn64(v, f64(gamma), f64(beta), M, C, eps)), f64(x));
    const gg = numGrad((v) => dot(dy, bn64(f64(x), v, f64(beta), M, C, eps)), f64(gamma));
    const gb = numGrad((v) => dot(dy, bn64(f64(x), f64(gamma), v, M, C, eps)), f64(beta));
    for (const isa of ISAS) {
      const [y, mean, inv] = k(`f32_batchnorm_fwd_train__${isa}`, [out(M * C), out(C), out(C), out(C), out(C), inp(x), inp(gamma), inp(beta), M, C, eps, 0.1]);
      expectClose(y, bn64(f64(x), f64(gamma), f64(beta), M, C, eps), 1e-5, 1e-5, `fwd__${isa}`);
      const [dx, dg, db] = k(`f32_batchnorm_bwd__${isa}`, [out(dx0), out(dg0), out(db0), inp(dy), inp(x), inp(mean), inp(inv), inp(gamma), scr(2 * C), M, C]);
      expectClose(dx, plus(dx0, gx), 2e-4, 2e-5, `dx__${isa}`);
      expectClose(dg, plus(dg0, gg), GRAD[0], GRAD[1], `dgamma__${isa}`);
      expectClose(db, plus(db0, gb), GRAD[0], GRAD[1], `dbeta__${isa}`);
    }
  });
  it.each(SHAPES)('frozen (eval) statistics, M=%i C=%i', (M, C) => {
    const x = randn(M * C, M * C, 2), gamma = randn(C, 2), beta = randn(C, 3), dy = randn(M * C, 4), eps = 1e-3;
    const rm = randn(C, 8), rv = randn(C, 9).map((v) => Math.abs(v) + 0.1), st: [F64, F64] = [f64(rm), f64(rv)];
    const dx0 = randn(M * C, 5), dg0 = randn(C, 6), db0 = randn(C, 7);
    const gx = numGrad((v) => dot(dy, bn64(v, f64(gamma), f64(beta), M, C, eps, st)), f64(x));
    const gg = numGrad((v) => dot(dy, bn64(f64(x), v, f64(beta), M, C, eps, st)), f64(gamma));
    const gb = numGrad((v) => dot(dy, bn64(f64(x), f64(gamma), v, M, C, eps, st)), f64(beta));
    for (const isa of ISAS) {
      expectClose(k(`f32_batchnorm_fwd_eval__${isa}`, [out(M * C), inp(x), inp(gamma), inp(beta), inp(rm), inp(rv), M, C, eps])[0], bn64(f64(x), f64(gamma), f64(beta), M, C, eps, st), 1e-5, 1e-5, `fwd__${isa}`);
      const [dx, dg, db] = k(`f32_batchnorm_bwd_eval__${isa}`, [out(dx0), out(dg0), out(db0), inp(dy), inp(x), inp(gamma), inp(rm), inp(rv), M, C, eps]);
      expectClose(dx, plus(dx0, gx), GRAD[0], GRAD[1], `dx__${isa}`);
      expectClose(dg, plus(dg0, gg), GRAD[0], GRAD[1], `dgamma__${isa}`);
      expectClose(db, plus(db0, gb), GRAD[0], GRAD[1], `dbeta__${isa}`);
    }
  });
});

// ---- mobile activations, away from the kinks at -3, 0, 3, 6 ----

const relu6 = (v: number) => Math.min(Math.max(v, 0), 6);
const MOBILE: [string, (v: number) => number][] = [
  ['f32_relu6', relu6], ['f32_hardsigmoid', (v) => relu6(v + 3) / 6], ['f32_hardswish', (v) => (v * relu6(v + 3)) / 6],
];
describe('grad: ReLU6, hard-sigmoid, hard-swish', () => {
  it.each(MOBILE)('%s', (name, fn) => {
    for (const n of [1, 4, 7, 33, 100]) {
      const x = randn(n, n, 4).map((v) => ([-3, 0, 3, 6].some((kk) => Math.abs(v - kk) < 0.01) ? v + 0.05 : v));
      const dy = randn(n, 2), dx0 = randn(n, 3);
      const g = numGrad((v) => dot(dy, v.map(fn)), f64(x));
      for (const isa of ISAS) {
        expectClose(k(`${name}_fwd__${isa}`, [out(n), inp(x), n])[0], f64(x).map(fn), 1e-6, 1e-7, `fwd__${isa}`);
        expectClose(k(`${name}_bwd__${isa}`, [out(dx0), inp(dy), inp(x), n])[0], plus(dx0, g), 1e-5, 2e-6, `bwd__${isa} n=${n}`);
      }
    }
  });
});

// ---- recurrent layers: BPTT against central differences of f64 PyTorch-formula cells ----

interface RnnP { x: F64; h0: F64; c0: F64; wih: F64; whh: F64; bih: F64; bhh: F64 }
const sig = (v: number) => 1 / (1 + Math.exp(-v));
/** a (rows, K) . w^T with w (out, K), plus b: PyTorch's linear. */
function linear(a: F64, ao: number, rows: number, K: number, w: F64, b: F64, outN: number): F64 {
  const y = new Float64Array(rows * outN);
  for (let r = 0; r < rows; r++) for (let o = 0; o < outN; o++) {
    let s = b[o];
    for (let k2 = 0; k2 < K; k2++) s += a[ao + r * K + k2] * w[o * K + k2];
    y[r * outN + o] = s;
  }
  return y;
}
/** f64 forward over T steps: returns every h_t (T, N, H) and the last cell state (LSTM). */
function rnn64(cell: number, T: number, N: number, I: number, H: number, p: RnnP): { hs: F64; cT: F64 } {
  const hs = new Float64Array(T * N * H), GH = [1, 4, 3][cell] * H;
  let h = p.h0, c = p.c0;
  for (let t = 0; t < T; t++) {
    const gi = linear(p.x, t * N * I, N, I, p.wih, p.bih, GH), gh = linear(h, 0, N, H, p.whh, p.bhh, GH);
    const hn = new Float64Array(N * H), cn = new Float64Array(N * H);
    for (let n = 0; n < N; n++) for (let j = 0; j < H; j++) {
      const a = (q: number) => gi[n * GH + q * H + j], b = (q: number) => gh[n * GH + q * H + j], o = n * H + j;
      if (cell === 0) hn[o] = Math.tanh(a(0) + b(0));
      else if (cell === 1) {
        const ig = sig(a(0) + b(0)), fg = sig(a(1) + b(1)), gg = Math.tanh(a(2) + b(2)), og = sig(a(3) + b(3));
        cn[o] = fg * c[o] + ig * gg; hn[o] = og * Math.tanh(cn[o]);
      } else {
        const r = sig(a(0) + b(0)), z = sig(a(1) + b(1)), nn = Math.tanh(a(2) + r * b(2));
        hn[o] = (1 - z) * nn + z * h[o];
      }
    }
    hs.set(hn, t * N * H); h = hn; c = cn;
  }
  return { hs, cT: c };
}

const CELLS: [string, number, string][] = [['SimpleRNN', 0, 'rnn'], ['LSTM', 1, 'lstm'], ['GRU', 2, 'gru']];
const RSHAPES: [number, number, number, number][] = [[3, 2, 3, 4], [4, 1, 2, 5]];

describe('grad: RNN / LSTM / GRU backpropagation through time (dx, dW_ih, dW_hh, db_ih, db_hh, dh0, dc0)', () => {
  for (const [T, N, I, H] of RSHAPES) {
    it.each(CELLS)(`%s T=${T} N=${N} I=${I} H=${H}`, (_, cell, stem) => {
      const GH = [1, 4, 3][cell] * H, sc = 0.6;
      const P: RnnP = { x: f64(randn(T * N * I, 1)), h0: f64(randn(N * H, 2, 0.5)), c0: f64(randn(N * H, 3, 0.5)),
        wih: f64(randn(GH * I, 4, sc)), whh: f64(randn(GH * H, 5, sc)), bih: f64(randn(GH, 6, sc)), bhh: f64(randn(GH, 7, sc)) };
      const f32s = (a: F64) => Float32Array.from(a);
      for (const key of Object.keys(P) as (keyof RnnP)[]) P[key] = f64(f32s(P[key])); // the f32 values the kernels see
      const dhs = randn(T * N * H, 8), dcT = randn(N * H, 9);
      const loss = (q: RnnP) => { const r = rnn64(cell, T, N, I, H, q); return dot(dhs, r.hs) + (cell === 1 ? dot(dcT, r.cT) : 0); };
      const num = (key: keyof RnnP) => numGrad((v) => loss({ ...P, [key]: v }), f64(P[key]));
      const want = { x: num('x'), wih: num('wih'), whh: num('whh'), bih: num('bih'), bhh: num('bhh'), h0: num('h0'), c0: num('c0') };
      const init = { x: randn(T * N * I, 11), wih: randn(GH * I, 12), whh: randn(GH * H, 13), bih: randn(GH, 14), bhh: randn(GH, 15), h0: randn(N * H, 16), c0: randn(N * H, 17) };
      const sc2 = scr((e.kernels.rnn_scratch_floats as (...a: number[]) => number)(cell, T, N, I, H));
      const dims = [T, N, I, H], w = [inp(f32s(P.wih)), inp(f32s(P.whh))], b = [inp(f32s(P.bih)), inp(f32s(P.bhh))];
      const x = inp(f32s(P.x)), h0 = inp(f32s(P.h0)), c0 = inp(f32s(P.c0));
      const gOut = () => [out(init.x), out(init.wih), out(init.whh), out(init.bih), out(init.bhh), out(init.h0)];
      const names = ['dx', 'dW_ih', 'dW_hh', 'db_ih', 'db_hh', 'dh0', 'dc0'] as const;
      const wantList = [want.x, want.wih, want.whh, want.bih, want.bhh, want.h0, want.c0];
      const initList = [init.x, init.wih, init.whh, init.bih, init.bhh, init.h0, init.c0];
      for (const isa of ISAS) {
        let got: Float32Array[];
        if (cell === 0) {
          const [hs] = k(`f32_rnn_fwd__${isa}`, [out(T * N * H), x, h0, ...w, ...b, sc2, ...dims]);
          expectClose(hs, rnn64(cell, T, N, I, H, P).hs, 1e-5, 1e-6, `${stem} fwd__${isa}`);
          got = k(`f32_rnn_bwd__${isa}`, [...gOut(), inp(dhs), x, h0, inp(hs), ...w, sc2, ...dims]);
        } else if (cell === 1) {
          const [hs, cs, gates] = k(`f32_lstm_fwd__${isa}`, [out(T * N * H), out(T * N * H), out(T * N * GH), x, h0, c0, ...w, ...b, sc2, ...dims]);
          expectClose(hs, rnn64(cell, T, N, I, H, P).hs, 1e-5, 1e-6, `${stem} fwd__${isa}`);
          expectClose(cs.subarray((T - 1) * N * H), rnn64(cell, T, N, I, H, P).cT, 1e-5, 1e-6, `${stem} fwd cT__${isa}`);
          got = k(`f32_lstm_bwd__${isa}`, [...gOut(), out(init.c0), inp(dhs), inp(dcT), x, h0, c0, inp(hs), inp(cs), inp(gates), ...w, sc2, ...dims]);
        } else {
          const [hs, gates, hn] = k(`f32_gru_fwd__${isa}`, [out(T * N * H), out(T * N * GH), out(T * N * H), x, h0, ...w, ...b, sc2, ...dims]);
          expectClose(hs, rnn64(cell, T, N, I, H, P).hs, 1e-5, 1e-6, `${stem} fwd__${isa}`);
          got = k(`f32_gru_bwd__${isa}`, [...gOut(), inp(dhs), x, h0, inp(hs), inp(gates), inp(hn), ...w, sc2, ...dims]);
        }
        const nOut = cell === 1 ? 7 : 6;
        for (let q = 0; q < nOut; q++) expectClose(got[q], plus(initList[q], wantList[q]), GRAD[0], GRAD[1], `${stem}_bwd__${isa} ${names[q]}`);
      }
    });
  }
});
