// MelSpectrogram: the audio front end as a layer, so a model file takes PCM (e.g. 1 s at 16 kHz)
// and the features are computed in wasm on every target (kernels: assembly/kernels/audio.ts).
// PCM [L] → frames of frameLength every frameStep, periodic Hann window, power of a real FFT of
// fftSize → triangular mel filterbank (HTK mel scale, librosa htk=True norm=None) → log(v + eps) →
// optional DCT-II (orthonormal: MFCCs) → optional per-channel normalization of each clip (each
// channel's mean and biased variance over the clip's frames). Output [frames, channels].
// Inference only: no parameters and no backward (it must read a model input). int16 PCM: declare
// the input i32, put a Cast first and set inputScale 1/32768 (folded into the window).
import { AxonError } from '../errors.js';
import type { Buf } from '../compile/plan.js';
import { Ctx, IO, Layer } from './layer.js';
import { registerLayerTypes } from './families.js';

export interface MelSpectrogramOptions {
  sampleRate?: number; frameLength?: number; frameStep?: number; fftSize?: number;
  melBins?: number; fmin?: number; fmax?: number; eps?: number;
  /** number of MFCCs to keep (0: log-mel output) */
  mfcc?: number;
  /** per-channel mean/variance normalization over each clip (default true) */
  normalize?: boolean;
  /** multiplies the PCM (1/32768 for int16 values) */
  inputScale?: number;
  name?: string;
}

const hzToMel = (f: number) => 2595 * Math.log10(1 + f / 700);
const melToHz = (m: number) => 700 * (10 ** (m / 2595) - 1);

/** Periodic Hann window of n points, times scale. */
export function hannWindow(n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, (_, k) => scale * (0.5 - 0.5 * Math.cos((2 * Math.PI * k) / n)));
}

/** (melBins, fftSize/2 + 1) triangular filters on the HTK mel scale, unnormalized. */
export function melFilterbank(sampleRate: number, fftSize: number, melBins: number, fmin: number, fmax: number): Float32Array {
  const K = fftSize / 2 + 1, w = new Float32Array(melBins * K);
  const lo = hzToMel(fmin), hi = hzToMel(fmax);
  const hz = Array.from({ length: melBins + 2 }, (_, k) => melToHz(lo + ((hi - lo) * k) / (melBins + 1)));
  for (let m = 0; m < melBins; m++) for (let k = 0; k < K; k++) {
    const f = (k * sampleRate) / fftSize;
    w[m * K + k] = Math.max(0, Math.min((f - hz[m]) / (hz[m + 1] - hz[m]), (hz[m + 2] - f) / (hz[m + 2] - hz[m + 1])));
  }
  return w;
}

/** (n, M) orthonormal DCT-II rows (scipy.fft.dct(norm='ortho')), first n coefficients. */
export function dctMatrix(n: number, M: number): Float32Array {
  const d = new Float32Array(n * M);
  for (let c = 0; c < n; c++) for (let m = 0; m < M; m++) d[c * M + m] = Math.sqrt((c === 0 ? 1 : 2) / M) * Math.cos((Math.PI / M) * (m + 0.5) * c);
  return d;
}

/** The stft_power twiddle table (layout in assembly/kernels/audio.ts). */
export function audioTwiddles(nfft: number): Float32Array {
  const t = new Float32Array(2 * nfft + 2), M = nfft / 2;
  for (let h = 1; h < M; h <<= 1) for (let j = 0; j < h; j++) {
    const a = (Math.PI * j) / h;
    t[2 * (h - 1) + j] = Math.cos(a); t[2 * (h - 1) + h + j] = -Math.sin(a);
  }
  for (let k = 0; k <= M; k++) { const a = (2 * Math.PI * k) / nfft; t[nfft + 2 * k] = Math.cos(a); t[nfft + 2 * k + 1] = -Math.sin(a); }
  return t;
}

const POW2 = [8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096];

export class MelSpectrogram extends Layer {
  readonly type = 'melSpectrogram';
  readonly o: Required<Omit<MelSpectrogramOptions, 'name'>>;
  constructor(opts: MelSpectrogramOptions = {}) {
    super();
    const sampleRate = opts.sampleRate ?? 16000;
    this.o = {
      sampleRate, frameLength: opts.frameLength ?? 480, frameStep: opts.frameStep ?? 320, fftSize: opts.fftSize ?? 512,
      melBins: opts.melBins ?? 40, fmin: opts.fmin ?? 20, fmax: opts.fmax ?? sampleRate / 2, eps: opts.eps ?? 1e-6,
      mfcc: opts.mfcc ?? 0, normalize: opts.normalize ?? true, inputScale: opts.inputScale ?? 1,
    };
    const o = this.o, bad = (what: string) => { throw new AxonError('BAD_CONFIG', `melSpectrogram: ${what}`); };
    for (const k of ['sampleRate', 'frameLength', 'frameStep', 'melBins'] as const) if (!(Number.isInteger(o[k]) && o[k] >= 1)) bad(`${k} must be a positive integer, got ${o[k]}`);
    if (!POW2.includes(o.fftSize)) bad(`fftSize must be a power of two from 8 to 4096, got ${o.fftSize}`);
    if (o.frameLength > o.fftSize) bad(`frameLength ${o.frameLength} is longer than fftSize ${o.fftSize}`);
    if (!(o.fmin >= 0 && o.fmin < o.fmax && o.fmax <= sampleRate / 2)) bad(`need 0 <= fmin < fmax <= sampleRate / 2, got fmin ${o.fmin}, fmax ${o.fmax}`);
    if (!(o.eps > 0 && Number.isFinite(o.eps))) bad(`eps must be a positive number, got ${o.eps}`);
    if (!(Number.isInteger(o.mfcc) && o.mfcc >= 0 && o.mfcc <= o.melBins)) bad(`mfcc must be an integer from 0 (off) to melBins ${o.melBins}, got ${o.mfcc}`);
    if (!(o.inputScale > 0 && Number.isFinite(o.inputScale))) bad(`inputScale must be a positive number, got ${o.inputScale}`);
    if (typeof o.normalize !== 'boolean') bad(`normalize must be true or false, got ${o.normalize}`);
    this.trainable = false;
    if (opts.name) this.name = opts.name;
  }

  /** frames per clip of L samples */
  frames(L: number): number { return Math.floor((L - this.o.frameLength) / this.o.frameStep) + 1; }
  get channels(): number { return this.o.mfcc || this.o.melBins; }

  build(s: number[]): number[] {
    if (s.length !== 1 || !(s[0] >= this.o.frameLength)) throw new AxonError('BAD_SHAPE', `${this.name || 'melSpectrogram'}: input must be PCM of shape [samples] with at least frameLength ${this.o.frameLength} samples, got [${s}]`);
    this.inputShape = s;
    return (this.outputShape = [this.frames(s[0]), this.channels]);
  }

  forward(c: Ctx, { x, y }: IO): void {
    const o = this.o, L = this.inputShape[0], F = this.frames(L), K = o.fftSize / 2 + 1, B = c.batch;
    c.emit('check_finite', { x, n: B * L }, `${this.name}: input PCM`);
    const power = c.aux('power', 'f32', F * K);
    c.emit('stft_power', {
      y: power, x, win: c.constant('window', 'f32', hannWindow(o.frameLength, o.inputScale).buffer as ArrayBuffer), tw: c.constant('twiddles', 'f32', audioTwiddles(o.fftSize).buffer as ArrayBuffer),
      scratch: c.fixed('fft', 'f32', o.fftSize), B, L, F, flen: o.frameLength, step: o.frameStep, nfft: o.fftSize,
    }, this.name);
    const last = (stage: 'mel' | 'mfcc') => (stage === 'mfcc' || !o.mfcc) && !o.normalize;
    const mel = last('mel') ? y : c.aux('logmel', 'f32', F * o.melBins);
    const fb = c.constant('filterbank', 'f32', melFilterbank(o.sampleRate, o.fftSize, o.melBins, o.fmin, o.fmax).buffer as ArrayBuffer);
    c.emit('mel_project', { y: mel, x: power, w: fb, R: B * F, K, M: o.melBins, log: 1, eps: o.eps }, this.name);
    let feat = mel;
    if (o.mfcc) {
      feat = last('mfcc') ? y : c.aux('mfcc', 'f32', F * o.mfcc);
      c.emit('mel_project', { y: feat, x: mel, w: c.constant('dct', 'f32', dctMatrix(o.mfcc, o.melBins).buffer as ArrayBuffer), R: B * F, K: o.melBins, M: o.mfcc, log: 0, eps: o.eps }, this.name);
    }
    if (o.normalize) this.normalizeClip(c, y, feat);
  }

  /**
   * Emits only the per-clip normalization of features (frames, channels) already computed, and
   * returns the buffer they go in: the output itself without normalize (AudioStream computes each
   * frame once and runs this with the layers after it: model/tail.ts).
   */
  fromFeatures(c: Ctx, { y }: IO): Buf {
    if (!this.o.normalize) return y;
    const feat = c.aux(this.o.mfcc ? 'mfcc' : 'logmel', 'f32', this.frames(this.inputShape[0]) * this.channels);
    this.normalizeClip(c, y, feat);
    return feat;
  }

  private normalizeClip(c: Ctx, y: Buf, feat: Buf): void {
    c.emit('chan_norm', { y, x: feat, B: c.batch, F: this.frames(this.inputShape[0]), C: this.channels, eps: 1e-5 }, this.name);
  }

  backward(_c: Ctx, { dx }: IO): void {
    if (dx !== undefined) throw new AxonError('BAD_CONFIG', `${this.name}: melSpectrogram has no backward (the front end is inference only); it must read a model input, not a trained layer's output`);
  }

  config(): Record<string, unknown> { return { ...this.o }; }
}

registerLayerTypes({ melSpectrogram: (c) => new MelSpectrogram(c as MelSpectrogramOptions) });   // (families.ts)
