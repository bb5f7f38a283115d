// Training-time data augmentation, seeded: images x, y: (N, H, W, C) f32 (NHWC), sequences
// x, y: (N, T, F) f32. Each sample draws its random parameters from the model's PRNG state
// (rng_next / rng_uniform of data.ts) in sample order, before touching any pixel, so __ref and
// __simd draw the same numbers and one seed reproduces a run on every target.
//   flip:       one draw per enabled axis, flip with probability 1/2 (horizontal, then vertical).
//   translate:  integer shifts dy in [-maxDy, maxDy], then dx in [-maxDx, maxDx]; zeros shift in.
//   rotate:     angle (2u - 1) * maxAngle radians about the image centre, bilinear, zeros outside.
//   noise:      y = x + std * z, z standard normal (Box-Muller on pairs, as rng_fill_normal).
//   brightness/contrast: b = (2u - 1) * maxDelta, then k = 1 + (2u - 1) * maxContrast;
//               y = clamp((x - m) * k + m + b, lo, hi), m = the sample's per-channel mean.
//   seq scale:  s (N, F) = 1 + sigma * z per sample and feature; y = x * s (broadcast over T);
//               bwd dx += dy * s.
// NOTE: geometric kernels fill with zeros (Keras fill_mode="constant", fill_value=0).
import { rng_next, rng_uniform } from './data';

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize { return p + (<usize>i << 2); }

/** Integer uniform in [-k, k] from one draw (multiply-shift: exact, no f32 rounding at the top). */
// @ts-ignore: decorator
@inline function drawShift(state: usize, k: i32): i32 { return <i32>((<u64>rng_next(state) * <u64>(2 * k + 1)) >> 32) - k; }

/** Uniform in [-a, a) from one draw. */
// @ts-ignore: decorator
@inline function drawSym(state: usize, a: f32): f32 { return (<f32>2 * rng_uniform(state) - <f32>1) * a; }

let pairR: f64 = 0, pairT: f64 = 0, angleSin: f32 = 0; // second results of normalPair / drawAngle

/** One Box-Muller pair, as rng_fill_normal__ref: returns r cos t; normalPairSecond() gives r sin t. */
// @ts-ignore: decorator
@inline function normalPair(state: usize): f64 {
  const u1 = (<f64>(rng_next(state) >> 8) + 1) * 5.9604644775390625e-8;
  const u2 = <f64>(rng_next(state) >> 8) * 5.9604644775390625e-8;
  pairR = Math.sqrt(-2 * Math.log(u1));
  pairT = 6.283185307179586 * u2;
  return pairR * Math.cos(pairT);
}
// @ts-ignore: decorator
@inline function normalPairSecond(): f64 { return pairR * Math.sin(pairT); }

// ---- random flip ----

// y, x: (N, H, W, C) f32
export function f32_random_flip_fwd__ref(y: usize, x: usize, state: usize, N: i32, H: i32, W: i32, C: i32, flipH: i32, flipV: i32): void {
  for (let n = 0; n < N; n++) {
    const fh = flipH != 0 && rng_uniform(state) < <f32>0.5;
    const fv = flipV != 0 && rng_uniform(state) < <f32>0.5;
    for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) for (let c = 0; c < C; c++) {
      const sh = fv ? H - 1 - h : h, sw = fh ? W - 1 - w : w;
      store<f32>(at(y, ((n * H + h) * W + w) * C + c), load<f32>(at(x, ((n * H + sh) * W + sw) * C + c)));
    }
  }
}

export function f32_random_flip_fwd__simd(y: usize, x: usize, state: usize, N: i32, H: i32, W: i32, C: i32, flipH: i32, flipV: i32): void {
  const rowBytes = <usize>(W * C) << 2;
  for (let n = 0; n < N; n++) {
    const fh = flipH != 0 && rng_uniform(state) < <f32>0.5;
    const fv = flipV != 0 && rng_uniform(state) < <f32>0.5;
    for (let h = 0; h < H; h++) {
      const dst = at(y, (n * H + h) * W * C), src = at(x, (n * H + (fv ? H - 1 - h : h)) * W * C);
      if (!fh) { memory.copy(dst, src, rowBytes); continue; }
      let w = 0;
      if (C == 1) { // reverse 4 pixels per vector
        for (; w + 4 <= W; w += 4) {
          const v = v128.load(at(src, W - 4 - w));
          v128.store(at(dst, w), i32x4.shuffle(v, v, 3, 2, 1, 0));
        }
      }
      for (; w < W; w++) {
        const d = at(dst, w * C), s = at(src, (W - 1 - w) * C);
        let c = 0;
        for (; c + 4 <= C; c += 4) v128.store(at(d, c), v128.load(at(s, c)));
        for (; c < C; c++) store<f32>(at(d, c), load<f32>(at(s, c)));
      }
    }
  }
}

// ---- random translation (integer shift, zero fill) ----

// y, x: (N, H, W, C) f32; y[h, w] = x[h - dy, w - dx]
export function f32_random_translate_fwd__ref(y: usize, x: usize, state: usize, N: i32, H: i32, W: i32, C: i32, maxDy: i32, maxDx: i32): void {
  for (let n = 0; n < N; n++) {
    const dy = drawShift(state, maxDy), dx = drawShift(state, maxDx);
    for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) for (let c = 0; c < C; c++) {
      const sh = h - dy, sw = w - dx;
      const v: f32 = sh >= 0 && sh < H && sw >= 0 && sw < W ? load<f32>(at(x, ((n * H + sh) * W + sw) * C + c)) : 0;
      store<f32>(at(y, ((n * H + h) * W + w) * C + c), v);
    }
  }
}

export function f32_random_translate_fwd__simd(y: usize, x: usize, state: usize, N: i32, H: i32, W: i32, C: i32, maxDy: i32, maxDx: i32): void {
  const rowBytes = <usize>(W * C) << 2;
  for (let n = 0; n < N; n++) {
    const dy = drawShift(state, maxDy), dx = drawShift(state, maxDx);
    const w0 = max(0, dx), w1 = min(W, W + dx); // destination columns with a source
    for (let h = 0; h < H; h++) {
      const dst = at(y, (n * H + h) * W * C), sh = h - dy;
      if (sh < 0 || sh >= H || w0 >= w1) { memory.fill(dst, 0, rowBytes); continue; }
      const src = at(x, (n * H + sh) * W * C);
      memory.fill(dst, 0, <usize>(w0 * C) << 2);
      memory.copy(at(dst, w0 * C), at(src, (w0 - dx) * C), <usize>((w1 - w0) * C) << 2);
      memory.fill(at(dst, w1 * C), 0, <usize>((W - w1) * C) << 2);
    }
  }
}

// ---- random rotation (bilinear, zero fill) ----

// @ts-ignore: decorator
@inline function pix(x: usize, H: i32, W: i32, C: i32, h: i32, w: i32, c: i32): f32 {
  return <u32>h < <u32>H && <u32>w < <u32>W ? load<f32>(at(x, (h * W + w) * C + c)) : 0;
}

/** Bilinear sample of one channel of image x (H, W, C) at (sy, sx); zeros outside. Shared by both twins. */
// @ts-ignore: decorator
@inline function bilinear(x: usize, H: i32, W: i32, C: i32, sy: f32, sx: f32, c: i32): f32 {
  const y0f = Mathf.floor(sy), x0f = Mathf.floor(sx);
  const fy = sy - y0f, fx = sx - x0f, y0 = <i32>y0f, x0 = <i32>x0f;
  const top = (<f32>1 - fx) * pix(x, H, W, C, y0, x0, c) + fx * pix(x, H, W, C, y0, x0 + 1, c);
  const bot = (<f32>1 - fx) * pix(x, H, W, C, y0 + 1, x0, c) + fx * pix(x, H, W, C, y0 + 1, x0 + 1, c);
  return (<f32>1 - fy) * top + fy * bot;
}

/** cos and sin of the sample's angle (one draw). */
// @ts-ignore: decorator
@inline function drawAngle(state: usize, maxAngle: f32): f64 {
  const a = <f64>drawSym(state, maxAngle);
  angleSin = <f32>Math.sin(a);
  return Math.cos(a);
}

// y, x: (N, H, W, C) f32; y[h, w] = x at (cy + ca (h - cy) - sa (w - cx), cx + sa (h - cy) + ca (w - cx))
export function f32_random_rotate_fwd__ref(y: usize, x: usize, state: usize, N: i32, H: i32, W: i32, C: i32, maxAngle: f32): void {
  const cy = <f32>(H - 1) * <f32>0.5, cx = <f32>(W - 1) * <f32>0.5, img = H * W * C;
  for (let n = 0; n < N; n++) {
    const ca = <f32>drawAngle(state, maxAngle), sa = angleSin;
    const xs = at(x, n * img);
    for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) {
      const dh = <f32>h - cy, dw = <f32>w - cx;
      const sy = ca * dh - sa * dw + cy, sx = sa * dh + ca * dw + cx;
      for (let c = 0; c < C; c++) store<f32>(at(y, n * img + (h * W + w) * C + c), bilinear(xs, H, W, C, sy, sx, c));
    }
  }
}

// SIMD over 4 output columns (C = 1) or 4 channels; coordinate and blend math in the same order as __ref.
export function f32_random_rotate_fwd__simd(y: usize, x: usize, state: usize, N: i32, H: i32, W: i32, C: i32, maxAngle: f32): void {
  const cy = <f32>(H - 1) * <f32>0.5, cx = <f32>(W - 1) * <f32>0.5, img = H * W * C;
  const one = f32x4.splat(1), lane = f32x4(0, 1, 2, 3);
  for (let n = 0; n < N; n++) {
    const ca = <f32>drawAngle(state, maxAngle), sa = angleSin;
    const xs = at(x, n * img), ys = at(y, n * img);
    const vca = f32x4.splat(ca), vsa = f32x4.splat(sa), vcy = f32x4.splat(cy), vcx = f32x4.splat(cx);
    for (let h = 0; h < H; h++) {
      const dh = <f32>h - cy, vdh = f32x4.splat(dh);
      let w = 0;
      if (C == 1) {
        for (; w + 4 <= W; w += 4) {
          const dw = f32x4.sub(f32x4.add(f32x4.splat(<f32>w), lane), vcx);
          const sy = f32x4.add(f32x4.sub(f32x4.mul(vca, vdh), f32x4.mul(vsa, dw)), vcy);
          const sx = f32x4.add(f32x4.add(f32x4.mul(vsa, vdh), f32x4.mul(vca, dw)), vcx);
          const y0f = f32x4.floor(sy), x0f = f32x4.floor(sx);
          const fy = f32x4.sub(sy, y0f), fx = f32x4.sub(sx, x0f);
          const y0 = i32x4.trunc_sat_f32x4_s(y0f), x0 = i32x4.trunc_sat_f32x4_s(x0f);
          // all four neighbours of all four lanes inside: 0 <= y0 <= H-2 and 0 <= x0 <= W-2
          const inside = v128.and(v128.and(i32x4.ge_s(y0, i32x4.splat(0)), i32x4.le_s(y0, i32x4.splat(H - 2))),
            v128.and(i32x4.ge_s(x0, i32x4.splat(0)), i32x4.le_s(x0, i32x4.splat(W - 2))));
          if (!v128.all_true<i32>(inside)) {
            for (let k = 0; k < 4; k++) {
              const dwk = <f32>(w + k) - cx;
              store<f32>(at(ys, h * W + w + k), bilinear(xs, H, W, 1, ca * dh - sa * dwk + cy, sa * dh + ca * dwk + cx, 0));
            }
            continue;
          }
          const o = i32x4.add(i32x4.mul(y0, i32x4.splat(W)), x0);
          const p0 = at(xs, i32x4.extract_lane(o, 0)), p1 = at(xs, i32x4.extract_lane(o, 1));
          const p2 = at(xs, i32x4.extract_lane(o, 2)), p3 = at(xs, i32x4.extract_lane(o, 3));
          const rb = <usize>W << 2;
          const v00 = gather4(p0, p1, p2, p3, 0), v01 = gather4(p0, p1, p2, p3, 4);
          const v10 = gather4(p0, p1, p2, p3, rb), v11 = gather4(p0, p1, p2, p3, rb + 4);
          const gx = f32x4.sub(one, fx);
          const top = f32x4.add(f32x4.mul(gx, v00), f32x4.mul(fx, v01));
          const bot = f32x4.add(f32x4.mul(gx, v10), f32x4.mul(fx, v11));
          v128.store(at(ys, h * W + w), f32x4.add(f32x4.mul(f32x4.sub(one, fy), top), f32x4.mul(fy, bot)));
        }
      }
      for (; w < W; w++) {
        const dw = <f32>w - cx;
        const sy = ca * dh - sa * dw + cy, sx = sa * dh + ca * dw + cx;
        let c = 0;
        if (C >= 4) {
          const y0f = Mathf.floor(sy), x0f = Mathf.floor(sx), y0 = <i32>y0f, x0 = <i32>x0f;
          if (y0 >= 0 && y0 <= H - 2 && x0 >= 0 && x0 <= W - 2) {
            const fy = f32x4.splat(sy - y0f), fx = f32x4.splat(sx - x0f), gx = f32x4.sub(one, fx), gy = f32x4.sub(one, fy);
            const q = at(xs, (y0 * W + x0) * C), rb = <usize>(W * C) << 2, pb = <usize>C << 2;
            for (; c + 4 <= C; c += 4) {
              const qc = at(q, c);
              const top = f32x4.add(f32x4.mul(gx, v128.load(qc)), f32x4.mul(fx, v128.load(qc + pb)));
              const bot = f32x4.add(f32x4.mul(gx, v128.load(qc + rb)), f32x4.mul(fx, v128.load(qc + rb + pb)));
              v128.store(at(ys, (h * W + w) * C + c), f32x4.add(f32x4.mul(gy, top), f32x4.mul(fy, bot)));
            }
          }
        }
        for (; c < C; c++) store<f32>(at(ys, (h * W + w) * C + c), bilinear(xs, H, W, C, sy, sx, c));
      }
    }
  }
}

// @ts-ignore: decorator
@inline function gather4(p0: usize, p1: usize, p2: usize, p3: usize, off: usize): v128 {
  let v = f32x4.splat(load<f32>(p0 + off));
  v = f32x4.replace_lane(v, 1, load<f32>(p1 + off));
  v = f32x4.replace_lane(v, 2, load<f32>(p2 + off));
  return f32x4.replace_lane(v, 3, load<f32>(p3 + off));
}

// ---- Gaussian noise (images and sequence jitter) ----

// y, x: (n) f32; y = x + std * z. y may be x. NOTE: no __simd: the sequential draws dominate.
export function f32_gaussian_noise_fwd__ref(y: usize, x: usize, state: usize, n: i32, std: f32): void {
  for (let i = 0; i < n; i += 2) {
    const z0 = <f32>normalPair(state);
    store<f32>(at(y, i), load<f32>(at(x, i)) + std * z0);
    if (i + 1 < n) store<f32>(at(y, i + 1), load<f32>(at(x, i + 1)) + std * <f32>normalPairSecond());
  }
}

// ---- brightness and contrast ----

/** Per-channel means of one image (H*W rows of C) into m (C); f64 sums, the same in both twins. */
// @ts-ignore: decorator
@inline function channelMeans(m: usize, xs: usize, HW: i32, C: i32): void {
  for (let c = 0; c < C; c++) {
    let s: f64 = 0;
    for (let i = 0; i < HW; i++) s += <f64>load<f32>(at(xs, i * C + c));
    store<f32>(at(m, c), <f32>(s / <f64>HW));
  }
}

// y, x: (N, H, W, C) f32; m: (N, C) f32 per-sample channel means (written; scratch for the host)
export function f32_brightness_contrast_fwd__ref(y: usize, m: usize, x: usize, state: usize, N: i32, H: i32, W: i32, C: i32,
                                                 maxDelta: f32, maxContrast: f32, lo: f32, hi: f32): void {
  const HW = H * W;
  for (let n = 0; n < N; n++) {
    const b = drawSym(state, maxDelta), k = <f32>1 + drawSym(state, maxContrast);
    const xs = at(x, n * HW * C), ys = at(y, n * HW * C), mn = at(m, n * C);
    channelMeans(mn, xs, HW, C);
    for (let i = 0; i < HW; i++) for (let c = 0; c < C; c++) {
      const mc = load<f32>(at(mn, c));
      store<f32>(at(ys, i * C + c), min(hi, max(lo, (load<f32>(at(xs, i * C + c)) - mc) * k + (mc + b))));
    }
  }
}

export function f32_brightness_contrast_fwd__simd(y: usize, m: usize, x: usize, state: usize, N: i32, H: i32, W: i32, C: i32,
                                                  maxDelta: f32, maxContrast: f32, lo: f32, hi: f32): void {
  const HW = H * W, vlo = f32x4.splat(lo), vhi = f32x4.splat(hi);
  for (let n = 0; n < N; n++) {
    const b = drawSym(state, maxDelta), k = <f32>1 + drawSym(state, maxContrast), vk = f32x4.splat(k);
    const xs = at(x, n * HW * C), ys = at(y, n * HW * C), mn = at(m, n * C);
    channelMeans(mn, xs, HW, C);
    if (C == 1 || C == 2 || C == 4) { // the channel pattern repeats every 4 values: one mean vector
      const vm = C == 1 ? f32x4.splat(load<f32>(mn)) : C == 2 ? v128.load64_splat(mn) : v128.load(mn);
      const vmb = f32x4.add(vm, f32x4.splat(b)), tot = HW * C;
      let i = 0;
      for (; i + 4 <= tot; i += 4) {
        const v = f32x4.add(f32x4.mul(f32x4.sub(v128.load(at(xs, i)), vm), vk), vmb);
        v128.store(at(ys, i), f32x4.min(vhi, f32x4.max(vlo, v)));
      }
      for (; i < tot; i++) {
        const mc = load<f32>(at(mn, i % C));
        store<f32>(at(ys, i), min(hi, max(lo, (load<f32>(at(xs, i)) - mc) * k + (mc + b))));
      }
      continue;
    }
    for (let i = 0; i < HW; i++) {
      let c = 0;
      for (; c + 4 <= C; c += 4) {
        const vm = v128.load(at(mn, c));
        const v = f32x4.add(f32x4.mul(f32x4.sub(v128.load(at(xs, i * C + c)), vm), vk), f32x4.add(vm, f32x4.splat(b)));
        v128.store(at(ys, i * C + c), f32x4.min(vhi, f32x4.max(vlo, v)));
      }
      for (; c < C; c++) {
        const mc = load<f32>(at(mn, c));
        store<f32>(at(ys, i * C + c), min(hi, max(lo, (load<f32>(at(xs, i * C + c)) - mc) * k + (mc + b))));
      }
    }
  }
}

// ---- sequence scaling ----

// y, x: (N, T, F) f32; s: (N, F) f32 = 1 + sigma * z (written, saved for bwd)
export function f32_seq_scale_fwd__ref(y: usize, s: usize, x: usize, state: usize, N: i32, T: i32, F: i32, sigma: f32): void {
  drawScales(s, state, N * F, sigma);
  for (let n = 0; n < N; n++) for (let t = 0; t < T; t++) for (let f = 0; f < F; f++) {
    const o = (n * T + t) * F + f;
    store<f32>(at(y, o), load<f32>(at(x, o)) * load<f32>(at(s, n * F + f)));
  }
}

export function f32_seq_scale_fwd__simd(y: usize, s: usize, x: usize, state: usize, N: i32, T: i32, F: i32, sigma: f32): void {
  drawScales(s, state, N * F, sigma);
  for (let n = 0; n < N; n++) scaleRows(y, 0, x, at(s, n * F), n, T, F);
}

// dx, dy: (N, T, F) f32; s: (N, F) f32; dx += dy * s
export function f32_seq_scale_bwd__ref(dx: usize, dy: usize, s: usize, N: i32, T: i32, F: i32): void {
  for (let n = 0; n < N; n++) for (let t = 0; t < T; t++) for (let f = 0; f < F; f++) {
    const o = (n * T + t) * F + f;
    store<f32>(at(dx, o), load<f32>(at(dx, o)) + load<f32>(at(dy, o)) * load<f32>(at(s, n * F + f)));
  }
}

export function f32_seq_scale_bwd__simd(dx: usize, dy: usize, s: usize, N: i32, T: i32, F: i32): void {
  for (let n = 0; n < N; n++) scaleRows(dx, 1, dy, at(s, n * F), n, T, F);
}

// @ts-ignore: decorator
@inline function drawScales(s: usize, state: usize, nf: i32, sigma: f32): void {
  for (let i = 0; i < nf; i += 2) {
    store<f32>(at(s, i), <f32>1 + sigma * <f32>normalPair(state));
    if (i + 1 < nf) store<f32>(at(s, i + 1), <f32>1 + sigma * <f32>normalPairSecond());
  }
}

/** Rows (T, F) of sample n: out = src * sn (acc 0) or out += src * sn (acc 1). */
// @ts-ignore: decorator
@inline function scaleRows(out: usize, acc: i32, src: usize, sn: usize, n: i32, T: i32, F: i32): void {
  const base = n * T * F;
  if (F == 1) { // one factor for the whole sample
    const v = f32x4.splat(load<f32>(sn)), sv = load<f32>(sn);
    let i = 0;
    for (; i + 4 <= T; i += 4) {
      const p = at(out, base + i), q = f32x4.mul(v128.load(at(src, base + i)), v);
      v128.store(p, acc ? f32x4.add(v128.load(p), q) : q);
    }
    for (; i < T; i++) {
      const p = at(out, base + i), q = load<f32>(at(src, base + i)) * sv;
      store<f32>(p, acc ? load<f32>(p) + q : q);
    }
    return;
  }
  for (let t = 0; t < T; t++) {
    const o = base + t * F;
    let f = 0;
    for (; f + 4 <= F; f += 4) {
      const p = at(out, o + f), q = f32x4.mul(v128.load(at(src, o + f)), v128.load(at(sn, f)));
      v128.store(p, acc ? f32x4.add(v128.load(p), q) : q);
    }
    for (; f < F; f++) {
      const p = at(out, o + f), q = load<f32>(at(src, o + f)) * load<f32>(at(sn, f));
      store<f32>(p, acc ? load<f32>(p) + q : q);
    }
  }
}
