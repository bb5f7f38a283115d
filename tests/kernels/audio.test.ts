// Audio front end kernels: __simd (real FFT, four-lane sums) against __ref (direct DFT in f64,
// in-order sums), inside guarded buffers, at FFT sizes from one butterfly stage to 512 points,
// frames shorter than the FFT (zero padding), ragged filterbank and channel counts.
import { describe, it } from 'vitest';
import { engine, randn } from '../helpers.js';
import { call, twins, out, inp, close, expectMatch } from './kit.js';
import { audioTwiddles, hannWindow, melFilterbank, dctMatrix } from '../../src/layers/audio.js';

const e = await engine();

describe('stft_power: the real FFT matches the direct DFT', () => {
  // [B, L, flen, step, nfft]
  const CASES: [number, number, number, number, number][] = [[1, 8, 8, 8, 8], [1, 16, 16, 4, 16], [2, 40, 12, 7, 16], [1, 64, 64, 32, 64], [2, 300, 100, 50, 128], [1, 1000, 480, 320, 512], [1, 512, 400, 112, 512]];
  it.each(CASES)('B=%i L=%i flen=%i step=%i nfft=%i', (B, L, flen, step, nfft) => {
    const F = Math.floor((L - flen) / step) + 1, K = nfft / 2 + 1;
    const x = randn(B * L, 3, 0.5), args = [out(B * F * K), inp(x), inp(hannWindow(flen)), inp(audioTwiddles(nfft)), out(nfft), B, L, F, flen, step, nfft];
    const [ref] = call(e, 'f32_stft_power_fwd__ref', args), [fast] = call(e, 'f32_stft_power_fwd__simd', args);
    // power values span decades: compare against the frame's largest bin
    for (let r = 0; r < B * F; r++) {
      const peak = Math.max(...ref.subarray(r * K, (r + 1) * K));
      expectMatch(fast.subarray(r * K, (r + 1) * K), ref.subarray(r * K, (r + 1) * K), close(1e-4, 2e-6 * peak + 1e-9), `frame ${r}`);
    }
  });
});

describe('mel_project and chan_norm: __simd matches __ref', () => {
  it.each([[1, 1, 1], [3, 5, 2], [4, 8, 3], [5, 257, 40], [2, 33, 13]])('mel_project R=%i K=%i M=%i, log and linear', (R, K, M) => {
    const x = Float32Array.from(randn(R * K, 5), Math.abs), w = Float32Array.from(randn(M * K, 6), Math.abs);
    for (const log of [0, 1]) twins(e, 'f32_mel_project_fwd', [out(R * M), inp(x), inp(w), R, K, M, log, 1e-6], close(2e-5, 2e-6), `log=${log}`);
  });
  it.each([[1, 1, 1], [1, 5, 3], [2, 7, 4], [3, 49, 40], [2, 12, 13]])('chan_norm B=%i F=%i C=%i', (B, F, C) => {
    twins(e, 'f32_chan_norm_fwd', [out(B * F * C), inp(randn(B * F * C, 7, 3)), B, F, C, 1e-5], close(1e-5, 1e-5));
  });
  it('the filterbank and DCT tables the layer writes have the expected structure', () => {
    const fb = melFilterbank(16000, 512, 40, 20, 8000), K = 257;
    for (let m = 0; m < 40; m++) {   // each triangle peaks at most 1 and is non-empty
      const row = fb.subarray(m * K, (m + 1) * K);
      if (!(Math.max(...row) > 0.2 && Math.max(...row) <= 1)) throw new Error(`filter ${m} peak ${Math.max(...row)}`);
    }
    const d = dctMatrix(13, 40);   // orthonormal rows
    for (let a = 0; a < 13; a++) for (let b = 0; b < 13; b++) {
      let s = 0; for (let m = 0; m < 40; m++) s += d[a * 40 + m] * d[b * 40 + m];
      if (Math.abs(s - (a === b ? 1 : 0)) > 1e-5) throw new Error(`DCT rows ${a}, ${b}: dot ${s}`);
    }
  });
});
