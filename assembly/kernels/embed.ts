// Embedding lookups: rows of a table picked by i32 ids (forward: the data family's gather_rows),
// and the backward pass as a scatter-add of the output gradient into the table's gradient.
//   dw: (V, D) f32 +=; dy: (R, D) f32; ids: (R) i32; skip: an id whose row gets no gradient
//   (PyTorch's padding_idx; V for none). Ids outside [0, V) are skipped (the host refuses them first).
// Rows are added in order, so the SIMD form sums exactly as the reference does (bit-equal).
import { vadd, vld, vst } from '../simd';

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize { return p + (<usize>i << 2); }

export function f32_scatter_add_rows__ref(dw: usize, dy: usize, ids: usize, R: i32, D: i32, V: i32, skip: i32): void {
  for (let r = 0; r < R; r++) {
    const j = load<i32>(at(ids, r));
    if (j < 0 || j >= V || j == skip) continue;
    const dst = dw + <usize>j * D * 4, src = dy + <usize>r * D * 4;
    for (let c = 0; c < D; c++) store<f32>(at(dst, c), load<f32>(at(dst, c)) + load<f32>(at(src, c)));
  }
}

export function f32_scatter_add_rows__simd(dw: usize, dy: usize, ids: usize, R: i32, D: i32, V: i32, skip: i32): void {
  const D4 = D & ~3;
  for (let r = 0; r < R; r++) {
    const j = load<i32>(at(ids, r));
    if (j < 0 || j >= V || j == skip) continue;
    const dst = dw + <usize>j * D * 4, src = dy + <usize>r * D * 4;
    let c = 0;
    for (; c < D4; c += 4) vst(at(dst, c), vadd(vld(at(dst, c)), vld(at(src, c))));
    for (; c < D; c++) store<f32>(at(dst, c), load<f32>(at(dst, c)) + load<f32>(at(src, c)));
  }
}
