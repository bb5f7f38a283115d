// Implicit-GEMM Conv2D forward (assembly/kernels/conv_igemm.ts, used by f32_conv2d_fwd__simd for
// groups = 1 when K = KH*KW*C <= 256 and OC <= 512): __simd against __ref inside guarded buffers
// at tile-exact (OW % 4 = 0, OC % 8 = 0), smaller-than-tile (OW < 4, OC < 8) and ragged shapes;
// stride 2, 'same' and asymmetric padding, dilation 2, C in {1, 3, 4, 5}, OC in {1, 6, 8, 17};
// the LeNet layers; the three input paths (no padding needed, zero-padded image copy, border tiles); and the backward passes at the same
// shapes (implicit weight gradient and transposed implicit input gradient of conv_grad.ts, im2col + GEMM where those do not fit).
import { describe, it } from 'vitest';
import { engine, randn } from '../helpers.js';
import { run, expectMatch, out, inp, close, Arg, Tol, EXACT } from './kit.js';

const e = await engine();
const TOL = close(2e-5, 2e-5);

function twinsScratch(name: string, args: Arg[], tol: Tol, what: string): void {
  const r = run(e, `${name}__ref`, args).outs, s = run(e, `${name}__simd`, args).outs;
  for (let i = 0; i < r.length - 1; i++) expectMatch(s[i], r[i], tol, `${name} ${what} output ${i}`);
}

// [N, H, W, C, OC, KH, KW, sh, sw, pt, pl, pb, pr, dh, dw]
type G = [number, number, number, number, number, number, number, number, number, number, number, number, number, number, number];
const CASES: [string, G][] = [
  ['tile-exact 3x3 C4→8 valid (OW 8)', [2, 6, 10, 4, 8, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1]],
  ['tile-exact 3x3 C4→16 same (OW 8)', [1, 5, 8, 4, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1]],
  ['smaller than tile: OW 2, C1→1', [1, 4, 4, 1, 1, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1]],
  ['smaller than tile: OW 3, C3→6 same', [2, 3, 3, 3, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1]],
  ['smaller than tile: OW 1, C5→17', [1, 3, 3, 5, 17, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1]],
  ['ragged OW 7, C3→6', [2, 9, 9, 3, 6, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1]],
  ['ragged OW 5, C5→17 stride 2 asym pads', [2, 9, 10, 5, 17, 3, 2, 2, 2, 1, 0, 2, 1, 1, 1]],
  ['stride 2 same 5x5 C1→6', [2, 12, 13, 1, 6, 5, 5, 2, 2, 2, 2, 2, 2, 1, 1]],
  ['stride (1,2) C4→8 asym pads (0,2,1,0)', [1, 7, 11, 4, 8, 3, 3, 1, 2, 0, 2, 1, 0, 1, 1]],
  ['same asymmetric (even kernel 4x4) C3→1', [1, 9, 9, 3, 1, 4, 4, 1, 1, 1, 1, 2, 2, 1, 1]],
  ['dilation 2 C1→8 same', [1, 10, 11, 1, 8, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2]],
  ['dilation 2 stride 2 C5→6 asym', [2, 11, 12, 5, 6, 3, 3, 2, 2, 2, 1, 0, 2, 2, 2]],
  ['dilation (2,1) C4→17', [1, 9, 9, 4, 17, 3, 3, 1, 1, 1, 1, 1, 1, 2, 1]],
  ['conv1d k5 C3→6 (H 1)', [2, 1, 13, 3, 6, 1, 5, 1, 1, 0, 2, 0, 2, 1, 1]],
  ['pads wider than the kernel reach (no interior tile)', [1, 3, 3, 3, 8, 3, 3, 1, 1, 2, 2, 2, 2, 1, 1]],
  ['K = 256 (limit) C16→6', [1, 6, 7, 16, 6, 4, 4, 1, 1, 0, 1, 0, 2, 1, 1]],
  ['K = 270 (im2col fallback) C30→8', [1, 6, 7, 30, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1]],
  // C = 1, OC = 6, column stride 1, OW >= 4: vectors over pixels (c1oc6Image)
  ['C1→6 valid ragged OW 7 (pixel-vector path, no padding)', [2, 9, 11, 1, 6, 3, 5, 1, 1, 0, 0, 0, 0, 1, 1]],
  ['C1→6 dilation 2, stride (2,1), asym pads (pixel-vector path)', [1, 13, 12, 1, 6, 3, 3, 2, 1, 2, 1, 0, 2, 2, 2]],
  ['C1→6 OW 4 exactly (pixel-vector path)', [1, 6, 8, 1, 6, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1]],
  ['C1→6 OW 3 (4x8 tiles instead)', [1, 5, 5, 1, 6, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1]],
  ['LeNet conv1 5x5 C1→6 same', [3, 28, 28, 1, 6, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1]],
  ['LeNet conv2 5x5 C6→16 valid', [3, 14, 14, 6, 16, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1]],
  ['MobileNet stem 3x3/2 C3→32 same', [1, 16, 16, 3, 32, 3, 3, 2, 2, 0, 0, 1, 1, 1, 1]],
  // backward paths of conv_grad.ts: implicit weight gradient (any K), transposed implicit input gradient (stride 1, K' = KH*KW*OC <= 512)
  ['residual CNN 3x3 C16→16 same (transposed bwd_x, OC panels full)', [2, 12, 11, 16, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1]],
  ['5x5 C6→16 valid: K\' = 400, padded dy image', [2, 9, 8, 6, 16, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1]],
  ['3x3 C3→64 same: K\' = 576 (im2col bwd_x), wgrad OC panels x8', [1, 7, 9, 3, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1]],
  ['3x3 C9→5 pads beyond the kernel (2,1,3,0): im2col bwd_x, wgrad K tail', [2, 6, 7, 9, 5, 3, 3, 1, 1, 3, 1, 2, 0, 1, 1]],
  ['4x2 C2→3 dilation (1,3) asym pads: transposed bwd_x with dilation', [1, 8, 10, 2, 3, 4, 2, 1, 1, 2, 3, 1, 0, 1, 3]],
  ['2x2 C7→1 valid, OW 1', [3, 5, 2, 7, 1, 2, 2, 1, 1, 0, 0, 0, 0, 1, 1]],
  // padded image above 2^16 floats: the border-tile path instead of the zero-padded copy
  ['large padded image (border path) C4→6 same', [1, 130, 129, 4, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1]],
  ['large padded image (border path) C5→17 stride 2 dilation (2,1) asym', [1, 121, 119, 5, 17, 3, 2, 2, 2, 2, 0, 1, 1, 2, 1]],
  ['large padded image (border path) C5→8 OW 3', [1, 4400, 3, 5, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1]],
];

describe('conv2d implicit GEMM: __simd matches __ref and stays inside its buffers', () => {
  it.each(CASES)('%s', (_, d) => {
    const [N, H, W, C, OC, KH, KW, sh, sw, pt, pl, pb, pr, dh, dw] = d;
    const OH = Math.floor((H + pt + pb - dh * (KH - 1) - 1) / sh) + 1, OW = Math.floor((W + pl + pr - dw * (KW - 1) - 1) / sw) + 1;
    const dims = [...d, 1];
    const xs = N * H * W * C, ys = N * OH * OW * OC, ws = KH * KW * C * OC;
    const sc = Math.max(4, (e.kernels.conv2d_scratch_floats as (...a: number[]) => number)(...dims));
    const x = randn(xs, 1), w = randn(ws, 2, 0.5), dy = randn(ys, 3);
    twinsScratch('f32_conv2d_fwd', [out(new Float32Array(ys).fill(NaN)), inp(x), inp(w), out(new Float32Array(sc).fill(NaN)), ...dims], TOL, 'fwd');
    // bias fused into the stores: the same floats as the convolution then f32_bias_add (bit for bit), and __ref's within TOL
    const b = randn(OC, 6), fwdArgs = (f: string) => [out(new Float32Array(ys).fill(NaN)), inp(x), inp(w), ...(f ? [inp(b)] : []), out(new Float32Array(sc).fill(NaN)), ...dims];
    twinsScratch('f32_conv2d_bias_fwd', fwdArgs('b'), TOL, 'fwd + bias');
    const fused = run(e, 'f32_conv2d_bias_fwd__simd', fwdArgs('b')).outs[0];
    const split = run(e, 'f32_bias_add__simd', [out(run(e, 'f32_conv2d_fwd__simd', fwdArgs('')).outs[0]), inp(b), N * OH * OW, OC]).outs[0];
    expectMatch(fused, split, EXACT, 'fused bias = conv then bias_add');
    // and with the leaky ReLU in the same stores (alpha 0: ReLU)
    for (const alpha of [0, 0.1]) {
      twinsScratch('f32_conv2d_bias_act_fwd', [...fwdArgs('b'), alpha], TOL, `fwd + bias + leaky relu ${alpha}`);
      const act = run(e, 'f32_conv2d_bias_act_fwd__simd', [...fwdArgs('b'), alpha]).outs[0];
      expectMatch(act, run(e, 'f32_leaky_relu_fwd__simd', [out(ys), inp(split), ys, alpha]).outs[0], EXACT, `fused leaky relu ${alpha} = the separate pass`);
    }
    twinsScratch('f32_conv2d_bwd_x', [out(randn(xs, 4)), inp(dy), inp(w), out(sc), ...dims], TOL, 'bwd_x');
    // dw sums over all N*OH*OW pixels: f32 summation-order differences grow like sqrt(M)
    const atolW = Math.max(5e-5, 6e-6 * Math.sqrt(N * OH * OW));
    twinsScratch('f32_conv2d_bwd_w', [out(randn(ws, 5)), inp(dy), inp(x), out(sc), ...dims], close(5e-5, atolW), 'bwd_w');
  });
});
