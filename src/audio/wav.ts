// WAV files (RIFF PCM 8/16/24/32-bit integer, 32-bit float; any channel count) to mono f32 PCM in
// [-1, 1) and back (16-bit), plus the two clip helpers a keyword model needs: resampling (linear:
// enough for speech going down to 16 kHz, not hi-fi) and fitting a recording to the model's length.
import { AxonError } from '../errors.js';

export interface PcmClip { sampleRate: number; samples: Float32Array }

/** Decodes a WAV file (channels averaged). Throws BAD_DATA naming what is wrong. */
export function decodeWav(bytes: Uint8Array, name = 'WAV'): PcmClip {
  const bad = (what: string): never => { throw new AxonError('BAD_DATA', `${name}: ${what}`); };
  if (bytes.length < 12) bad(`${bytes.length} bytes is too short for a WAV file`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), tag = (o: number) => String.fromCharCode(...bytes.subarray(o, o + 4));
  if (tag(0) !== 'RIFF' || tag(8) !== 'WAVE') bad('not a RIFF/WAVE file');
  let fmt: { format: number; channels: number; rate: number; bits: number } | undefined, data: Uint8Array | undefined;
  for (let o = 12; o + 8 <= bytes.length;) {
    const id = tag(o), len = v.getUint32(o + 4, true), body = o + 8;
    const end = Math.min(bytes.length, body + len);   // (streamed WAVs may declare a too-long data chunk)
    if (id === 'fmt ') {
      if (len < 16) bad('fmt chunk is shorter than 16 bytes');
      let format = v.getUint16(body, true);
      if (format === 0xfffe && len >= 26) format = v.getUint16(body + 24, true);   // WAVE_FORMAT_EXTENSIBLE: the sub-format
      fmt = { format, channels: v.getUint16(body + 2, true), rate: v.getUint32(body + 4, true), bits: v.getUint16(body + 14, true) };
    } else if (id === 'data') data = bytes.subarray(body, end);
    o = body + len + (len & 1);
  }
  if (!fmt) return bad('no fmt chunk');
  if (!data) return bad('no data chunk');
  const { format, channels, rate, bits } = fmt;
  if (!(channels >= 1 && rate >= 1)) bad(`${channels} channels at ${rate} Hz`);
  if (!((format === 1 && [8, 16, 24, 32].includes(bits)) || (format === 3 && bits === 32))) bad(`format ${format} with ${bits}-bit samples is not supported (PCM 8/16/24/32-bit or 32-bit float)`);
  const step = (bits / 8) * channels, n = Math.floor(data.length / step), out = new Float32Array(n);
  const d = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const read = (o: number): number => {
    if (format === 3) return d.getFloat32(o, true);
    if (bits === 8) return (d.getUint8(o) - 128) / 128;
    if (bits === 16) return d.getInt16(o, true) / 32768;
    if (bits === 24) return ((d.getUint8(o) | (d.getUint8(o + 1) << 8) | (d.getInt8(o + 2) << 16))) / 8388608;
    return d.getInt32(o, true) / 2147483648;
  };
  for (let k = 0; k < n; k++) {
    let s = 0;
    for (let c = 0; c < channels; c++) s += read(k * step + (c * bits) / 8);
    out[k] = s / channels;
  }
  for (let k = 0; k < n; k++) if (!Number.isFinite(out[k])) bad(`sample ${k} is not finite`);
  return { sampleRate: rate, samples: out };
}

/** A mono 16-bit PCM WAV file of samples in [-1, 1) (value × 32768, clipped). */
export function encodeWav(samples: Float32Array, sampleRate: number): Uint8Array {
  const out = new Uint8Array(44 + 2 * samples.length), v = new DataView(out.buffer);
  const put = (o: number, s: string) => { for (let k = 0; k < 4; k++) out[o + k] = s.charCodeAt(k); };
  put(0, 'RIFF'); v.setUint32(4, 36 + 2 * samples.length, true); put(8, 'WAVE'); put(12, 'fmt ');
  v.setUint32(16, 16, true); v.setUint16(20, 1, true); v.setUint16(22, 1, true); v.setUint32(24, sampleRate, true);
  v.setUint32(28, 2 * sampleRate, true); v.setUint16(32, 2, true); v.setUint16(34, 16, true); put(36, 'data'); v.setUint32(40, 2 * samples.length, true);
  for (let k = 0; k < samples.length; k++) v.setInt16(44 + 2 * k, Math.max(-32768, Math.min(32767, Math.round(samples[k] * 32768))), true);
  return out;
}

/** Linear-interpolation resampling from one rate to another. */
export function resample(x: Float32Array, from: number, to: number): Float32Array {
  if (from === to) return x;
  const n = Math.max(1, Math.round((x.length * to) / from)), y = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const t = (k * from) / to, i = Math.floor(t), a = t - i;
    y[k] = (x[Math.min(i, x.length - 1)] ?? 0) * (1 - a) + (x[Math.min(i + 1, x.length - 1)] ?? 0) * a;
  }
  return y;
}

/**
 * Exactly L samples: a shorter recording zero-padded around its middle, a longer one cut to the
 * L-sample window with the most energy (searched every 10 ms at 16 kHz).
 */
export function fitClip(x: Float32Array, L: number): Float32Array {
  if (x.length === L) return x;
  const y = new Float32Array(L);
  if (x.length < L) { y.set(x, (L - x.length) >> 1); return y; }
  const sq = new Float64Array(x.length + 1);
  for (let k = 0; k < x.length; k++) sq[k + 1] = sq[k] + x[k] * x[k];
  let best = 0;
  for (let s = 0; s + L <= x.length; s += 160) if (sq[s + L] - sq[s] > sq[best + L] - sq[best]) best = s;
  y.set(x.subarray(best, best + L));
  return y;
}

/** A WAV file as the L samples at `rate` a keyword model reads. */
export function wavToClip(bytes: Uint8Array, L: number, rate = 16000, name?: string): Float32Array {
  const c = decodeWav(bytes, name);
  return fitClip(resample(c.samples, c.sampleRate, rate), L);
}
