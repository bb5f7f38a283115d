// FP peak probes for bench/fp_peak.mjs (issue 17): what f32x4 multiply-adds can reach in V8 on this core.
// Every loop's multiplies differ from one another and from one iteration to the next, so neither
// Binaryen nor TurboFan can share or hoist them (an earlier probe, acc_i += a * b with the same a and b
// for every accumulator, compiled to one multiply and eight adds per iteration: it measured adds).

// pipe rates: adds alone, multiplies alone (eight independent chains each)
export function add8(n: i32, x: f32): f32 {
  const d = f32x4.splat(1e-7);
  let c0 = f32x4.splat(x), c1 = f32x4.splat(x + 1), c2 = f32x4.splat(x + 2), c3 = f32x4.splat(x + 3);
  let c4 = f32x4.splat(x + 4), c5 = f32x4.splat(x + 5), c6 = f32x4.splat(x + 6), c7 = f32x4.splat(x + 7);
  for (let i = 0; i < n; i++) {
    c0 = f32x4.add(c0, d); c1 = f32x4.add(c1, d); c2 = f32x4.add(c2, d); c3 = f32x4.add(c3, d);
    c4 = f32x4.add(c4, d); c5 = f32x4.add(c5, d); c6 = f32x4.add(c6, d); c7 = f32x4.add(c7, d);
  }
  return f32x4.extract_lane(sum8(c0, c1, c2, c3, c4, c5, c6, c7), 0);
}
export function mul8(n: i32, x: f32): f32 {
  const k = f32x4.splat(1.0000001);
  let c0 = f32x4.splat(x), c1 = f32x4.splat(x + 1), c2 = f32x4.splat(x + 2), c3 = f32x4.splat(x + 3);
  let c4 = f32x4.splat(x + 4), c5 = f32x4.splat(x + 5), c6 = f32x4.splat(x + 6), c7 = f32x4.splat(x + 7);
  for (let i = 0; i < n; i++) {
    c0 = f32x4.mul(c0, k); c1 = f32x4.mul(c1, k); c2 = f32x4.mul(c2, k); c3 = f32x4.mul(c3, k);
    c4 = f32x4.mul(c4, k); c5 = f32x4.mul(c5, k); c6 = f32x4.mul(c6, k); c7 = f32x4.mul(c7, k);
  }
  return f32x4.extract_lane(sum8(c0, c1, c2, c3, c4, c5, c6, c7), 0);
}

// mul + add, three shapes: 12 chains c += c * k; 6 multiply chains beside 6 add chains (no dependence
// between a multiply and an add); the GEMM's own 4x8 tile (per step 2 vector loads, 4 splat loads,
// 8 mul + 8 add) over panels that stay in L1 (kc = 256 steps, then again)
@inline function madd(c: v128, k: v128): v128 { return f32x4.add(c, f32x4.mul(c, k)); }
export function madd12(n: i32, x: f32): f32 {
  const k = f32x4.splat(1e-7);
  let c0 = f32x4.splat(x), c1 = f32x4.splat(x + 1), c2 = f32x4.splat(x + 2), c3 = f32x4.splat(x + 3), c4 = f32x4.splat(x + 4), c5 = f32x4.splat(x + 5);
  let c6 = f32x4.splat(x + 6), c7 = f32x4.splat(x + 7), c8 = f32x4.splat(x + 8), c9 = f32x4.splat(x + 9), c10 = f32x4.splat(x + 10), c11 = f32x4.splat(x + 11);
  for (let i = 0; i < n; i++) {
    c0 = madd(c0, k); c1 = madd(c1, k); c2 = madd(c2, k); c3 = madd(c3, k); c4 = madd(c4, k); c5 = madd(c5, k);
    c6 = madd(c6, k); c7 = madd(c7, k); c8 = madd(c8, k); c9 = madd(c9, k); c10 = madd(c10, k); c11 = madd(c11, k);
  }
  return f32x4.extract_lane(f32x4.add(f32x4.add(sum8(c0, c1, c2, c3, c4, c5, c6, c7), f32x4.add(c8, c9)), f32x4.add(c10, c11)), 0);
}
export function mix6(n: i32, x: f32): f32 {
  const k = f32x4.splat(1.0000001), d = f32x4.splat(1e-7);
  let m0 = f32x4.splat(x), m1 = f32x4.splat(x + 1), m2 = f32x4.splat(x + 2), m3 = f32x4.splat(x + 3), m4 = f32x4.splat(x + 4), m5 = f32x4.splat(x + 5);
  let a0 = f32x4.splat(x + 6), a1 = f32x4.splat(x + 7), a2 = f32x4.splat(x + 8), a3 = f32x4.splat(x + 9), a4 = f32x4.splat(x + 10), a5 = f32x4.splat(x + 11);
  for (let i = 0; i < n; i++) {
    m0 = f32x4.mul(m0, k); a0 = f32x4.add(a0, d); m1 = f32x4.mul(m1, k); a1 = f32x4.add(a1, d);
    m2 = f32x4.mul(m2, k); a2 = f32x4.add(a2, d); m3 = f32x4.mul(m3, k); a3 = f32x4.add(a3, d);
    m4 = f32x4.mul(m4, k); a4 = f32x4.add(a4, d); m5 = f32x4.mul(m5, k); a5 = f32x4.add(a5, d);
  }
  return f32x4.extract_lane(f32x4.add(f32x4.add(sum8(m0, m1, m2, m3, m4, m5, a0, a1), f32x4.add(a2, a3)), f32x4.add(a4, a5)), 0);
}
export function tile48(reps: i32, pa: usize, pb: usize): f32 {
  let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (let r = 0; r < reps; r++) {
    let ap = pa, bp = pb;
    const ae = pa + (256 << 4);
    while (ap < ae) {
      const b0 = v128.load(bp), b1 = v128.load(bp, 16);
      let av = v128.load32_splat(ap);
      c00 = f32x4.add(c00, f32x4.mul(av, b0)); c01 = f32x4.add(c01, f32x4.mul(av, b1));
      av = v128.load32_splat(ap, 4);
      c10 = f32x4.add(c10, f32x4.mul(av, b0)); c11 = f32x4.add(c11, f32x4.mul(av, b1));
      av = v128.load32_splat(ap, 8);
      c20 = f32x4.add(c20, f32x4.mul(av, b0)); c21 = f32x4.add(c21, f32x4.mul(av, b1));
      av = v128.load32_splat(ap, 12);
      c30 = f32x4.add(c30, f32x4.mul(av, b0)); c31 = f32x4.add(c31, f32x4.mul(av, b1));
      ap += 16; bp += 32;
    }
  }
  return f32x4.extract_lane(sum8(c00, c01, c10, c11, c20, c21, c30, c31), 0);
}

// relaxed_madd (FMA where the CPU has it): each accumulator its own chain
@inline function fma(acc: v128, a: v128, b: v128): v128 { return f32x4.relaxed_madd(a, b, acc); }
export function fma8(n: i32, x: f32): f32 {
  const a = f32x4.splat(x), b = f32x4.splat(1.0000001);
  let c0 = a, c1 = a, c2 = a, c3 = a, c4 = a, c5 = a, c6 = a, c7 = a;
  for (let i = 0; i < n; i++) { c0 = fma(c0, a, b); c1 = fma(c1, a, b); c2 = fma(c2, a, b); c3 = fma(c3, a, b); c4 = fma(c4, a, b); c5 = fma(c5, a, b); c6 = fma(c6, a, b); c7 = fma(c7, a, b); }
  return f32x4.extract_lane(sum8(c0, c1, c2, c3, c4, c5, c6, c7), 0);
}
export function fma12(n: i32, x: f32): f32 {
  const a = f32x4.splat(x), b = f32x4.splat(1.0000001);
  let c0 = a, c1 = a, c2 = a, c3 = a, c4 = a, c5 = a, c6 = a, c7 = a, c8 = a, c9 = a, c10 = a, c11 = a;
  for (let i = 0; i < n; i++) { c0 = fma(c0, a, b); c1 = fma(c1, a, b); c2 = fma(c2, a, b); c3 = fma(c3, a, b); c4 = fma(c4, a, b); c5 = fma(c5, a, b); c6 = fma(c6, a, b); c7 = fma(c7, a, b); c8 = fma(c8, a, b); c9 = fma(c9, a, b); c10 = fma(c10, a, b); c11 = fma(c11, a, b); }
  return f32x4.extract_lane(f32x4.add(f32x4.add(sum8(c0, c1, c2, c3, c4, c5, c6, c7), f32x4.add(c8, c9)), f32x4.add(c10, c11)), 0);
}

@inline function sum8(c0: v128, c1: v128, c2: v128, c3: v128, c4: v128, c5: v128, c6: v128, c7: v128): v128 {
  return f32x4.add(f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)), f32x4.add(f32x4.add(c4, c5), f32x4.add(c6, c7)));
}
