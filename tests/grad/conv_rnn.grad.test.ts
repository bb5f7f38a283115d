// Gradient checks for the conv, pool, norm, mobile-activation and recurrent backward kernels: the
// wasm backward (__simd and __ref) against central differences of independent f64 forwards written
// here, weighted by a random upstream gradient (loss = <dy, f(x)>). Every backward starts from
// non-zero gradient buffers, so the checks also prove accumulation (+=). Each forward kernel is
// checked against the same f64 forward.
import { describe, it } from 'vitest';
import { engine, randn, numGrad, expectClose } from '../helpers.js';
import { run, out, inp, idx, Arg } from '../kernels/kit.js';

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
