// Merge kernels for graph models: a product of two activations where one may be broadcast over
// the positions of the other (a channel gate, as in squeeze-and-excitation blocks).
//   x, y, dy: (B, P, C) f32; g, dg: (B, G) f32 with G = C (one gate per channel) or G = 1 (one per sample).
//   fwd:   y[b,p,c]  = x[b,p,c] * g[b, c|0]
//   bwd_x: dx[b,p,c] += dy[b,p,c] * g[b, c|0]
//   bwd_g: dg[b, c|0] += sum over p (and c when G = 1) of dy[b,p,c] * x[b,p,c]
// Equal shapes are P = 1, G = C. The SIMD forms keep the reference's order of additions where
// G = C (bit-equal); for G = 1 they sum in four lanes.
import { vadd, vld, vmul, vsplat, vst, vsum, vzero } from '../simd';

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize { return p + (<usize>i << 2); }

export function f32_mul_bcast_fwd__ref(y: usize, x: usize, g: usize, B: i32, P: i32, C: i32, G: i32): void {
  for (let b = 0; b < B; b++) for (let p = 0; p < P; p++) for (let c = 0; c < C; c++) {
    const i = (b * P + p) * C + c;
    store<f32>(at(y, i), load<f32>(at(x, i)) * load<f32>(at(g, b * G + (G == 1 ? 0 : c))));
  }
}
export function f32_mul_bcast_fwd__simd(y: usize, x: usize, g: usize, B: i32, P: i32, C: i32, G: i32): void {
  for (let b = 0; b < B; b++) for (let p = 0; p < P; p++) {
    const o = (b * P + p) * C, gb = at(g, b * G);
    let c = 0;
    if (G == 1) {
      const s = vsplat(load<f32>(gb)), v = load<f32>(gb);
      for (; c + 4 <= C; c += 4) vst(at(y, o + c), vmul(vld(at(x, o + c)), s));
      for (; c < C; c++) store<f32>(at(y, o + c), load<f32>(at(x, o + c)) * v);
    } else {
      for (; c + 4 <= C; c += 4) vst(at(y, o + c), vmul(vld(at(x, o + c)), vld(at(gb, c))));
      for (; c < C; c++) store<f32>(at(y, o + c), load<f32>(at(x, o + c)) * load<f32>(at(gb, c)));
    }
  }
}

export function f32_mul_bcast_bwd_x__ref(dx: usize, dy: usize, g: usize, B: i32, P: i32, C: i32, G: i32): void {
  for (let b = 0; b < B; b++) for (let p = 0; p < P; p++) for (let c = 0; c < C; c++) {
    const i = (b * P + p) * C + c;
    store<f32>(at(dx, i), load<f32>(at(dx, i)) + load<f32>(at(dy, i)) * load<f32>(at(g, b * G + (G == 1 ? 0 : c))));
  }
}
export function f32_mul_bcast_bwd_x__simd(dx: usize, dy: usize, g: usize, B: i32, P: i32, C: i32, G: i32): void {
  for (let b = 0; b < B; b++) for (let p = 0; p < P; p++) {
    const o = (b * P + p) * C, gb = at(g, b * G);
    let c = 0;
    const one = G == 1, s = vsplat(load<f32>(gb));
    for (; c + 4 <= C; c += 4) vst(at(dx, o + c), vadd(vld(at(dx, o + c)), vmul(vld(at(dy, o + c)), one ? s : vld(at(gb, c)))));
    for (; c < C; c++) store<f32>(at(dx, o + c), load<f32>(at(dx, o + c)) + load<f32>(at(dy, o + c)) * load<f32>(at(gb, one ? 0 : c)));
  }
}

export function f32_mul_bcast_bwd_g__ref(dg: usize, dy: usize, x: usize, B: i32, P: i32, C: i32, G: i32): void {
  for (let b = 0; b < B; b++) {
    if (G == 1) {
      let s: f32 = 0;
      for (let i = b * P * C; i < (b + 1) * P * C; i++) s += load<f32>(at(dy, i)) * load<f32>(at(x, i));
      store<f32>(at(dg, b), load<f32>(at(dg, b)) + s);
      continue;
    }
    for (let p = 0; p < P; p++) for (let c = 0; c < C; c++) {
      const i = (b * P + p) * C + c, d = at(dg, b * C + c);
      store<f32>(d, load<f32>(d) + load<f32>(at(dy, i)) * load<f32>(at(x, i)));
    }
  }
}
export function f32_mul_bcast_bwd_g__simd(dg: usize, dy: usize, x: usize, B: i32, P: i32, C: i32, G: i32): void {
  for (let b = 0; b < B; b++) {
    if (G == 1) {
      const lo = b * P * C, hi = lo + P * C;
      let acc = vzero(), i = lo;
      for (; i + 4 <= hi; i += 4) acc = vadd(acc, vmul(vld(at(dy, i)), vld(at(x, i))));
      let s = vsum(acc);
      for (; i < hi; i++) s += load<f32>(at(dy, i)) * load<f32>(at(x, i));
      store<f32>(at(dg, b), load<f32>(at(dg, b)) + s);
      continue;
    }
    const gb = at(dg, b * C);
    for (let p = 0; p < P; p++) {
      const o = (b * P + p) * C;
      let c = 0;
      for (; c + 4 <= C; c += 4) vst(at(gb, c), vadd(vld(at(gb, c)), vmul(vld(at(dy, o + c)), vld(at(x, o + c)))));
      for (; c < C; c++) store<f32>(at(gb, c), load<f32>(at(gb, c)) + load<f32>(at(dy, o + c)) * load<f32>(at(x, o + c)));
    }
  }
}
