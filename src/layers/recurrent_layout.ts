// Layout moves of the recurrent layers (time-major steps, batch-major results, strided copies), in a
// module of their own: the int8 GRU (src/quant/qgru.ts), a classic layer, uses them without pulling
// the recurrent family (an on-demand one in axon/browser: src/layers/families.ts) into an app.
import type { Buf } from '../compile/plan.js';
import type { Ctx } from './layer.js';

/** Batch-major (N, T, F) → time-major (T, N, F) into aux `key`; at batch 1 the source itself. */
export function timeMajor(c: Ctx, x: Buf, key: string, T: number, F: number, emit = true): Buf {
  if (c.batch === 1) return x;
  const y = c.aux(key, 'f32', T * F);
  if (emit) c.emit('transpose_01', { y, x, A: c.batch, B: T, F });
  return y;
}
/** Time-major (T, N, F) → batch-major y (N, T, F). */
export function batchMajor(c: Ctx, y: Buf, x: Buf, T: number, F: number): void {
  if (c.batch === 1) c.emit('copy', { y, x, n: T * F });
  else c.emit('transpose_01', { y, x, A: T, B: c.batch, F });
}
/** y[offy + r*ldy + k] = x[offx + r*ldx + k] for r < rows, k < cols. */
export function strided(c: Ctx, y: Buf, x: Buf, rows: number, cols: number, ldy: number, ldx: number, offy: number, offx: number): void {
  c.emit('copy_strided', { y, x, rows, cols, ldy, ldx, offy, offx });
}
