// Host audio: WAV decoding/encoding and the streaming form (ring buffer fed in microphone-sized
// chunks) giving the same scores as classifying each window on its own.
import { describe, it, expect, beforeAll } from 'vitest';
import { Model, layers, Tensor, AxonError, AudioStream, decodeWav, encodeWav, fitClip, resample } from '../../src/index.js';
import type { Engine } from '../../src/runtime/engine.js';
import { engine, randn } from '../helpers.js';

let e: Engine;
beforeAll(async () => { e = await engine(); });
const L = 2000;
const signal = (n: number) => Float32Array.from({ length: n }, (_, k) => 0.3 * Math.sin(k * (0.05 + k * 1e-6)) + 0.05 * Math.sin(k * 1.7));

async function kws(): Promise<Model> {
  const m = new Model({ inputShape: [L], engine: e, seed: 3 }).add(layers.melSpectrogram({ frameLength: 400, frameStep: 160, fftSize: 512, melBins: 20 }))
    .add(layers.flatten()).add(layers.dense({ units: 4, activation: 'softmax' }));
  await m.predict(Tensor.from(new Float32Array(L), [1, L]));
  return m;
}

describe('AudioStream', () => {
  it('classifies every hop of a chunked stream as predict does on that window', async () => {
    const m = await kws(), x = signal(7000), s = new AudioStream(m, { hop: 700, labels: ['a', 'b', 'c', 'd'] });
    const got = [];
    for (let k = 0; k < x.length; k += 128) got.push(...await s.push(x.subarray(k, k + 128)));
    expect(got.map((d) => d.end)).toEqual([2000, 2700, 3400, 4100, 4800, 5500, 6200, 6900]);
    for (const d of got) {
      const want = (await m.predict(Tensor.from(x.slice(d.end - L, d.end), [1, L]))).data;
      expect(Array.from(d.scores)).toEqual(Array.from(want));
      expect(d.label).toBe('abcd'[d.index]);
    }
  });
  it('smooths over the last k windows and reads int16 chunks', async () => {
    const m = await kws(), x = signal(4000), i16 = Int16Array.from(x, (v) => Math.round(v * 32768));
    const plain = new AudioStream(m, { hop: 500 }), smooth = new AudioStream(m, { hop: 500, smooth: 2 });
    const a = await plain.push(i16), b = await smooth.push(i16);
    expect(b.length).toBe(a.length);
    for (let k = 1; k < a.length; k++) for (let c = 0; c < 4; c++) expect(b[k].scores[c]).toBeCloseTo((a[k].scores[c] + a[k - 1].scores[c]) / 2, 6);
  });
  it('refuses non-finite samples, wrong chunk types and models without a PCM input', async () => {
    const m = await kws(), s = new AudioStream(m);
    await expect(s.push(Float32Array.from([0, NaN]))).rejects.toMatchObject({ code: 'NOT_FINITE' });
    await expect(s.push([1, 2] as unknown as Float32Array)).rejects.toBeInstanceOf(AxonError);
    expect(() => new AudioStream(new Model({ inputShape: [4, 4], engine: e }).add(layers.flatten()))).toThrow(AxonError);
    expect(() => new AudioStream(m, { hop: 0 })).toThrow(/hop/);
  });
});

describe('WAV files', () => {
  it('16-bit round trip, channel averaging, 32-bit float', () => {
    const x = randn(300, 2, 0.3), back = decodeWav(encodeWav(x, 16000));
    expect(back.sampleRate).toBe(16000);
    back.samples.forEach((v, k) => expect(Math.abs(v - x[k])).toBeLessThan(1 / 32000));
    // a stereo float file written by hand: channels averaged
    const n = 3, b = new Uint8Array(44 + n * 8), v = new DataView(b.buffer);
    b.set([..."RIFF"].map((c) => c.charCodeAt(0)), 0); b.set([..."WAVEfmt "].map((c) => c.charCodeAt(0)), 8);
    v.setUint32(16, 16, true); v.setUint16(20, 3, true); v.setUint16(22, 2, true); v.setUint32(24, 8000, true); v.setUint16(34, 32, true);
    b.set([..."data"].map((c) => c.charCodeAt(0)), 36); v.setUint32(40, n * 8, true);
    [[0.5, 0.1], [-0.2, -0.4], [1, 0]].forEach(([l, r], k) => { v.setFloat32(44 + 8 * k, l, true); v.setFloat32(48 + 8 * k, r, true); });
    expect(Array.from(decodeWav(b).samples)).toEqual([Math.fround(0.3), Math.fround(-0.3), 0.5].map((q) => Math.fround(q)));
  });
  it('refuses what is not a supported WAV', () => {
    expect(() => decodeWav(new Uint8Array(8))).toThrow(AxonError);
    expect(() => decodeWav(new TextEncoder().encode('RIFF....WAVEjunk'))).toThrow(/no fmt/);
    const w = encodeWav(new Float32Array(4), 16000); new DataView(w.buffer).setUint16(20, 2, true);   // ADPCM
    expect(() => decodeWav(w)).toThrow(/not supported/);
  });
  it('fits recordings to the window and resamples', () => {
    const loud = new Float32Array(5000); loud.fill(0.5, 3000, 3500);
    const f = fitClip(loud, 1000);
    expect(f.reduce((s, v) => s + v, 0)).toBeCloseTo(250, 3);
    expect(Array.from(fitClip(Float32Array.from([1, 2]), 4))).toEqual([0, 1, 2, 0]);
    expect(resample(new Float32Array(22050), 22050, 16000).length).toBe(16000);
  });
});
