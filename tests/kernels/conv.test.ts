// conv kernels: Conv2D fwd / bwd_x / bwd_w, __simd (pointwise GEMM, im2col + GEMM, depthwise with
// its 3x3 fast path, grouped) against __ref, at small and ragged shapes, inside guarded buffers;
// plus the op registry's extents and validation for conv2d.
import { describe, it, expect } from 'vitest';
import { engine, randn } from '../helpers.js';
import { run, expectMatch, out, inp, close, Arg, Tol } from './kit.js';
import { opByName, convOut, conv2dScratchFloats, Dims } from '../../src/ops.js';
import { Layout, Plan } from '../../src/compile/plan.js';
import { BoundLayout } from '../../src/runtime/bound.js';

const e = await engine();
const TOL = close(2e-5, 2e-5);

/** __simd against __ref on the same arguments, comparing every output but the scratch (the last). */
function twinsScratch(name: string, args: Arg[], tol: Tol, what: string): void {
  const r = run(e, `${name}__ref`, args).outs, s = run(e, `${name}__simd`, args).outs;
  for (let i = 0; i < r.length - 1; i++) expectMatch(s[i], r[i], tol, `${name} ${what} output ${i}`);
}

interface Geo { N: number; H: number; W: number; C: number; OC: number; KH: number; KW: number; s?: [number, number]; p?: [number, number, number, number]; d?: [number, number]; g?: number }
const dims = (q: Geo) => {
  const [sh, sw] = q.s ?? [1, 1], [pt, pl, pb, pr] = q.p ?? [0, 0, 0, 0], [dh, dw] = q.d ?? [1, 1];
  return [q.N, q.H, q.W, q.C, q.OC, q.KH, q.KW, sh, sw, pt, pl, pb, pr, dh, dw, q.g ?? 1];
};
const outHW = (q: Geo) => {
  const [, H, W, , , KH, KW, sh, sw, pt, pl, pb, pr, dh, dw] = dims(q);
  return [Math.floor((H + pt + pb - dh * (KH - 1) - 1) / sh) + 1, Math.floor((W + pl + pr - dw * (KW - 1) - 1) / sw) + 1];
};
const scratch = (q: Geo) => Math.max(4, (e.kernels.conv2d_scratch_floats as (...a: number[]) => number)(...dims(q)));

// label, geometry: channels 1, 3, 4, 5, 8, 17; odd sizes; stride 2; dilation 2; groups; asymmetric pads
const CASES: [string, Geo][] = [
  ['3x3 C1→1', { N: 1, H: 5, W: 5, C: 1, OC: 1, KH: 3, KW: 3 }],
  ['3x3 C3→4 same', { N: 2, H: 7, W: 5, C: 3, OC: 4, KH: 3, KW: 3, p: [1, 1, 1, 1] }],
  ['3x2 C5→8 stride 2 asym pads', { N: 2, H: 7, W: 9, C: 5, OC: 8, KH: 3, KW: 2, s: [2, 2], p: [1, 0, 2, 1] }],
  ['3x3 C4→5 dilation 2', { N: 1, H: 9, W: 8, C: 4, OC: 5, KH: 3, KW: 3, d: [2, 2], p: [2, 1, 0, 2] }],
  ['3x3 C8→17 many im2col blocks', { N: 2, H: 17, W: 15, C: 8, OC: 17, KH: 3, KW: 3, p: [1, 1, 1, 1] }],
  ['5x5 C17→3 stride (2,1)', { N: 1, H: 11, W: 9, C: 17, OC: 3, KH: 5, KW: 5, s: [2, 1], p: [2, 2, 2, 2] }],
  ['1x1 pointwise C17→8', { N: 2, H: 5, W: 3, C: 17, OC: 8, KH: 1, KW: 1 }],
  ['1x1 pointwise C3→1', { N: 1, H: 1, W: 7, C: 3, OC: 1, KH: 1, KW: 1 }],
  ['1x1 stride 2 C8→5', { N: 1, H: 7, W: 7, C: 8, OC: 5, KH: 1, KW: 1, s: [2, 2] }],
  ['conv1d k3 C3→4 (H=1)', { N: 2, H: 1, W: 11, C: 3, OC: 4, KH: 1, KW: 3, p: [0, 1, 0, 1] }],
  ['groups 2 C8→6', { N: 2, H: 6, W: 5, C: 8, OC: 6, KH: 3, KW: 3, g: 2, p: [1, 1, 1, 1] }],
  ['groups 2 C4→2 (1 out/group)', { N: 1, H: 5, W: 5, C: 4, OC: 2, KH: 2, KW: 3, g: 2, s: [2, 1] }],
  ['groups 2 C10→16 dilation 2', { N: 1, H: 9, W: 7, C: 10, OC: 16, KH: 3, KW: 3, g: 2, d: [2, 2], p: [2, 0, 1, 2] }],
  ['depthwise 3x3 C17 same (fast path)', { N: 2, H: 9, W: 11, C: 17, OC: 17, KH: 3, KW: 3, g: 17, p: [1, 1, 1, 1] }],
  ['depthwise 3x3 C8 stride 2 asym', { N: 1, H: 9, W: 10, C: 8, OC: 8, KH: 3, KW: 3, g: 8, s: [2, 2], p: [0, 0, 1, 1] }],
  ['depthwise 3x3 C5 valid', { N: 1, H: 6, W: 7, C: 5, OC: 5, KH: 3, KW: 3, g: 5 }],
  ['depthwise 3x3 C4 tiny 2x2 (no interior)', { N: 1, H: 2, W: 2, C: 4, OC: 4, KH: 3, KW: 3, g: 4, p: [1, 1, 1, 1] }],
  ['depthwise 3x3 C6 17x18 same (backward register paths: rows of 16+)', { N: 2, H: 17, W: 18, C: 6, OC: 6, KH: 3, KW: 3, g: 6, p: [1, 1, 1, 1] }],
  ['depthwise 3x3 C9 6x19 pads (0,2,1,0) (backward register paths, channel tail)', { N: 1, H: 6, W: 19, C: 9, OC: 9, KH: 3, KW: 3, g: 9, p: [0, 2, 1, 0] }],
  ['depthwise 3x3 C6 pads 3 (windows wholly in the padding: zeros)', { N: 1, H: 4, W: 5, C: 6, OC: 6, KH: 3, KW: 3, g: 6, p: [3, 3, 3, 2] }],
  ['depthwise 3x3 C3 stride (1,3) pads (2,0,0,2)', { N: 1, H: 8, W: 13, C: 3, OC: 3, KH: 3, KW: 3, g: 3, s: [1, 3], p: [2, 0, 0, 2] }],
  ['depthwise 5x5 C8 dilation 2', { N: 1, H: 11, W: 12, C: 8, OC: 8, KH: 5, KW: 5, g: 8, d: [2, 2], p: [4, 4, 4, 4] }],
  ['depthwise 3x3 C1', { N: 1, H: 5, W: 6, C: 1, OC: 1, KH: 3, KW: 3, g: 1, p: [1, 1, 1, 1] }],
  ['depthwise ×2 multiplier C5→10', { N: 1, H: 7, W: 6, C: 5, OC: 10, KH: 3, KW: 3, g: 5, p: [1, 1, 1, 1] }],
  ['depthwise ×4 multiplier C3→12 stride 2', { N: 2, H: 7, W: 7, C: 3, OC: 12, KH: 3, KW: 3, g: 3, s: [2, 2], p: [1, 1, 1, 1] }],
];

describe('conv2d: __simd matches __ref and stays inside its buffers', () => {
  it.each(CASES)('%s', (_, q) => {
    const [OH, OW] = outHW(q), xs = q.N * q.H * q.W * q.C, ys = q.N * OH * OW * q.OC, ws = q.KH * q.KW * (q.C / (q.g ?? 1)) * q.OC;
    const x = randn(xs, 1), w = randn(ws, 2, 0.5), dy = randn(ys, 3), sc = scratch(q), d = dims(q);
    twinsScratch('f32_conv2d_fwd', [out(new Float32Array(ys).fill(NaN)), inp(x), inp(w), out(sc), ...d], TOL, 'fwd');
    twinsScratch('f32_conv2d_bias_fwd', [out(new Float32Array(ys).fill(NaN)), inp(x), inp(w), inp(randn(q.OC, 6)), out(sc), ...d], TOL, 'fwd + bias');
    twinsScratch('f32_conv2d_bias_act_fwd', [out(new Float32Array(ys).fill(NaN)), inp(x), inp(w), inp(randn(q.OC, 6)), out(sc), ...d, 0.2], TOL, 'fwd + bias + leaky relu');
    // backward accumulates onto what is there
    twinsScratch('f32_conv2d_bwd_x', [out(randn(xs, 4)), inp(dy), inp(w), out(sc), ...d], TOL, 'bwd_x');
    twinsScratch('f32_conv2d_bwd_w', [out(randn(ws, 5)), inp(dy), inp(x), out(sc), ...d], close(5e-5, 5e-5), 'bwd_w');
  });
});

describe('conv2d op: extents, scratch and validation', () => {
  const geo = (o: Partial<Dims>): Dims => ({ N: 2, H: 7, W: 6, C: 4, OC: 6, KH: 3, KW: 3, strideH: 2, strideW: 1, padT: 1, padL: 0, padB: 2, padR: 1, dilH: 1, dilW: 2, groups: 2, ...o });
  const gemmScratch = e.kernels.gemm_scratch_floats as (...a: number[]) => number;
  const wasmScratch = (d: Dims) => (e.kernels.conv2d_scratch_floats as (...a: number[]) => number)(...convArgNames.map((k) => d[k]));
  const convArgNames = ['N', 'H', 'W', 'C', 'OC', 'KH', 'KW', 'strideH', 'strideW', 'padT', 'padL', 'padB', 'padR', 'dilH', 'dilW', 'groups'];

  it('lists the pointer extents from the geometry (OH = 4, OW = 3 here)', () => {
    const op = opByName('conv2d_fwd'), d = geo({});
    expect(convOut(d)).toEqual({ OH: 4, OW: 3 });
    const lens = Object.fromEntries(op.args.filter((a) => a.kind === 'ptr').map((a) => [a.name, (a as { len: (d: Dims) => number }).len(d)]));
    expect(lens).toEqual({ y: 2 * 4 * 3 * 6, x: 2 * 7 * 6 * 4, w: 3 * 3 * 2 * 6, scratch: 0 });
    expect(opByName('conv2d_bwd_w').args.map((a) => a.name).slice(0, 4)).toEqual(['dw', 'dy', 'x', 'scratch']);
    expect(op.args.slice(4).map((a) => a.name)).toEqual(convArgNames);
  });

  it('host scratch size mirrors the kernel (pointwise, im2col blocks, direct paths)', () => {
    for (const o of [{ groups: 1 }, { groups: 1, KH: 1, KW: 1, strideH: 1, padT: 0, padB: 0, padR: 0 }, { groups: 1, C: 512, OC: 512, H: 30, W: 30 },
      { groups: 4, C: 4, OC: 4 }, { groups: 1, N: 1, H: 1, W: 1, KH: 1, KW: 1, padB: 0, padR: 0, padT: 0, dilW: 1 },
      // implicit backward (conv_grad.ts): stride 1 transposed input gradient with a padded dy image; K' = KH*KW*OC above 512; big images
      { groups: 1, strideH: 1, dilW: 1, padB: 1 }, { groups: 1, strideH: 1, dilW: 1, padB: 1, OC: 64, C: 3 }, { groups: 1, strideH: 1, dilW: 1, padB: 1, OC: 57 },
      { groups: 1, strideH: 1, dilW: 1, padT: 0, padL: 0, padB: 0, padR: 0, C: 1, OC: 6, H: 28, W: 28, KH: 5, KW: 5 },
      { groups: 1, strideH: 1, dilW: 1, padT: 1, padL: 1, padB: 1, padR: 1, C: 16, OC: 16, H: 70, W: 70 }]) {
      const d = geo(o);
      expect(conv2dScratchFloats(d, gemmScratch), JSON.stringify(o)).toBe(wasmScratch(d));
    }
  });

  it('rejects kernels larger than the padded input, zero sizes and channels not divisible by groups', () => {
    const v = opByName('conv2d_fwd').validate!;
    expect(v(geo({}))).toBeNull();
    expect(v(geo({ KH: 11, padT: 0, padB: 0 }))).toMatch(/kernel 11x3 \(dilation 1x2, spanning 11x5\) is larger than the padded input 7x7/);
    expect(v(geo({ dilW: 4 }))).toMatch(/spanning 3x9\) is larger than the padded input 10x7/);
    expect(v(geo({ C: 5 }))).toMatch(/input channels C=5 are not divisible by groups=2/);
    expect(v(geo({ OC: 7 }))).toMatch(/output channels OC=7 are not divisible by groups=2/);
    for (const k of ['N', 'H', 'C', 'OC', 'KW', 'strideH', 'dilH', 'groups']) expect(v(geo({ [k]: 0 })), k).toMatch(new RegExp(`${k} must be at least 1, got 0`));
    const L = new Layout(), d = geo({}), ids: Record<string, number> = {};
    for (const [name, n] of [['y', 144], ['x', 336], ['w', 108], ['s', 4]] as const) ids[name] = L.add(name, 'f32', n);
    const args = { y: ids.y, x: ids.x, w: ids.w, scratch: ids.s, ...d };
    expect(() => new Plan(L).emit('conv2d_fwd', args, 'conv1')).not.toThrow();
    expect(() => new Plan(L).emit('conv2d_fwd', { ...args, padB: 3 }, 'conv1')).toThrow(/conv1: op conv2d_fwd argument y needs 720 bytes/);
    expect(() => new Plan(L).emit('conv2d_fwd', { ...args, groups: 3 }, 'conv1')).toThrow(/conv1: input channels C=4 are not divisible by groups=3/);
  });

  it('runs in a plan: conv2d_fwd + bias_add, then both backward passes, equal to the kernels called directly', () => {
    const d = geo({ groups: 1, C: 3, OC: 5 }), { OH, OW } = convOut(d), M = d.N * OH * OW;
    const nx = d.N * d.H * d.W * d.C, nw = d.KH * d.KW * d.C * d.OC, ny = M * d.OC, ns = Math.max(4, wasmScratch(d));
    const L = new Layout();
    const b = { x: L.add('x', 'f32', nx), w: L.add('w', 'f32', nw), bias: L.add('b', 'f32', d.OC), y: L.add('y', 'f32', ny),
      dy: L.add('dy', 'f32', ny), dx: L.add('dx', 'f32', nx), dw: L.add('dw', 'f32', nw), s: L.add('s', 'f32', ns) };
    const P = new Plan(L).emit('conv2d_fwd', { y: b.y, x: b.x, w: b.w, scratch: b.s, ...d }).emit('bias_add', { y: b.y, b: b.bias, M, N: d.OC })
      .emit('conv2d_bwd_x', { dx: b.dx, dy: b.dy, w: b.w, scratch: b.s, ...d }).emit('conv2d_bwd_w', { dw: b.dw, dy: b.dy, x: b.x, scratch: b.s, ...d });
    const bl = new BoundLayout(e, L);
    const x = randn(nx, 1), w = randn(nw, 2), bias = randn(d.OC, 3), dy = randn(ny, 4);
    bl.f32(b.x).set(x); bl.f32(b.w).set(w); bl.f32(b.bias).set(bias); bl.f32(b.dy).set(dy);
    bl.run(bl.load(P));
    const dd = convArgNames.map((k) => d[k]);
    const [y] = run(e, 'f32_conv2d_fwd__ref', [out(ny), inp(x), inp(w), out(4), ...dd]).outs;
    expectMatch(bl.f32(b.y), y.map((v, i) => v + bias[i % d.OC]), TOL, 'y');
    expectMatch(bl.f32(b.dx), run(e, 'f32_conv2d_bwd_x__ref', [out(nx), inp(dy), inp(w), out(4), ...dd]).outs[0], TOL, 'dx');
    expectMatch(bl.f32(b.dw), run(e, 'f32_conv2d_bwd_w__ref', [out(nw), inp(dy), inp(x), out(4), ...dd]).outs[0], close(5e-5, 5e-5), 'dw');
  });
});
