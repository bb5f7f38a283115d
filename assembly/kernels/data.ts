// Batching and randomness: gather rows by index, a seeded PRNG (xoshiro128** seeded by
// splitmix32, mirrored bit-for-bit in src/runtime/rng.ts), and inverted dropout.
// NOTE: randomness is sequential by design so every target draws the same numbers (only applying
// a drawn mask is split between threads).
import { splitSpan } from '../mt';

// y: (rows, cols) 32-bit; x: (xrows, cols) 32-bit; idx: (rows) i32. Out-of-range rows give zeros.
export function x32_gather_rows__ref(y: usize, x: usize, idx: usize, rows: i32, cols: i32, xrows: i32): void {
  const rb = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const j = load<i32>(idx + (<usize>r << 2));
    const dst = y + <usize>r * rb;
    if (j < 0 || j >= xrows) { memory.fill(dst, 0, rb); continue; }
    const src = x + <usize>j * rb;
    for (let c = 0; c < cols; c++) store<u32>(dst + (<usize>c << 2), load<u32>(src + (<usize>c << 2)));
  }
}
export function x32_gather_rows__simd(y: usize, x: usize, idx: usize, rows: i32, cols: i32, xrows: i32): void {
  const rb = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const j = load<i32>(idx + (<usize>r << 2));
    const dst = y + <usize>r * rb;
    if (j < 0 || j >= xrows) memory.fill(dst, 0, rb);
    else memory.copy(dst, x + <usize>j * rb, rb);
  }
}

// y: (rows, cols) f32 = x[idx] * scale + shift; x: (xrows, cols) u8 (compact image datasets)
export function u8_gather_rows_f32__ref(y: usize, x: usize, idx: usize, rows: i32, cols: i32, xrows: i32, scale: f32, shift: f32): void {
  for (let r = 0; r < rows; r++) {
    const j = load<i32>(idx + (<usize>r << 2));
    const dst = y + (<usize>r * cols << 2);
    const ok = j >= 0 && j < xrows;
    for (let c = 0; c < cols; c++) {
      const v: f32 = ok ? <f32>load<u8>(x + <usize>j * cols + c) * scale + shift : 0;
      store<f32>(dst + (<usize>c << 2), v);
    }
  }
}
export function u8_gather_rows_f32__simd(y: usize, x: usize, idx: usize, rows: i32, cols: i32, xrows: i32, scale: f32, shift: f32): void {
  const vs = f32x4.splat(scale), vb = f32x4.splat(shift);
  for (let r = 0; r < rows; r++) {
    const j = load<i32>(idx + (<usize>r << 2));
    const dst = y + (<usize>r * cols << 2);
    if (j < 0 || j >= xrows) { memory.fill(dst, 0, <usize>cols << 2); continue; }
    const src = x + <usize>j * cols;
    let c = 0;
    for (; c + 4 <= cols; c += 4) {
      const w = v128.load32_zero(src + c);
      const f = f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(w)));
      v128.store(dst + (<usize>c << 2), f32x4.add(f32x4.mul(f, vs), vb));
    }
    for (; c < cols; c++) store<f32>(dst + (<usize>c << 2), <f32>load<u8>(src + c) * scale + shift);
  }
}

// ---- PRNG. state: (4) u32 ----

@inline function rotl(x: u32, k: u32): u32 { return (x << k) | (x >> (32 - k)); }

/** Seeds state: (4) u32 from a 32-bit seed with splitmix32. */
export function rng_seed(state: usize, seed: u32): void {
  let s = seed;
  for (let i = 0; i < 4; i++) {
    s += 0x9e3779b9;
    let z = s;
    z = (z ^ (z >> 16)) * 0x85ebca6b;
    z = (z ^ (z >> 13)) * 0xc2b2ae35;
    z ^= z >> 16;
    store<u32>(state + (<usize>i << 2), z == 0 && i == 0 ? 1 : z);
  }
}

/** Next u32 of xoshiro128**. */
@inline export function rng_next(state: usize): u32 {
  const s0 = load<u32>(state), s1 = load<u32>(state, 4), s2 = load<u32>(state, 8), s3 = load<u32>(state, 12);
  const result = rotl(s1 * 5, 7) * 9;
  const t = s1 << 9;
  const n2 = s2 ^ s0, n3 = s3 ^ s1;
  store<u32>(state + 4, s1 ^ n2);
  store<u32>(state, s0 ^ n3);
  store<u32>(state + 8, n2 ^ t);
  store<u32>(state + 12, rotl(n3, 11));
  return result;
}

/** Uniform in [0, 1) with 24 random bits. */
@inline export function rng_uniform(state: usize): f32 { return <f32>(rng_next(state) >> 8) * 5.9604644775390625e-8; }

// out: (n) f32 uniform in [lo, hi)
export function rng_fill_uniform__ref(out: usize, state: usize, n: i32, lo: f32, hi: f32): void {
  for (let i = 0; i < n; i++) store<f32>(out + (<usize>i << 2), lo + (hi - lo) * rng_uniform(state));
}

// out: (n) f32 normal(mean, std), Box-Muller in f64 on pairs
export function rng_fill_normal__ref(out: usize, state: usize, n: i32, mean: f32, std: f32): void {
  for (let i = 0; i < n; i += 2) {
    const u1 = (<f64>(rng_next(state) >> 8) + 1) * 5.9604644775390625e-8;
    const u2 = <f64>(rng_next(state) >> 8) * 5.9604644775390625e-8;
    const r = Math.sqrt(-2 * Math.log(u1));
    store<f32>(out + (<usize>i << 2), mean + std * <f32>(r * Math.cos(6.283185307179586 * u2)));
    if (i + 1 < n) store<f32>(out + (<usize>(i + 1) << 2), mean + std * <f32>(r * Math.sin(6.283185307179586 * u2)));
  }
}

// Inverted dropout. y, mask, x: (n) f32; mask gets 0 or 1/(1-p); p in [0, 1).
export function f32_dropout_fwd__ref(y: usize, mask: usize, x: usize, state: usize, n: i32, p: f32): void {
  const keep: f32 = p < 1 ? 1 / (1 - p) : 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const m: f32 = rng_uniform(state) >= p ? keep : 0;
    store<f32>(mask + o, m);
    store<f32>(y + o, load<f32>(x + o) * m);
  }
}
// dx += dy * mask
export function f32_dropout_bwd__ref(dx: usize, dy: usize, mask: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, load<f32>(dx + o) + load<f32>(dy + o) * load<f32>(mask + o));
  }
}
export function f32_dropout_bwd__simd(dx: usize, dy: usize, mask: usize, n: i32): void { splitSpan(dropoutBwd, dx, 4, dy, 4, mask, 4, n, 0, 0, 0, 1, 64); }
function dropoutBwd(dx: usize, dy: usize, mask: usize, n: i32, _k: i32, _f: f32, _g: f32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dx + o, f32x4.add(v128.load(dx + o), f32x4.mul(v128.load(dy + o), v128.load(mask + o))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, load<f32>(dx + o) + load<f32>(dy + o) * load<f32>(mask + o));
  }
}
