// Zero-padded copies of NHWC images for the implicit GEMM (conv_igemm.ts) and its transposed use in
// the input gradient (conv_grad.ts): the extent the output's taps span, and the copy, borders
// included: a whole image, or some of its rows (the threads' way).
import { gH, gW, gC, gOH, gOW, gSH, gSW, gKH, gKW, gDH, gDW, gPT, gPL } from './conv_direct';

// Input extent the output's taps span (padded rows/cols included): (O-1)*S + (K-1)*D + 1.
// @ts-ignore: decorator
@inline export function padExtent(O: i32, S: i32, K: i32, D: i32): i32 { return (O - 1) * S + (K - 1) * D + 1; }

// @ts-ignore: decorator
@inline export function copyRun(d: usize, s: usize, n: i32): void {
  let k = 0;
  for (; k + 4 <= n; k += 4) { const o = <usize>k << 2; v128.store(d + o, v128.load(s + o)); }
  for (; k < n; k++) { const o = <usize>k << 2; store<f32>(d + o, load<f32>(s + o)); }
}

/** Image xn (H, W, C) as the whole zero-padded (Hp, Wp, C) copy in pad, borders included. */
export function padImage(pad: usize, xn: usize): void { padRows(pad, xn, 0, padExtent(gOH, gSH, gKH, gDH)); }

/** Rows [r0, r1) of image xn's zero-padded (Hp, Wp, C) copy in pad, borders included (the threads make it so, each its rows). */
export function padRows(pad: usize, xn: usize, r0: i32, r1: i32): void {
  const C = gC, W = gW, Wp = padExtent(gOW, gSW, gKW, gDW), cols = min(W, Wp - gPL);
  const rowB = <usize>Wp * C << 2, left = <usize>gPL * C << 2, right = <usize>(Wp - gPL - cols) * C << 2;
  for (let r = r0; r < r1; r++) {
    const d = pad + <usize>r * rowB, ih = r - gPT;
    if ((ih < 0) | (ih >= gH)) { memory.fill(d, 0, rowB); continue; }
    memory.fill(d, 0, left);
    copyRun(d + left, xn + (<usize>(ih * W * C) << 2), cols * C);
    memory.fill(d + left + (<usize>cols * C << 2), 0, right);
  }
}
