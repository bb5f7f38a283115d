// int8 add (assembly/kernels/q8_add.ts): __simd against __ref (dequantize → f32 add → quantize)
// and both against the definition in f64 with round half to even, within 1 LSB; ragged sizes,
// equal and different scales, zero points at the ends of the range, saturation both ways, the
// fused ReLU / ReLU6 clamp; the plan entry point with its qp block (q8AddParams).
import { describe, it, expect, beforeAll } from 'vitest';
import { engine, BUILD } from '../helpers.js';
import { Engine } from '../../src/runtime/engine.js';
import { Rng } from '../../src/runtime/rng.js';
import { q8AddParams } from '../../src/ops.js';
import { AxonError } from '../../src/errors.js';
import { Buf, run, bytes } from './kit.js';

let e: Engine;
interface Case { a: Int8Array; b: Int8Array; za: number; sa: number; zb: number; sb: number; sy: number; zy: number; qmin: number; qmax: number }

const u8 = (x: Int8Array) => new Uint8Array(x.buffer, x.byteOffset, x.length);
const i8 = (x: ArrayLike<number>) => new Int8Array(Uint8Array.from(x).buffer);
const scalars = (c: Case) => [c.za, c.sa, c.zb, c.sb, c.sy, c.zy, c.qmin, c.qmax];

function kernel(name: string, c: Case): Int8Array {
  const n = c.a.length;
  return i8(run(e, name, [new Buf('u8', new Uint8Array(n), true), bytes(u8(c.a)), bytes(u8(c.b)), n, ...scalars(c)]).outs[0]);
}

/** The definition: exact integer differences, f64 scales, round half to even, clamp. */
function definition(c: Case): Int8Array {
  return Int8Array.from(c.a, (a, i) => {
    const v = (c.sa * (a - c.za) + c.sb * (c.b[i] - c.zb)) / c.sy;
    const q = Math.abs(v % 1) === 0.5 ? 2 * Math.round(v / 2) : Math.round(v);
    return Math.min(c.qmax, Math.max(c.qmin, q + c.zy));
  });
}

function makeCase(n: number, seed: number, o: { equal?: boolean; ratio?: number; act?: 'relu' | 'relu6'; extremeZp?: boolean } = {}): Case {
  const r = new Rng(seed), q = () => r.int(256) - 128;
  const a = Int8Array.from({ length: n }, q), b = Int8Array.from({ length: n }, q);
  const sa = Math.fround(0.01 + r.uniform() * 0.05), sb = o.equal ? sa : Math.fround(sa * (o.ratio ?? 0.3 + r.uniform() * 3));
  const za = o.extremeZp ? -128 : o.equal ? 5 : r.int(200) - 100, zb = o.extremeZp ? 127 : o.equal ? za : r.int(200) - 100;
  // output range ~ the sum's range, so few outputs clamp (saturation is tested separately)
  const sy = o.equal ? sa : Math.fround((sa + sb) * (0.7 + r.uniform() * 0.6)), zy = o.equal ? za : r.int(41) - 20;
  const [qmin, qmax] = o.act === 'relu' ? [zy, 127] : o.act === 'relu6' ? [zy, Math.min(127, zy + Math.round(6 / sy))] : [-128, 127];
  return { a, b, za, sa, zb, sb, sy, zy, qmin, qmax };
}

function within1(x: Int8Array, y: Int8Array, what: string): void {
  let worst = 0, at = -1;
  for (let i = 0; i < x.length; i++) { const d = Math.abs(x[i] - y[i]); if (d > worst) { worst = d; at = i; } }
  if (worst > 1) expect.fail(`${what}: off by ${worst} LSB at ${at}: got ${x[at]}, want ${y[at]}`);
}
/** within 1 LSB and mostly exact (a kernel off by one everywhere would pass within1 alone) */
function matches(x: Int8Array, y: Int8Array, what: string): void {
  within1(x, y, what);
  const same = x.filter((v, i) => v === y[i]).length;
  expect(same, `${what}: ${x.length - same} of ${x.length} differ`).toBeGreaterThanOrEqual(Math.floor(0.99 * x.length));
}

const SIZES = [0, 1, 3, 15, 16, 17, 31, 32, 33, 100, 255, 1031];

describe(`int8 add (${BUILD} build)`, () => {
  beforeAll(async () => { e = await engine(); });

  it.each(SIZES)('n=%i, different scales and zero points: simd and ref within 1 LSB of each other and of the definition', (n) => {
    for (let s = 0; s < 4; s++) {
      const c = makeCase(n, 100 * n + s);
      const simd = kernel('qs8_add__simd', c), ref = kernel('qs8_add__ref', c), def = definition(c);
      matches(ref, def, `ref vs definition, n=${n}`);
      matches(simd, ref, `simd vs ref, n=${n}`);
      matches(simd, def, `simd vs definition, n=${n}`);
    }
  });

  it('equal scales and zero points: y = a + b - z exactly (integer sums, no rounding), saturating', () => {
    const c = makeCase(517, 9, { equal: true });
    const want = Int8Array.from(c.a, (a, i) => Math.min(127, Math.max(-128, a + c.b[i] - c.za)));
    expect(kernel('qs8_add__simd', c)).toEqual(want);
    expect(kernel('qs8_add__ref', c)).toEqual(want);
    expect(want.some((v) => v === 127) && want.some((v) => v === -128)).toBe(true);
  });

  it('saturation: a narrow output range clamps both ways, identically in simd and ref', () => {
    for (const ratio of [0.01, 1, 100]) {
      const c = { ...makeCase(300, 7 + ratio, { ratio }), za: 0, zb: 0, zy: 0 };
      c.sy = Math.fround((c.sa + c.sb) / 8);   // sums up to ~±255 * 8 LSB: most outputs clamp
      const simd = kernel('qs8_add__simd', c), def = definition(c);
      matches(simd, kernel('qs8_add__ref', c), `ratio ${ratio}`);
      within1(simd, def, `ratio ${ratio} vs definition`);
      expect(simd.filter((v) => v === 127).length, 'clamped high').toBeGreaterThan(30);
      expect(simd.filter((v) => v === -128).length, 'clamped low').toBeGreaterThan(30);
    }
  });

  it('zero points at the ends of the range (-128, 127) and very different scales', () => {
    for (const ratio of [0.001, 0.2, 5, 1000]) {
      const c = makeCase(97, 3 + ratio, { extremeZp: true, ratio });
      c.sy = Math.fround(Math.max(c.sa, c.sb) * 2.1);
      matches(kernel('qs8_add__simd', c), kernel('qs8_add__ref', c), `ratio ${ratio}`);
      within1(kernel('qs8_add__simd', c), definition(c), `ratio ${ratio} vs definition`);
    }
  });

  it('simd equals its f32 model bit for bit (nearest((a - za)*fround(sa/sy) + (b - zb)*fround(sb/sy))) in the body, the tail, and the path for huge sa/sy', () => {
    const model = (c: Case) => {
      const fa = Math.fround(c.sa / c.sy), fb = Math.fround(c.sb / c.sy);
      return Int8Array.from(c.a, (a, i) => {
        const v = Math.fround(Math.fround((a - c.za) * fa) + Math.fround((c.b[i] - c.zb) * fb));
        const q = Math.abs(v % 1) === 0.5 ? 2 * Math.round(v / 2) : Math.round(v);
        return Math.min(c.qmax, Math.max(c.qmin, q + c.zy));
      });
    };
    // sy = 2 * sa = 2 * sb: x = (da + db) / 2, half of them ties; an odd output zero point must not move them
    const ties = { ...makeCase(301, 45), sa: Math.fround(0.02), sb: Math.fround(0.02), sy: Math.fround(0.04), zy: 7 };
    for (const [k, c] of [makeCase(1031, 41), makeCase(77, 42, { act: 'relu' }), makeCase(35, 43, { equal: true }), ties].entries())
      expect(kernel('qs8_add__simd', c), `case ${k}`).toEqual(model(c));
    expect(ties.a.filter((a, i) => (a - ties.za + ties.b[i] - ties.zb) % 2 !== 0).length).toBeGreaterThan(100);
    // sa / sy = 5e4: |x| can reach 2^22, where the fast rounding is not exact; everything saturates but small sums
    const big = { ...makeCase(200, 44), sa: Math.fround(0.05), sb: Math.fround(0.04), sy: Math.fround(1e-6) };
    const got = kernel('qs8_add__simd', big);
    expect(got).toEqual(model(big));
    within1(got, definition(big), 'huge sa/sy vs definition');
  });

  it.each(['relu', 'relu6'] as const)('fused %s clamps to [qmin, qmax]', (act) => {
    const c = makeCase(203, 11, { act });
    const simd = kernel('qs8_add__simd', c);
    matches(simd, kernel('qs8_add__ref', c), act);
    within1(simd, definition(c), `${act} vs definition`);
    expect(simd.every((v) => v >= c.qmin && v <= c.qmax)).toBe(true);
    expect(simd.filter((v) => v === c.qmin).length, 'negative sums clamp to the zero point').toBeGreaterThan(20);
  });

  it('the plan entry point reads its qp block (q8AddParams) and equals qs8_add__simd bit for bit', () => {
    const c = makeCase(77, 21, { act: 'relu6' }), n = c.a.length;
    const qp = new Uint8Array(q8AddParams({ za: c.za, sa: c.sa, zb: c.zb, sb: c.sb, sy: c.sy, zy: c.zy, qmin: c.qmin, qmax: c.qmax }));
    const got = i8(run(e, 'qs8_add_qp__simd', [new Buf('u8', new Uint8Array(n), true), bytes(u8(c.a)), bytes(u8(c.b)), bytes(qp), n]).outs[0]);
    expect(got).toEqual(kernel('qs8_add__simd', c));
  });

  it('q8AddParams refuses parameters a kernel would misread', () => {
    const ok = { za: 0, sa: 0.1, zb: 0, sb: 0.1, sy: 0.2, zy: 0 };
    for (const bad of [{ za: -129 }, { zb: 1.5 }, { sa: 0 }, { sb: NaN }, { sy: Infinity }, { zy: 128 }, { qmin: 10, qmax: 5 }])
      expect(() => q8AddParams({ ...ok, ...bad }), JSON.stringify(bad)).toThrow(AxonError);
    expect(() => q8AddParams(ok)).not.toThrow();
  });
});
