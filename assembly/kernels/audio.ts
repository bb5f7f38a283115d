// Audio front end (keyword spotting): 16 kHz PCM → power spectrogram → mel / MFCC → normalized.
// Inference only: these ops have no parameters and no backward (nothing upstream of PCM is trained).
//   stft_power:  x (B, L) PCM; frame f = x[f*step, f*step + flen) * win (flen), zero-padded to nfft
//                (no centering, as tf.signal.stft / librosa center=False); y (B, F, nfft/2 + 1) = |rfft|²
//   mel_project: y (R, M) = W (M, K) · x (R, K) per row, then log(v + eps) when log = 1
//                (mel filterbank + log; the same op with a DCT-II matrix and log = 0 gives MFCCs)
//   chan_norm:   x, y (B, F, C): each channel of each sample normalized over its F frames by its own
//                mean and biased variance, y = (x - mean) / sqrt(var + eps)
// __ref forms are the definitions (stft_power__ref a direct DFT in f64, ignoring tw); __simd forms:
// a real FFT (complex FFT of nfft/2 points on packed even/odd samples, radix 2, four butterflies per
// vector from stage 4 on, then the even/odd split) and four-lane sums. tw (2 nfft + 2) is the twiddle
// table the host writes (src/layers/audio.ts audioTwiddles): per stage h = 1, 2, 4, … nfft/4 the h
// values cos, then -sin of 2πj/(2h) at offset 2(h - 1); then cos, -sin of 2πk/nfft, k = 0 … nfft/2,
// interleaved, at offset nfft. scratch: nfft floats.
import { vld, vst, vsplat, vadd, vsub, vmul, vsum, vzero, vsqrt, vdiv } from '../simd';

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize { return p + (<usize>i << 2); }
// @ts-ignore: decorator
@inline function ld(p: usize, i: i32): f32 { return load<f32>(at(p, i)); }
// @ts-ignore: decorator
@inline function st(p: usize, i: i32, v: f32): void { store<f32>(at(p, i), v); }

// ---------------------------------------------------------------- stft_power

export function f32_stft_power_fwd__ref(y: usize, x: usize, win: usize, tw: usize, scratch: usize, B: i32, L: i32, F: i32, flen: i32, step: i32, nfft: i32): void {
  const K = (nfft >> 1) + 1;
  for (let b = 0; b < B; b++) for (let fr = 0; fr < F; fr++) {
    const xf = x + (<usize>(b * L + fr * step) << 2), yf = y + (<usize>(b * F + fr) * K << 2);
    for (let k = 0; k < K; k++) {
      let re: f64 = 0, im: f64 = 0;
      for (let n = 0; n < flen; n++) {
        const v = <f64>ld(xf, n) * <f64>ld(win, n), a = 2 * Math.PI * <f64>((<i64>k * n) % nfft) / <f64>nfft;
        re += v * Math.cos(a); im -= v * Math.sin(a);
      }
      st(yf, k, <f32>(re * re + im * im));
    }
  }
}

export function f32_stft_power_fwd__simd(y: usize, x: usize, win: usize, tw: usize, scratch: usize, B: i32, L: i32, F: i32, flen: i32, step: i32, nfft: i32): void {
  const M = nfft >> 1, K = M + 1, re = scratch, im = scratch + (<usize>M << 2);
  let bits = 0;
  while ((1 << bits) < M) bits++;
  for (let b = 0; b < B; b++) for (let fr = 0; fr < F; fr++) {
    const xf = x + (<usize>(b * L + fr * step) << 2), yf = y + (<usize>(b * F + fr) * K << 2);
    // z[n] = x[2n] + i x[2n+1] (windowed, zero past flen), stored at bit-reversed n
    for (let n = 0; n < M; n++) {
      const e = 2 * n, r = rev(n, bits);
      st(re, r, e < flen ? ld(xf, e) * ld(win, e) : 0);
      st(im, r, e + 1 < flen ? ld(xf, e + 1) * ld(win, e + 1) : 0);
    }
    fftStages(re, im, tw, M);
    split(yf, re, im, tw + (<usize>nfft << 2), M);
  }
}

// @ts-ignore: decorator
@inline function rev(n: i32, bits: i32): i32 { let r = 0; for (let b = 0; b < bits; b++) { r = (r << 1) | (n & 1); n >>= 1; } return r; }

/** In-place radix-2 decimation-in-time FFT of M points (bit-reversed input, natural-order output). */
function fftStages(re: usize, im: usize, tw: usize, M: i32): void {
  // h = 1 and h = 2: twiddles 1 and -i, scalar
  for (let s = 0; s + 1 < M; s += 2) {
    const ar = ld(re, s), ai = ld(im, s), br = ld(re, s + 1), bi = ld(im, s + 1);
    st(re, s, ar + br); st(im, s, ai + bi); st(re, s + 1, ar - br); st(im, s + 1, ai - bi);
  }
  for (let s = 0; s + 3 < M; s += 4) {
    let ar = ld(re, s), ai = ld(im, s), br = ld(re, s + 2), bi = ld(im, s + 2);
    st(re, s, ar + br); st(im, s, ai + bi); st(re, s + 2, ar - br); st(im, s + 2, ai - bi);
    // b * (-i) = (bi, -br)
    ar = ld(re, s + 1); ai = ld(im, s + 1); br = ld(re, s + 3); bi = ld(im, s + 3);
    st(re, s + 1, ar + bi); st(im, s + 1, ai - br); st(re, s + 3, ar - bi); st(im, s + 3, ai + br);
  }
  for (let h = 4; h < M; h <<= 1) {
    const wr = tw + (<usize>(2 * (h - 1)) << 2), wi = wr + (<usize>h << 2);
    for (let s = 0; s < M; s += 2 * h) for (let j = 0; j < h; j += 4) {
      const pa = s + j, pb = pa + h;
      const vwr = vld(at(wr, j)), vwi = vld(at(wi, j));
      const br = vld(at(re, pb)), bi = vld(at(im, pb));
      const tr = vsub(vmul(br, vwr), vmul(bi, vwi)), ti = vadd(vmul(br, vwi), vmul(bi, vwr));
      const ar = vld(at(re, pa)), ai = vld(at(im, pa));
      vst(at(re, pa), vadd(ar, tr)); vst(at(im, pa), vadd(ai, ti));
      vst(at(re, pb), vsub(ar, tr)); vst(at(im, pb), vsub(ai, ti));
    }
  }
}

/** Z = FFT_M of the packed samples → power of the real signal's spectrum, bins 0 … M (wk: cos, -sin of 2πk/2M). */
function split(y: usize, re: usize, im: usize, wk: usize, M: i32): void {
  for (let k = 0; k <= M; k++) {
    const a = k == M ? 0 : k, c = k == 0 ? 0 : M - k;
    const zr = ld(re, a), zi = ld(im, a), cr = ld(re, c), ci = -ld(im, c);
    const er = <f32>0.5 * (zr + cr), ei = <f32>0.5 * (zi + ci);
    // O = (Z - conj Z') / 2i
    const or = <f32>0.5 * (zi - ci), oi = <f32>-0.5 * (zr - cr);
    const wr = ld(wk, 2 * k), wi = ld(wk, 2 * k + 1);
    const xr = er + or * wr - oi * wi, xi = ei + or * wi + oi * wr;
    st(y, k, xr * xr + xi * xi);
  }
}

// ---------------------------------------------------------------- mel_project

export function f32_mel_project_fwd__ref(y: usize, x: usize, w: usize, R: i32, K: i32, M: i32, log: i32, eps: f32): void {
  for (let r = 0; r < R; r++) {
    const xr = x + (<usize>r * K << 2), yr = y + (<usize>r * M << 2);
    for (let m = 0; m < M; m++) {
      const wm = w + (<usize>m * K << 2);
      let s: f32 = 0;
      for (let k = 0; k < K; k++) s += ld(wm, k) * ld(xr, k);
      st(yr, m, log ? Mathf.log(s + eps) : s);
    }
  }
}

export function f32_mel_project_fwd__simd(y: usize, x: usize, w: usize, R: i32, K: i32, M: i32, log: i32, eps: f32): void {
  const K4 = K & ~3;
  for (let r = 0; r < R; r++) {
    const xr = x + (<usize>r * K << 2), yr = y + (<usize>r * M << 2);
    for (let m = 0; m < M; m++) {
      const wm = w + (<usize>m * K << 2);
      let v = vzero(), k = 0;
      for (; k < K4; k += 4) v = vadd(v, vmul(vld(at(wm, k)), vld(at(xr, k))));
      let s = vsum(v);
      for (; k < K; k++) s += ld(wm, k) * ld(xr, k);
      st(yr, m, log ? Mathf.log(s + eps) : s);
    }
  }
}

// ---------------------------------------------------------------- chan_norm

export function f32_chan_norm_fwd__ref(y: usize, x: usize, B: i32, F: i32, C: i32, eps: f32): void {
  for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) {
    const xb = x + (<usize>b * F * C << 2), yb = y + (<usize>b * F * C << 2);
    let s: f32 = 0;
    for (let t = 0; t < F; t++) s += ld(xb, t * C + c);
    const mu = s / <f32>F;
    let q: f32 = 0;
    for (let t = 0; t < F; t++) { const d = ld(xb, t * C + c) - mu; q += d * d; }
    const inv = <f32>1 / Mathf.sqrt(q / <f32>F + eps);
    for (let t = 0; t < F; t++) st(yb, t * C + c, (ld(xb, t * C + c) - mu) * inv);
  }
}

export function f32_chan_norm_fwd__simd(y: usize, x: usize, B: i32, F: i32, C: i32, eps: f32): void {
  const C4 = C & ~3, vF = vsplat(<f32>F), veps = vsplat(eps), one = vsplat(1);
  for (let b = 0; b < B; b++) {
    const xb = x + (<usize>b * F * C << 2), yb = y + (<usize>b * F * C << 2);
    // four channels at a time: the same sums in the same order as __ref (lanes are channels)
    let c = 0;
    for (; c < C4; c += 4) {
      let s = vzero();
      for (let t = 0; t < F; t++) s = vadd(s, vld(at(xb, t * C + c)));
      const mu = vdiv(s, vF);
      let q = vzero();
      for (let t = 0; t < F; t++) { const d = vsub(vld(at(xb, t * C + c)), mu); q = vadd(q, vmul(d, d)); }
      const inv = vdiv(one, vsqrt(vadd(vdiv(q, vF), veps)));
      for (let t = 0; t < F; t++) vst(at(yb, t * C + c), vmul(vsub(vld(at(xb, t * C + c)), mu), inv));
    }
    for (; c < C; c++) {
      let s: f32 = 0;
      for (let t = 0; t < F; t++) s += ld(xb, t * C + c);
      const mu = s / <f32>F;
      let q: f32 = 0;
      for (let t = 0; t < F; t++) { const d = ld(xb, t * C + c) - mu; q += d * d; }
      const inv = <f32>1 / Mathf.sqrt(q / <f32>F + eps);
      for (let t = 0; t < F; t++) st(yb, t * C + c, (ld(xb, t * C + c) - mu) * inv);
    }
  }
}
