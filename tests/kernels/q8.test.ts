// int8 kernels: the packed SIMD128 and relaxed-SIMD GEMMs against the dequantize -> f32 GEMM ->
// quantize reference (within 1 LSB) and an exact integer/f64 model, at one tile, several tiles,
// smaller than a tile, ragged shapes, K not a multiple of 16 and extreme values; sentinel guards
// around every output and the scratch; quantize/dequantize SIMD == scalar bit for bit.
// Runs on both builds (vitest projects); in the SIMD build the __relaxed kernels are the SIMD ones.
import { describe, it, expect, beforeAll } from 'vitest';
import { engine, BUILD, SIZES } from '../helpers.js';
import { Engine } from '../../src/runtime/engine.js';
import { Rng } from '../../src/runtime/rng.js';
import { Layout, Plan } from '../../src/compile/plan.js';
import { BoundLayout } from '../../src/runtime/bound.js';
import { q8PackedBytes, q8ScratchBytes, q8GemmParams, q8QuantParams } from '../../src/ops.js';
import { AxonError } from '../../src/errors.js';

type Isa = 'simd' | 'relaxed';
interface Case {
  M: number; N: number; K: number;
  a: Int8Array; w: Int8Array; bias: Int32Array; sw: Float32Array;
  za: number; sa: number; sc: number; zc: number; qmin: number; qmax: number;
}
type Values = 'random' | 'w7' | 'extreme' | 'extreme-neg';

const GUARD = 32, SENTINEL = 0x5a;
let e: Engine;
let K8: Record<string, (...a: number[]) => number>;

/** Arena block with GUARD sentinel bytes on both sides. */
function guarded(bytes: number): number {
  const p = e.alloc(bytes + 2 * GUARD + 16);
  e.u8(p, bytes + 2 * GUARD).fill(SENTINEL);
  return p + GUARD;
}
function expectGuards(p: number, bytes: number, what: string): void {
  const before = e.u8(p - GUARD, GUARD), after = e.u8(p + bytes, GUARD);
  expect(before.every((b) => b === SENTINEL) && after.every((b) => b === SENTINEL), `${what}: wrote outside its buffer`).toBe(true);
}
const put = (data: Int8Array | Int32Array | Float32Array) => { const p = guarded(data.byteLength); e.write(p, data); return p; };

function makeCase(M: number, N: number, K: number, values: Values, seed: number, act: 'none' | 'relu' | 'relu6' = 'none'): Case {
  const r = new Rng(seed);
  const i8 = (n: number, lo: number, hi: number) => Int8Array.from({ length: n }, () => lo + r.int(hi - lo + 1));
  const a = values === 'extreme' ? new Int8Array(M * K).fill(-128) : values === 'extreme-neg' ? new Int8Array(M * K).fill(127) : i8(M * K, -128, 127);
  const w = values === 'extreme' ? new Int8Array(N * K).fill(127) : values === 'extreme-neg' ? new Int8Array(N * K).fill(-128)
    : values === 'w7' ? i8(N * K, -64, 63) : i8(N * K, -127, 127);
  const bias = Int32Array.from({ length: N }, () => r.int(20001) - 10000);
  const sw = Float32Array.from({ length: N }, () => 0.001 + r.uniform() * 0.01);
  const za = values.startsWith('extreme') ? (values === 'extreme' ? 127 : -128) : r.int(256) - 128;
  const sa = 0.02 + r.uniform() * 0.05;
  // output scale: the largest |y| maps to ~150 LSB, so most outputs are in range and some clamp
  let ymax = 1e-6;
  for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) ymax = Math.max(ymax, Math.abs(sa * sw[n] * accOf({ M, N, K, a, w, bias, za } as Case, m, n)));
  const sc = Math.fround(ymax / 150), zc = r.int(41) - 20;
  const [qmin, qmax] = act === 'relu' ? [zc, 127] : act === 'relu6' ? [zc, Math.min(127, zc + 60)] : [-128, 127];
  return { M, N, K, a, w, bias, sw, za, sa: Math.fround(sa), sc, zc, qmin, qmax };
}

function accOf(c: Case, m: number, n: number): number {
  let s = c.bias[n];
  for (let k = 0; k < c.K; k++) s += (c.a[m * c.K + k] - c.za) * c.w[n * c.K + k];
  return s;
}

/** Exact integer accumulation, f64 requantization, round half to even. */
function exact(c: Case): Int8Array {
  const out = new Int8Array(c.M * c.N);
  for (let m = 0; m < c.M; m++) for (let n = 0; n < c.N; n++) {
    const y = (accOf(c, m, n) * c.sa * c.sw[n]) / c.sc;
    let q = Math.round(y);
    if (Math.abs(y % 1) === 0.5 && q % 2 !== 0) q -= 1;
    out[m * c.N + n] = Math.min(Math.max(q + c.zc, c.qmin), c.qmax);
  }
  return out;
}

function runRef(c: Case): Int8Array {
  const mark = e.mark();
  const out = guarded(c.M * c.N);
  K8.qs8_gemm_fwd__ref(out, put(c.a), put(c.w), put(c.bias), put(c.sw), c.M, c.N, c.K, c.za, c.sa, c.sc, c.zc, c.qmin, c.qmax);
  expectGuards(out, c.M * c.N, 'ref C');
  const r = e.u8(out, c.M * c.N).slice();
  e.reset(mark);
  return new Int8Array(r.buffer);
}

function runPacked(c: Case, isa: Isa): { out: Int8Array; relaxedLayout: boolean } {
  const mark = e.mark();
  const wpBytes = K8.qs8_pack_w_bytes(c.N, c.K), scBytes = K8.qs8_gemm_scratch_bytes(c.M, c.N, c.K);
  const wp = guarded(wpBytes), scratch = guarded(scBytes), out = guarded(c.M * c.N);
  K8[`qs8_pack_w__${isa}`](wp, put(c.w), put(c.bias), put(c.sw), c.N, c.K);
  expectGuards(wp, wpBytes, 'packed W');
  K8[`qs8_gemm_fwd__${isa}`](out, put(c.a), wp, scratch, c.M, c.N, c.K, c.za, c.sa, c.sc, c.zc, c.qmin, c.qmax);
  expectGuards(out, c.M * c.N, `${isa} C`);
  expectGuards(scratch, scBytes, `${isa} scratch`);
  const relaxedLayout = K8.qs8_packed_is_relaxed(wp) === 1;
  const r = e.u8(out, c.M * c.N).slice();
  e.reset(mark);
  return { out: new Int8Array(r.buffer), relaxedLayout };
}

/** max |x - y| <= 1 LSB, with the worst element named. */
function within1(x: Int8Array, y: Int8Array, what: string): void {
  let worst = 0, at = -1;
  for (let i = 0; i < x.length; i++) { const d = Math.abs(x[i] - y[i]); if (d > worst) { worst = d; at = i; } }
  if (worst > 1) expect.fail(`${what}: off by ${worst} LSB at ${at}: got ${x[at]}, want ${y[at]}`);
}

// [M, N, K]: one tile (4x8), several tiles, smaller than a tile, ragged, K not a multiple of 16,
// more rows than one MC=64 block, K = 0 (bias only)
const SHAPES: [number, number, number][] = [
  [4, 8, 16], [8, 16, 32], [12, 24, 64], [1, 1, 1], [3, 5, 7], [2, 7, 3], [1, 8, 9], [4, 3, 17],
  [33, 17, 19], [65, 9, 100], [70, 41, 257], [5, 13, 31], [7, 8, 15], [129, 16, 33], [3, 4, 0],
];

describe(`int8 GEMM (${BUILD} build)`, () => {
  beforeAll(async () => { e = await engine(); K8 = e.kernels; });

  it('the reference is within 1 LSB of exact integer math', () => {
    for (const [M, N, K] of SHAPES) { const c = makeCase(M, N, K, 'random', M * 1000 + N * 10 + K); within1(runRef(c), exact(c), `ref ${M}x${N}x${K}`); }
  });

  for (const isa of ['simd', 'relaxed'] as const) {
    for (const values of ['random', 'w7'] as const) {
      it.each(SHAPES)(`${isa}, ${values} weights: %i x %i x %i matches the reference within 1 LSB`, (M, N, K) => {
        const c = makeCase(M, N, K, values, 7 * M + 31 * N + K);
        const { out, relaxedLayout } = runPacked(c, isa);
        within1(out, runRef(c), `${isa} vs ref`);
        within1(out, exact(c), `${isa} vs exact`);
        // the relaxed layout needs 7-bit weights and the relaxed build
        expect(relaxedLayout).toBe(isa === 'relaxed' && BUILD === 'relaxed' && (values === 'w7' || K === 0));
      });
    }
    it(`${isa}: extreme values (-128, 127) and zero points, fused ReLU / ReLU6`, () => {
      for (const values of ['extreme', 'extreme-neg', 'random'] as const) {
        for (const act of ['none', 'relu', 'relu6'] as const) {
          for (const [M, N, K] of [[4, 8, 16], [5, 9, 33], [9, 17, 257]] as const) {
            const c = makeCase(M, N, K, values, M + N + K, act);
            const { out } = runPacked(c, isa);
            within1(out, runRef(c), `${isa} ${values} ${act} ${M}x${N}x${K}`);
            expect(out.every((v) => v >= c.qmin && v <= c.qmax), 'clamped to [qmin, qmax]').toBe(true);
          }
        }
      }
    });
  }

  it('both packed layouts give identical bytes (the integer accumulation is exact in both)', () => {
    for (const values of ['random', 'w7', 'extreme'] as const) {
      const c = makeCase(37, 29, 45, values, 99);
      expect(runPacked(c, 'relaxed').out, values).toEqual(runPacked(c, 'simd').out);
    }
  });
});

describe(`int8 quantize / dequantize (${BUILD} build)`, () => {
  beforeAll(async () => { e = await engine(); K8 = e.kernels; });
  const special = [NaN, Infinity, -Infinity, 0, -0, 1e30, -1e30, 0.5, 1.5, 2.5, -0.5, -1.5, 127.5, -128.5, 126.5];

  // around the rounding trick's limits (|x/scale| = 2^22, 2^23, 1.5*2^23, where x/scale + 1.5*2^23 turns negative) and huge values
  const edges = [2 ** 22 - 0.5, 2 ** 22, -(2 ** 22) + 0.5, -(2 ** 22), -(2 ** 22) - 1, 2 ** 23, -(2 ** 23), -1.5 * 2 ** 23, -1.5 * 2 ** 23 - 2, -3e38, 3e38, 1e-40, -1e-40, -127.5, -128.5 - 127, 255.5];
  it.each(SIZES)('quantize n=%i: SIMD == scalar bit for bit, round half to even, clamp, NaN (either sign) -> zero point', (n) => {
    for (const zp of [-7, -128, 0, 127]) {
      const r = new Rng(n);
      const scale = Math.fround(0.05), all = [...special, ...edges];
      const x = Float32Array.from({ length: n }, (_, i) => (i < all.length ? all[i] * scale : (r.normal() * 4)));
      if (n > all.length) new Uint32Array(x.buffer)[all.length] = 0xffc00000;   // negative NaN (x86's default NaN)
      const mark = e.mark();
      const px = put(x), ys = guarded(n), yr = guarded(n);
      K8.qs8_quantize__simd(ys, px, n, scale, zp);
      K8.qs8_quantize__ref(yr, px, n, scale, zp);
      expectGuards(ys, n, 'quantize y');
      const got = new Int8Array(e.u8(ys, n).slice().buffer), want = new Int8Array(e.u8(yr, n).slice().buffer);
      expect(got, `zp ${zp}`).toEqual(want);
      for (let i = 0; i < n; i++) {
        const v = Math.fround(x[i] / scale);
        const q = Number.isNaN(v) ? zp : Math.min(127, Math.max(-128, zp + (Math.abs(v % 1) === 0.5 ? 2 * Math.round(v / 2) : Math.round(v))));
        expect(got[i], `x=${x[i]} zp ${zp}`).toBe(q);
      }
      e.reset(mark);
    }
  });

  it.each(SIZES)('dequantize n=%i: SIMD == scalar == (x - zp) * scale', (n) => {
    const r = new Rng(n + 100);
    const x = Int8Array.from({ length: n }, (_, i) => (i === 0 ? -128 : i === 1 ? 127 : r.int(256) - 128));
    const mark = e.mark();
    const px = put(x), ys = guarded(4 * n), yr = guarded(4 * n);
    K8.qs8_dequantize__simd(ys, px, n, 0.037, 3);
    K8.qs8_dequantize__ref(yr, px, n, 0.037, 3);
    expectGuards(ys, 4 * n, 'dequantize y');
    expect(e.f32(ys, n).slice()).toEqual(e.f32(yr, n).slice());
    expect(Array.from(e.f32(ys, n))).toEqual(Array.from(x, (v) => Math.fround((v - 3) * Math.fround(0.037))));
    e.reset(mark);
  });
});

describe(`int8 plan ops (${BUILD} build)`, () => {
  beforeAll(async () => { e = await engine(); K8 = e.kernels; });

  it('host size mirrors match the wasm ones', () => {
    for (const [M, N, K] of [...SHAPES, [1000, 1000, 1000], [64, 3, 2]] as const) {
      expect(q8PackedBytes(N, K), `packed ${N}x${K}`).toBe(K8.qs8_pack_w_bytes(N, K));
      expect(q8ScratchBytes(M, N, K), `scratch ${M}x${N}x${K}`).toBe(K8.qs8_gemm_scratch_bytes(M, N, K));
    }
  });

  it('pack, GEMM (fused ReLU), dequantize and quantize as one plan equal the kernels called directly', () => {
    const c = makeCase(37, 20, 45, 'w7', 5, 'relu');
    const { M, N, K } = c;
    const L = new Layout();
    const id = {
      c: L.add('c', 'i8', M * N), a: L.add('a', 'i8', M * K), w: L.add('w', 'i8', N * K), bias: L.add('bias', 'i32', N), sw: L.add('sw', 'f32', N),
      wp: L.add('wp', 'u8', q8PackedBytes(N, K)), scratch: L.add('scratch', 'u8', q8ScratchBytes(M, N, K)), qp: L.add('qp', 'i32', 6),
      y: L.add('y', 'f32', M * N), q: L.add('q', 'i8', M * N), qq: L.add('qq', 'i32', 2),
    };
    const P = new Plan(L)
      .emit('qs8_pack_w', { wp: id.wp, w: id.w, bias: id.bias, sw: id.sw, N, K })
      .emit('qs8_gemm', { c: id.c, a: id.a, wp: id.wp, scratch: id.scratch, qp: id.qp, M, N, K }, 'dense1')
      .emit('qs8_dequantize', { y: id.y, x: id.c, qp: id.qq, n: M * N })
      .emit('qs8_quantize', { y: id.q, x: id.y, qp: id.qq, n: M * N });
    const bl = new BoundLayout(e, L);
    const i8 = (b: number) => new Int8Array(bl.u8(b).buffer, bl.u8(b).byteOffset, bl.u8(b).length);
    i8(id.a).set(c.a); i8(id.w).set(c.w); bl.i32(id.bias).set(c.bias); bl.f32(id.sw).set(c.sw);
    bl.u8(id.qp).set(new Uint8Array(q8GemmParams(c)));
    bl.u8(id.qq).set(new Uint8Array(q8QuantParams(c.sa, c.zc)));
    bl.run(bl.load(P));
    const direct = runPacked(c, 'relaxed').out;
    expect(i8(id.c)).toEqual(direct);
    expect(Array.from(bl.f32(id.y))).toEqual(Array.from(direct, (v) => Math.fround((v - c.zc) * Math.fround(c.sa))));
    expect(i8(id.q)).toEqual(direct);
  });

  it('parameter blocks reject what the kernels cannot represent', () => {
    const ok = { za: -3, sa: 0.1, sc: 0.2, zc: 5 };
    expect(new Int32Array(q8GemmParams(ok))[4]).toBe(-128);
    expect(() => q8GemmParams({ ...ok, za: 128 })).toThrowError(/input zero point za=128 is invalid/);
    expect(() => q8GemmParams({ ...ok, sc: 0 })).toThrowError(/output scale sc=0/);
    expect(() => q8GemmParams({ ...ok, sa: 1e-50 })).toThrowError(/input scale/);
    expect(() => q8GemmParams({ ...ok, qmin: 10, qmax: 9 })).toThrowError(/clamp range \[10, 9\]/);
    expect(() => q8QuantParams(NaN, 0)).toThrow(AxonError);
  });
});
