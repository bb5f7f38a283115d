// int8 CNN kernels: conv2d (im2col + packed GEMM, SIMD128 and relaxed layouts), depthwise conv2d,
// max pooling, the f32-output GEMM and dynamic quantization, each against its __ref
// (dequantize -> f32 -> quantize) and an exact integer model, with sentinel guards around every
// output and scratch buffer. Runs on both builds (vitest projects).
import { describe, it, expect, beforeAll } from 'vitest';
import { engine, BUILD, expectClose } from '../helpers.js';
import { Engine } from '../../src/runtime/engine.js';
import { guards } from './guard.js';
import { Rng } from '../../src/runtime/rng.js';
import { convOut, q8ConvScratchBytes, q8F32ScratchBytes, Dims } from '../../src/ops.js';

let e: Engine;
let K8: Record<string, (...a: number[]) => number>;
const { guarded, expectGuards, put } = guards(() => e);
const i8 = (p: number, n: number) => new Int8Array(e.u8(p, n).slice().buffer);
function within1(x: Int8Array, y: Int8Array, what: string): void {
  expect(x.length, `${what} length`).toBe(y.length);
  let worst = 0, at = -1;
  for (let i = 0; i < x.length; i++) { const d = Math.abs(x[i] - y[i]); if (d > worst) { worst = d; at = i; } }
  if (worst > 1) expect.fail(`${what}: off by ${worst} LSB at ${at}: got ${x[at]}, want ${y[at]}`);
}
/** f64 requantization, round half to even, as the kernels' f32 nearest */
function requant(acc: number, mult: number, zc: number, qmin: number, qmax: number): number {
  const y = acc * mult;
  let q = Math.round(y);
  if (Math.abs(y % 1) === 0.5 && q % 2 !== 0) q -= 1;
  return Math.min(Math.max(q + zc, qmin), qmax);
}

interface Conv { d: Dims; x: Int8Array; w: Int8Array; bias: Int32Array; sw: Float32Array; za: number; sa: number; sc: number; zc: number; qmin: number; qmax: number }
const GEO = ['N', 'H', 'W', 'C', 'OC', 'KH', 'KW', 'strideH', 'strideW', 'padT', 'padL', 'padB', 'padR', 'dilH', 'dilW'];

/** A random case; depthwise: w (KH, KW, OC), else (OC, KH, KW, C). sc puts the largest |y| at ~150 LSB. */
function makeConv(g: Partial<Dims>, dw: boolean, seed: number, bits = 8, act: 'none' | 'relu' = 'none'): Conv {
  const d: Dims = { N: 2, H: 5, W: 6, C: 3, OC: 4, KH: 3, KW: 3, strideH: 1, strideW: 1, padT: 0, padL: 0, padB: 0, padR: 0, dilH: 1, dilW: 1, ...g };
  const r = new Rng(seed), half = 1 << (bits - 1);
  const x = Int8Array.from({ length: d.N * d.H * d.W * d.C }, () => r.int(256) - 128);
  const w = Int8Array.from({ length: d.KH * d.KW * d.OC * (dw ? 1 : d.C) }, () => r.int(2 * half - 1) - half + 1);
  const bias = Int32Array.from({ length: d.OC }, () => r.int(4001) - 2000);
  const sw = Float32Array.from({ length: d.OC }, () => Math.fround(0.002 + r.uniform() * 0.01));
  const c: Conv = { d, x, w, bias, sw, za: r.int(256) - 128, sa: Math.fround(0.02 + r.uniform() * 0.05), sc: 1, zc: r.int(41) - 20, qmin: -128, qmax: 127 };
  const acc = exactAcc(c, dw);
  let ymax = 1e-6;
  acc.forEach((v, k) => { ymax = Math.max(ymax, Math.abs(v * c.sa * c.sw[k % d.OC])); });
  c.sc = Math.fround(ymax / 150);
  if (act === 'relu') c.qmin = c.zc;
  return c;
}

/** Integer accumulators (N, OH, OW, OC): sum (x - za) w + bias; padded taps contribute nothing. */
function exactAcc(c: Conv, dw: boolean): Int32Array {
  const { d } = c, { OH, OW } = convOut(d), dm = d.OC / d.C;
  const out = new Int32Array(d.N * OH * OW * d.OC);
  for (let n = 0; n < d.N; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) for (let oc = 0; oc < d.OC; oc++) {
    let s = c.bias[oc];
    for (let kh = 0; kh < d.KH; kh++) for (let kw = 0; kw < d.KW; kw++) {
      const ih = oh * d.strideH - d.padT + kh * d.dilH, iw = ow * d.strideW - d.padL + kw * d.dilW;
      if (ih < 0 || ih >= d.H || iw < 0 || iw >= d.W) continue;
      const xp = ((n * d.H + ih) * d.W + iw) * d.C;
      if (dw) s += (c.x[xp + Math.floor(oc / dm)] - c.za) * c.w[(kh * d.KW + kw) * d.OC + oc];
      else for (let ci = 0; ci < d.C; ci++) s += (c.x[xp + ci] - c.za) * c.w[((oc * d.KH + kh) * d.KW + kw) * d.C + ci];
    }
    out[((n * OH + oh) * OW + ow) * d.OC + oc] = s;
  }
  return out;
}
function exactConv(c: Conv, dw: boolean): Int8Array {
  return Int8Array.from(exactAcc(c, dw), (v, k) => requant(v, (c.sa * c.sw[k % c.d.OC]) / c.sc, c.zc, c.qmin, c.qmax));
}
const ySize = (d: Dims) => { const { OH, OW } = convOut(d); return d.N * OH * OW * d.OC; };
const geo = (d: Dims) => GEO.map((k) => d[k]);
const qargs = (c: Conv) => [c.za, c.sa, c.sc, c.zc, c.qmin, c.qmax];

function runRef(c: Conv, dw: boolean): Int8Array {
  const mark = e.mark(), n = ySize(c.d), y = guarded(n);
  K8[dw ? 'qs8_dwconv2d_fwd__ref' : 'qs8_conv2d_fwd__ref'](y, put(c.x), put(c.w), put(c.bias), put(c.sw), ...geo(c.d), ...qargs(c));
  expectGuards(y, n, 'ref y');
  const out = i8(y, n);
  e.reset(mark);
  return out;
}
function runConv(c: Conv, isa: 'simd' | 'relaxed'): { out: Int8Array; relaxedLayout: boolean } {
  const mark = e.mark(), n = ySize(c.d), K = c.d.KH * c.d.KW * c.d.C;
  const wpBytes = K8.qs8_pack_w_bytes(c.d.OC, K), sBytes = K8.qs8_conv2d_scratch_bytes(...geo(c.d));
  const wp = guarded(wpBytes), scratch = guarded(sBytes), y = guarded(n);
  K8[`qs8_pack_w__${isa}`](wp, put(c.w), put(c.bias), put(c.sw), c.d.OC, K);
  K8[`qs8_conv2d_fwd__${isa}`](y, put(c.x), wp, scratch, ...geo(c.d), ...qargs(c));
  expectGuards(y, n, `${isa} y`);
  expectGuards(scratch, sBytes, `${isa} scratch`);
  const out = i8(y, n), relaxedLayout = K8.qs8_packed_is_relaxed(wp) === 1;
  e.reset(mark);
  return { out, relaxedLayout };
}
function runDw(c: Conv, kernel = 'qs8_dwconv2d_fwd__simd'): Int8Array {
  const mark = e.mark(), n = ySize(c.d), y = guarded(n);
  K8[kernel](y, put(c.x), put(c.w), put(c.bias), put(c.sw), ...geo(c.d), ...qargs(c));
  expectGuards(y, n, `${kernel} y`);
  const out = i8(y, n);
  e.reset(mark);
  return out;
}

// geometries: 3x3 valid, 'same' pads, stride 2, dilation, asymmetric pads, 1x1 pointwise (GEMM on x),
// 1x1 strided, ragged channels, more pixels than one im2col block (K large)
const CONVS: Partial<Dims>[] = [
  {}, { padT: 1, padL: 1, padB: 1, padR: 1, C: 8, OC: 16 }, { strideH: 2, strideW: 2, H: 9, W: 7, OC: 9 }, { dilH: 2, dilW: 2, H: 7, W: 8 },
  { padT: 0, padL: 1, padB: 2, padR: 0, KH: 2, KW: 3 }, { KH: 1, KW: 1, C: 17, OC: 5 }, { KH: 1, KW: 1, strideH: 2, strideW: 2, C: 4, OC: 8 },
  { C: 1, OC: 1, H: 4, W: 4 }, { N: 3, H: 12, W: 12, C: 32, OC: 24, KH: 5, KW: 5, padT: 2, padL: 2, padB: 2, padR: 2 },
];
// depthwise: the 3x3 fast path (stride 1 and 2, 'same' and TF-style asymmetric pads, no interior
// column, a window wholly in the padding, odd channel counts with a scalar tail, batch 2) and the
// general path (dilation, dm > 1, other kernel sizes)
const DWS: Partial<Dims>[] = [
  { C: 8, OC: 8, padT: 1, padL: 1, padB: 1, padR: 1 }, { C: 16, OC: 16, strideH: 2, strideW: 2, H: 9, W: 9 }, { C: 13, OC: 13 },
  { C: 3, OC: 6 }, { C: 24, OC: 24, dilH: 2, dilW: 2, H: 8, W: 8, padT: 2, padL: 2, padB: 2, padR: 2 }, { C: 1, OC: 1, KH: 1, KW: 1 },
  { C: 21, OC: 21, H: 7, W: 12, padT: 1, padL: 1, padB: 1, padR: 1 }, { C: 40, OC: 40, H: 10, W: 11, strideH: 2, strideW: 2, padT: 0, padL: 0, padB: 1, padR: 1 },
  { C: 16, OC: 16, H: 9, W: 8, strideH: 2, strideW: 2, padT: 1, padL: 1, padB: 1, padR: 1 }, { C: 8, OC: 8, H: 2, W: 2, padT: 1, padL: 1, padB: 1, padR: 1 },
  { C: 9, OC: 9, H: 4, W: 5, padT: 3, padL: 2, padB: 3, padR: 2 }, { C: 32, OC: 32, H: 6, W: 6, strideH: 1, strideW: 2, padT: 1, padL: 0, padB: 1, padR: 2 },
  { C: 16, OC: 16, KH: 5, KW: 5, H: 8, W: 8, padT: 2, padL: 2, padB: 2, padR: 2 },
];

describe(`int8 conv2d (${BUILD} build)`, () => {
  beforeAll(async () => { e = await engine(); K8 = e.kernels; });

  it('the reference is within 1 LSB of exact integer math', () => {
    CONVS.forEach((g, k) => { const c = makeConv(g, false, 10 + k); within1(runRef(c, false), exactConv(c, false), `ref conv ${k}`); });
  });
  for (const isa of ['simd', 'relaxed'] as const) {
    for (const bits of [8, 7]) {
      it(`${isa}, ${bits}-bit weights: every geometry within 1 LSB of the reference, nothing written outside y and scratch`, () => {
        CONVS.forEach((g, k) => {
          for (const act of ['none', 'relu'] as const) {
            const c = makeConv(g, false, 100 * bits + k, bits, act);
            const { out, relaxedLayout } = runConv(c, isa);
            within1(out, runRef(c, false), `${isa} conv ${k} ${act}`);
            within1(out, exactConv(c, false), `${isa} conv ${k} ${act} vs exact`);
            expect(relaxedLayout).toBe(isa === 'relaxed' && BUILD === 'relaxed' && bits === 7);
          }
        });
      });
    }
  }
  it('host scratch mirror matches the wasm one', () => {
    for (const g of [...CONVS, { N: 256, H: 28, W: 28, C: 1, OC: 32 }, { N: 64, H: 13, W: 13, C: 32, OC: 64 }]) {
      const d: Dims = { N: 2, H: 5, W: 6, C: 3, OC: 4, KH: 3, KW: 3, strideH: 1, strideW: 1, padT: 0, padL: 0, padB: 0, padR: 0, dilH: 1, dilW: 1, ...g };
      expect(q8ConvScratchBytes(d)).toBe(K8.qs8_conv2d_scratch_bytes(...geo(d)));
    }
    for (const [M, N, K] of [[1, 1, 1], [100, 10, 1600], [7, 9, 33]]) expect(q8F32ScratchBytes(M, N, K)).toBe(K8.qs8_gemm_f32_scratch_bytes(M, N, K));
  });
});

describe(`int8 depthwise conv2d (${BUILD} build)`, () => {
  beforeAll(async () => { e = await engine(); K8 = e.kernels; });
  it.each(DWS.map((g, k) => [k, g] as const))('geometry %i: SIMD == integer reference bit for bit, both within 1 LSB of the reference and exact math', (k, g) => {
    for (const act of ['none', 'relu'] as const) {
      const c = makeConv(g, true, 50 + k, 8, act);
      const want = runRef(c, true), exact = runDw(c, 'qs8_dwconv2d_fwd_i32__ref');
      within1(want, exactConv(c, true), `ref dw ${k}`);
      within1(exact, want, `i32 ref dw ${k} ${act}`);
      within1(exact, exactConv(c, true), `i32 ref dw ${k} ${act} vs exact`);
      expect(runDw(c), `simd dw ${k} ${act}`).toEqual(exact);
    }
  });
  it('saturates like the integer reference when the output scale is far too small or large', () => {
    for (const f of [1e-4, 1e-9, 1e4]) {
      const c = makeConv(DWS[7], true, 7, 8);
      c.sc = Math.fround(c.sc * f);
      const out = runDw(c);
      expect(out).toEqual(runDw(c, 'qs8_dwconv2d_fwd_i32__ref'));
      if (f < 1) expect(out.some((v) => v === -128) && out.some((v) => v === 127)).toBe(true);
    }
  });
  it('non-finite per-channel scales: NaN gives the zero point, infinity saturates, as the integer reference', () => {
    const c = makeConv(DWS[6], true, 8);
    c.sw[0] = NaN; c.sw[3] = Infinity; c.sw[8] = -Infinity; c.sw[20] = NaN;
    c.w.fill(0, 9 * c.d.OC - c.d.OC, 9 * c.d.OC); c.bias[3] = 0; c.bias[8] = 0; // zero sums (inf * 0) in some pixels
    const out = runDw(c), want = runDw(c, 'qs8_dwconv2d_fwd_i32__ref');
    expect(out).toEqual(want);
    expect(out.filter((_, k) => k % c.d.OC === 0).every((v) => v === c.zc)).toBe(true);
    const ch3 = out.filter((_, k) => k % c.d.OC === 3);
    expect(ch3.every((v) => v === -128 || v === 127 || v === c.zc) && ch3.some((v) => v !== c.zc)).toBe(true);
  });
});

describe(`int8 max pooling (${BUILD} build)`, () => {
  beforeAll(async () => { e = await engine(); K8 = e.kernels; });
  const POOLS = [[1, 4, 4, 1, 2, 2, 2, 2, 0, 0, 0, 0], [2, 6, 5, 7, 2, 2, 2, 2, 0, 0, 0, 0], [1, 5, 5, 16, 3, 3, 2, 2, 1, 1, 1, 1],
    [1, 7, 6, 24, 3, 2, 1, 2, 1, 0, 0, 1], [2, 4, 4, 33, 2, 2, 1, 1, 0, 0, 1, 1], [1, 9, 9, 8, 3, 3, 3, 3, 0, 0, 0, 0]];
  it.each(POOLS)('N=%i H=%i W=%i C=%i pool %ix%i stride %ix%i pads %i %i %i %i: SIMD == reference == max', (...g) => {
    const [N, H, W, C, KH, KW, sH, sW, pT, pL, pB, pR] = g;
    const d = { N, H, W, C, KH, KW, strideH: sH, strideW: sW, padT: pT, padL: pL, padB: pB, padR: pR, dilH: 1, dilW: 1 };
    const { OH, OW } = convOut(d), n = N * OH * OW * C, r = new Rng(C * 7 + H);
    const x = Int8Array.from({ length: N * H * W * C }, (_, i) => (i % 11 === 0 ? -128 : r.int(256) - 128));
    const mark = e.mark(), px = put(x), ys = guarded(n), yr = guarded(n);
    K8.qs8_maxpool2d_fwd__simd(ys, px, ...g);
    K8.qs8_maxpool2d_fwd__ref(yr, px, ...g);
    expectGuards(ys, n, 'pool y');
    const got = i8(ys, n);
    expect(got).toEqual(i8(yr, n));
    const want = new Int8Array(n);
    for (let b = 0; b < N; b++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) for (let c = 0; c < C; c++) {
      let m = -Infinity;
      for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
        const ih = oh * sH - pT + kh, iw = ow * sW - pL + kw;
        if (ih >= 0 && ih < H && iw >= 0 && iw < W) m = Math.max(m, x[((b * H + ih) * W + iw) * C + c]);
      }
      want[((b * OH + oh) * OW + ow) * C + c] = m;
    }
    expect(got).toEqual(want);
    e.reset(mark);
  });
});

describe(`int8 GEMM with f32 output, dynamic quantization (${BUILD} build)`, () => {
  beforeAll(async () => { e = await engine(); K8 = e.kernels; });

  for (const isa of ['simd', 'relaxed'] as const) {
    it.each([[4, 8, 16], [1, 1, 1], [3, 5, 7], [33, 17, 19], [70, 10, 257], [5, 9, 0]])(`${isa}: %i x %i x %i matches the reference (f32 rounding)`, (M, N, K) => {
      for (const bits of [8, 7]) {
        const r = new Rng(M * 31 + N + K), half = 1 << (bits - 1);
        const a = Int8Array.from({ length: M * K }, () => r.int(256) - 128), w = Int8Array.from({ length: N * K }, () => r.int(2 * half - 1) - half + 1);
        const bias = Int32Array.from({ length: N }, () => r.int(2001) - 1000), sw = Float32Array.from({ length: N }, () => Math.fround(0.001 + r.uniform() * 0.01));
        const za = r.int(256) - 128, sa = Math.fround(0.03);
        const mark = e.mark();
        const wp = guarded(K8.qs8_pack_w_bytes(N, K)), sb = q8F32ScratchBytes(M, N, K), scratch = guarded(sb), c = guarded(4 * M * N), cr = guarded(4 * M * N);
        const pa = put(a), pw = put(w), pb = put(bias), ps = put(sw);
        K8[`qs8_pack_w__${isa}`](wp, pw, pb, ps, N, K);
        K8[`qs8_gemm_f32_fwd__${isa}`](c, pa, wp, scratch, M, N, K, za, sa);
        K8.qs8_gemm_f32_fwd__ref(cr, pa, pw, pb, ps, M, N, K, za, sa);
        expectGuards(c, 4 * M * N, 'C'); expectGuards(scratch, sb, 'scratch');
        const exact = Float64Array.from({ length: M * N }, (_, k) => {
          const m = Math.floor(k / N), n = k % N;
          let s = bias[n];
          for (let j = 0; j < K; j++) s += (a[m * K + j] - za) * w[n * K + j];
          return s * sa * sw[n];
        });
        expectClose(e.f32(c, M * N).slice(), exact, 1e-6, 1e-6, `${isa} vs exact`);
        expectClose(e.f32(cr, M * N).slice(), exact, 1e-4, 1e-4 * Math.max(...exact.map(Math.abs)), 'ref vs exact');
        e.reset(mark);
      }
    });
  }

  it('dynamic quantization: SIMD == scalar, range [min, max] widened to 0, non-finite ranges give scale 1', () => {
    const cases: number[][] = [[0.5, -1, 2, 3.25, -0.75, 1, 2, 0.1, 7], [1, 2, 3, 4, 5], [-3, -2, -1], [0, 0, 0, 0, 0, 0], [NaN, 1, 2, 3, 4], [Infinity, 1], []];
    const r = new Rng(3);
    cases.push(Array.from({ length: 1001 }, () => r.normal() * 5));
    for (const v of cases) {
      const x = Float32Array.from(v), n = x.length, mark = e.mark();
      const px = put(x.length ? x : new Float32Array(1)), ys = guarded(n), yr = guarded(n), qs = guarded(8), qr = guarded(8);
      K8.qs8_quantize_dynamic__simd(ys, qs, px, n);
      K8.qs8_quantize_dynamic__ref(yr, qr, px, n);
      expectGuards(ys, n, 'y'); expectGuards(qs, 8, 'qp');
      expect(i8(ys, n)).toEqual(i8(yr, n));
      expect(e.u8(qs, 8).slice()).toEqual(e.u8(qr, 8).slice());
      const scale = e.f32(qs, 1)[0], zp = e.i32(qs + 4, 1)[0];
      const finite = v.every(Number.isFinite), lo = Math.min(0, ...v), hi = Math.max(0, ...v);
      if (!finite || hi === lo) expect([scale, zp]).toEqual([1, 0]);
      else {
        expect(scale).toBe(Math.fround(Math.fround(hi - lo) / 255));
        const y = i8(ys, n);
        v.forEach((xv, k) => expect(Math.abs((y[k] - zp) * scale - xv), `x=${xv}`).toBeLessThanOrEqual(scale * 1.0001));
      }
      e.reset(mark);
    }
  });
});
