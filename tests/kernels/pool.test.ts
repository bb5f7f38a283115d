// pool kernels (NHWC): MaxPool2D (argmax indices, first max wins), AvgPool2D (count_include_pad
// on/off), global average pooling, ZeroPadding2D (f32, and int8 padded with the zero point); __simd against __ref inside guarded buffers at
// ragged shapes, exact index semantics, and the op registry's extents and validation.
import { describe, it, expect } from 'vitest';
import { engine, randn } from '../helpers.js';
import { twins, run, out, inp, close, EXACT, Buf, expectMatch } from './kit.js';
import { opByName, Dims } from '../../src/ops.js';

const e = await engine();
const outI32 = (n: number) => new Buf('i32', new Int32Array(n).fill(-7), true);
const MEAN = close(1e-6, 1e-6);

interface P { N: number; H: number; W: number; C: number; KH: number; KW: number; s?: [number, number]; p?: [number, number, number, number]; d?: [number, number] }
const od = (q: P) => {
  const [sh, sw] = q.s ?? [1, 1], [pt, pl, pb, pr] = q.p ?? [0, 0, 0, 0], [dh, dw] = q.d ?? [1, 1];
  return [Math.floor((q.H + pt + pb - dh * (q.KH - 1) - 1) / sh) + 1, Math.floor((q.W + pl + pr - dw * (q.KW - 1) - 1) / sw) + 1];
};
const base = (q: P) => [q.N, q.H, q.W, q.C, q.KH, q.KW, ...(q.s ?? [1, 1]), ...(q.p ?? [0, 0, 0, 0])];
const maxDims = (q: P) => [...base(q), ...(q.d ?? [1, 1])];

// channels 1, 3, 4, 5, 8, 17; odd sizes; stride 2; dilation 2; asymmetric padding; 1D
const CASES: [string, P][] = [
  ['2x2 s2 C1', { N: 1, H: 6, W: 6, C: 1, KH: 2, KW: 2, s: [2, 2] }],
  ['2x2 s2 C3 odd input', { N: 2, H: 7, W: 5, C: 3, KH: 2, KW: 2, s: [2, 2] }],
  ['2x2 s2 C4 (fast path)', { N: 2, H: 6, W: 8, C: 4, KH: 2, KW: 2, s: [2, 2] }],
  ['2x2 s2 C6 odd input (fast path, overlapping last vector)', { N: 2, H: 7, W: 9, C: 6, KH: 2, KW: 2, s: [2, 2] }],
  ['2x2 s2 C17 (fast path)', { N: 1, H: 8, W: 6, C: 17, KH: 2, KW: 2, s: [2, 2] }],
  ['3x3 s2 C4 pads 1', { N: 2, H: 9, W: 7, C: 4, KH: 3, KW: 3, s: [2, 2], p: [1, 1, 1, 1] }],
  ['3x3 s1 C5 same', { N: 1, H: 5, W: 6, C: 5, KH: 3, KW: 3, p: [1, 1, 1, 1] }],
  ['2x3 s(1,2) C8 asym pads (0,1,1,0)', { N: 1, H: 6, W: 9, C: 8, KH: 2, KW: 3, s: [1, 2], p: [0, 1, 1, 0] }],
  ['3x3 s2 C17 keras same (0,0,1,1)', { N: 2, H: 8, W: 8, C: 17, KH: 3, KW: 3, s: [2, 2], p: [0, 0, 1, 1] }],
  ['1D k3 s2 C5 (H=1)', { N: 2, H: 1, W: 11, C: 5, KH: 1, KW: 3, s: [1, 2], p: [0, 1, 0, 1] }],
];
const DILATED: [string, P][] = [
  ['3x3 dilation 2 C4', { N: 1, H: 9, W: 8, C: 4, KH: 3, KW: 3, d: [2, 2], p: [2, 1, 2, 1] }],
  ['2x2 dilation (1,3) s2 C17', { N: 1, H: 7, W: 11, C: 17, KH: 2, KW: 2, s: [2, 2], d: [1, 3], p: [0, 1, 1, 1] }],
];

describe('maxpool2d: __simd matches __ref (values and argmax indices)', () => {
  it.each([...CASES, ...DILATED])('%s', (_, q) => {
    const [OH, OW] = od(q), nx = q.N * q.H * q.W * q.C, ny = q.N * OH * OW * q.C;
    // integers in [-3, 3] make many ties: both must pick the first maximum
    for (const x of [randn(nx, 1), randn(nx, 2, 1.5).map(Math.round)]) {
      twins(e, 'f32_maxpool2d_fwd', [out(ny), outI32(ny), inp(x), ...maxDims(q)], EXACT, 'fwd');
      const id = run(e, 'f32_maxpool2d_fwd__ref', [out(ny), outI32(ny), inp(x), ...maxDims(q)]).outs[1];
      twins(e, 'f32_maxpool2d_bwd', [out(randn(nx, 3)), inp(randn(ny, 4)), new Buf('i32', id, false), ...maxDims(q)], EXACT, 'bwd');
    }
  });

  it('index = ih*W + iw of the FIRST maximal element; the gradient goes only there', () => {
    // 1 image, 3x4, 1 channel; window 2x2 stride 2: ties inside each window
    const x = [5, 5, 1, 2,
      5, 0, 2, 2,
      -1, -1, 9, 9];
    const q = [1, 3, 4, 1, 2, 2, 2, 2, 0, 0, 1, 0, 1, 1];
    for (const isa of ['ref', 'simd']) {
      const [y, id] = run(e, `f32_maxpool2d_fwd__${isa}`, [out(4), outI32(4), inp(x), ...q]).outs;
      expect(Array.from(y), isa).toEqual([5, 2, -1, 9]);
      expect(Array.from(id), isa).toEqual([0, 3, 8, 10]); // row 2 pads below: (-1,-1) tie → first
      const [dx] = run(e, `f32_maxpool2d_bwd__${isa}`, [out(12), inp([1, 2, 3, 4]), new Buf('i32', id, false), ...q]).outs;
      expect(Array.from(dx), isa).toEqual([1, 0, 0, 2, 0, 0, 0, 0, 3, 0, 4, 0]);
    }
  });

  it('padding never wins, even over -inf inputs; an empty (dilated) window gives 0 and index -1', () => {
    for (const isa of ['ref', 'simd']) {
      const [y, id] = run(e, `f32_maxpool2d_fwd__${isa}`, [out(4), outI32(4), inp([-Infinity, -3, -Infinity, -Infinity]), 1, 1, 4, 1, 1, 3, 1, 1, 0, 1, 0, 1, 1, 1]).outs;
      expect(Array.from(y), isa).toEqual([-3, -3, -3, -Infinity]);
      expect(Array.from(id), isa).toEqual([1, 1, 1, 2]);
      // H = 1, KH = 2 with dilation 3 and padT = 2: taps at ih = -2 and 1, both outside
      const [y2, id2] = run(e, `f32_maxpool2d_fwd__${isa}`, [out(1), outI32(1), inp([7]), 1, 1, 1, 1, 2, 1, 1, 1, 2, 0, 1, 0, 3, 1]).outs;
      expect([y2[0], id2[0]], isa).toEqual([0, -1]);
      const [dx] = run(e, `f32_maxpool2d_bwd__${isa}`, [out([0.5]), inp([1]), new Buf('i32', id2, false), 1, 1, 1, 1, 2, 1, 1, 1, 2, 0, 1, 0, 3, 1]).outs;
      expect(dx[0], isa).toBe(0.5);
    }
  });
});

describe('avgpool2d: __simd matches __ref, count_include_pad on and off', () => {
  it.each(CASES)('%s', (_, q) => {
    const [OH, OW] = od(q), nx = q.N * q.H * q.W * q.C, ny = q.N * OH * OW * q.C, x = randn(nx, 5);
    for (const inc of [0, 1]) {
      twins(e, 'f32_avgpool2d_fwd', [out(ny), inp(x), ...base(q), inc], MEAN, `fwd inc=${inc}`);
      twins(e, 'f32_avgpool2d_bwd', [out(randn(nx, 6)), inp(randn(ny, 7)), ...base(q), inc], MEAN, `bwd inc=${inc}`);
    }
  });
  it('divides by KH*KW with count_include_pad, by the elements inside without', () => {
    const x = [1, 2, 3, 4]; // 2x2, 1 channel, window 2x2, pads 1 all round, stride 2 → 2x2 out of corner windows
    const q = [1, 2, 2, 1, 2, 2, 2, 2, 1, 1, 1, 1];
    for (const isa of ['ref', 'simd']) {
      expect(Array.from(run(e, `f32_avgpool2d_fwd__${isa}`, [out(4), inp(x), ...q, 1]).outs[0])).toEqual([0.25, 0.5, 0.75, 1]);
      expect(Array.from(run(e, `f32_avgpool2d_fwd__${isa}`, [out(4), inp(x), ...q, 0]).outs[0])).toEqual([1, 2, 3, 4]);
    }
  });
});

describe('global average pooling and zero padding: __simd matches __ref', () => {
  const GAP: [number, number, number][] = [[1, 1, 1], [2, 9, 3], [1, 5, 4], [3, 7, 5], [2, 49, 8], [2, 6, 17]];
  it.each(GAP)('gap N=%i HW=%i C=%i', (N, HW, C) => {
    twins(e, 'f32_global_avgpool_fwd', [out(N * C), inp(randn(N * HW * C, 1)), N, HW, C], MEAN, 'fwd');
    twins(e, 'f32_global_avgpool_bwd', [out(randn(N * HW * C, 2)), inp(randn(N * C, 3)), N, HW, C], EXACT, 'bwd');
  });
  const PADS: [number, number, number, number, number[]][] = [[1, 3, 3, 1, [1, 1, 1, 1]], [2, 5, 4, 3, [0, 2, 1, 0]], [1, 4, 7, 17, [2, 0, 0, 3]], [2, 1, 9, 5, [0, 1, 0, 2]]];
  it.each(PADS)('zeropad N=%i H=%i W=%i C=%i pads %j', (N, H, W, C, pads) => {
    const [pt, pl, pb, pr] = pads, ny = N * (H + pt + pb) * (W + pl + pr) * C;
    twins(e, 'f32_zeropad2d_fwd', [out(new Float32Array(ny).fill(9)), inp(randn(N * H * W * C, 1)), N, H, W, C, ...pads], EXACT, 'fwd');
    twins(e, 'f32_zeropad2d_bwd', [out(randn(N * H * W * C, 2)), inp(randn(ny, 3)), N, H, W, C, ...pads], EXACT, 'bwd');
  });
  it.each(PADS)('int8 zeropad N=%i H=%i W=%i C=%i pads %j: __simd == __ref, bytes of x inside the zero point', (N, H, W, C, pads) => {
    const [pt, pl, pb, pr] = pads, PH = H + pt + pb, PW = W + pl + pr, ny = N * PH * PW * C;
    const x = Int8Array.from(randn(N * H * W * C, 4), (v) => Math.max(-128, Math.min(127, Math.round(v * 60))));
    for (const zp of [-128, -3, 0, 41, 127]) {
      const fill = zp & 255, args = [new Buf('u8', new Uint8Array(ny).fill(0x77), true), new Buf('u8', new Uint8Array(x.buffer), false), N, H, W, C, ...pads, fill];
      twins(e, 'qs8_zeropad2d_fwd', args, EXACT, `zp ${zp}`);
      const y = new Int8Array((run(e, 'qs8_zeropad2d_fwd__simd', args).outs[0] as Uint8Array).buffer), want = new Int8Array(ny);
      for (let n = 0; n < N; n++) for (let h = 0; h < PH; h++) for (let w = 0; w < PW; w++) for (let c = 0; c < C; c++) {
        const ih = h - pt, iw = w - pl, inside = ih >= 0 && ih < H && iw >= 0 && iw < W;
        want[((n * PH + h) * PW + w) * C + c] = inside ? x[((n * H + ih) * W + iw) * C + c] : zp;
      }
      expect(y, `zp ${zp}`).toEqual(want);
    }
  });
  it('zeropad places x inside zeros', () => {
    for (const isa of ['ref', 'simd']) {
      const [y] = run(e, `f32_zeropad2d_fwd__${isa}`, [out(new Float32Array(9).fill(9)), inp([1, 2]), 1, 1, 2, 1, 1, 0, 1, 1]).outs;
      expectMatch(y, [0, 0, 0, 1, 2, 0, 0, 0, 0], EXACT, isa);
    }
  });
});

describe('pool ops: extents and validation', () => {
  const d = (o: Partial<Dims> = {}): Dims => ({ N: 2, H: 7, W: 5, C: 3, KH: 3, KW: 2, strideH: 2, strideW: 2, padT: 1, padL: 0, padB: 1, padR: 1, dilH: 1, dilW: 1, countIncludePad: 0, ...o });
  const lens = (name: string, dd: Dims) => Object.fromEntries(opByName(name).args.filter((a) => a.kind === 'ptr').map((a) => [a.name, (a as { len: (d: Dims) => number }).len(dd)]));
  it('lists extents from the geometry', () => {
    expect(lens('maxpool2d_fwd', d())).toEqual({ y: 2 * 4 * 3 * 3, idx: 2 * 4 * 3 * 3, x: 2 * 7 * 5 * 3 });
    expect(lens('maxpool2d_bwd', d())).toEqual({ dx: 2 * 7 * 5 * 3, dy: 2 * 4 * 3 * 3, idx: 2 * 4 * 3 * 3 });
    expect(lens('avgpool2d_fwd', d())).toEqual({ y: 72, x: 210 });
    expect(lens('global_avgpool_fwd', { N: 2, HW: 9, C: 5 })).toEqual({ y: 10, x: 90 });
    expect(lens('zeropad2d_fwd', d())).toEqual({ y: 2 * 9 * 6 * 3, x: 210 });
  });
  it('rejects windows larger than the padded input, pads not smaller than the window, zero sizes, bad flags', () => {
    const mv = opByName('maxpool2d_fwd').validate!, av = opByName('avgpool2d_fwd').validate!;
    expect(mv(d())).toBeNull();
    expect(av(d())).toBeNull();
    expect(mv(d({ KH: 10 }))).toMatch(/kernel 10x2 .* larger than the padded input 9x6/);
    expect(mv(d({ padT: 2 }))).toBeNull();   // ONNX allows pads up to the window - 1 (ceil mode makes such end pads)
    expect(mv(d({ padT: 3 }))).toMatch(/padding 3 is not smaller than the window height 3/);
    expect(av(d({ padR: 2 }))).toMatch(/padding 2 is not smaller than the window width 2/);
    expect(mv(d({ strideW: 0 }))).toMatch(/strideW must be at least 1, got 0/);
    expect(av(d({ countIncludePad: 2 }))).toMatch(/countIncludePad must be 0 or 1/);
    expect(opByName('global_avgpool_fwd').validate!({ N: 1, HW: 0, C: 3 })).toMatch(/HW must be at least 1/);
    expect(opByName('zeropad2d_fwd').validate!(d({ C: 0 }))).toMatch(/C must be at least 1/);
    expect(lens('qs8_zeropad2d', { ...d(), fill: 3 })).toEqual({ y: 2 * 9 * 6 * 3, x: 210 });
    expect(opByName('qs8_zeropad2d').validate!({ ...d(), fill: 255 })).toBeNull();
    expect(opByName('qs8_zeropad2d').validate!({ ...d(), fill: 256 })).toMatch(/fill must be a byte/);
  });
});
