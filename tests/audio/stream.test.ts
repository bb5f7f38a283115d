// Host audio: WAV decoding/encoding and the streaming form (ring buffer fed in microphone-sized
// chunks) giving the same scores as classifying each window on its own, to the bit, whole-window
// and frame by frame (incremental: each frame's features once, the model's tail per hop).
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { Model, layers, Tensor, AxonError, AudioStream, decodeWav, encodeWav, fitClip, resample, modelFromBytes, type Detection } from '../../src/index.js';
import type { MelSpectrogramOptions } from '../../src/layers/index.js';
import { ModelTail } from '../../src/model/tail.js';
import { Cast } from '../../src/layers/cast.js';
import type { Engine } from '../../src/runtime/engine.js';
import { engine, randn } from '../helpers.js';

let e: Engine;
beforeAll(async () => { e = await engine(); });
const L = 2000;
const signal = (n: number) => Float32Array.from({ length: n }, (_, k) => 0.3 * Math.sin(k * (0.05 + k * 1e-6)) + 0.05 * Math.sin(k * 1.7));

async function kws(mel: MelSpectrogramOptions = {}): Promise<Model> {
  const m = new Model({ inputShape: [L], engine: e, seed: 3 }).add(layers.melSpectrogram({ frameLength: 400, frameStep: 160, fftSize: 512, melBins: 20, ...mel }))
    .add(layers.flatten()).add(layers.dense({ units: 4, activation: 'softmax' }));
  await m.predict(Tensor.from(new Float32Array(L), [1, L]));
  return m;
}

/** Every detection of a stream fed x in chunks of `size`. */
async function run(s: AudioStream, x: Float32Array | Int16Array, size: number): Promise<Detection[]> {
  const got: Detection[] = [];
  for (let k = 0; k < x.length; k += size) got.push(...await s.push(x.subarray(k, k + size)));
  return got;
}
const bits = (ds: Detection[]) => ds.map((d) => [d.end, ...Array.from(new Uint32Array(d.scores.buffer, d.scores.byteOffset, d.scores.length))]);

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
  it('a hop that is not a multiple of frameStep recomputes whole windows, and says so', async () => {
    const m = await kws(), s = new AudioStream(m, { hop: 700 });
    expect(s.mode).toBe('window');
    expect(s.fallback).toMatch(/hop 700 is not a multiple of frameStep 160/);
    expect(new AudioStream(m).hop).toBe(480);   // window / 4 rounded down to frames
    expect(new AudioStream(m).mode).toBe('incremental');
    expect(new AudioStream(m, { hop: 640, incremental: false }).mode).toBe('window');
  });
  it('frame by frame gives the whole-window scores to the bit (mfcc on and off, normalize on and off, any chunk size)', async () => {
    const x = signal(6100);
    for (const mel of [{}, { normalize: false }, { mfcc: 8 }, { mfcc: 8, normalize: false }]) {
      const m = await kws(mel);
      const want = await run(new AudioStream(m, { hop: 320, incremental: false }), x, 4096);
      expect(want.map((d) => d.end)).toEqual([2000, 2320, 2640, 2960, 3280, 3600, 3920, 4240, 4560, 4880, 5200, 5520, 5840]);
      for (const d of want) expect(Array.from(d.scores)).toEqual(Array.from((await m.predict(Tensor.from(x.slice(d.end - L, d.end), [1, L]))).data));
      for (const size of [1, 127, 128, 3000]) {
        const s = new AudioStream(m, { hop: 320, incremental: true });
        expect(s.mode).toBe('incremental');
        expect(bits(await run(s, x, size))).toEqual(bits(want));
      }
      // a hop longer than the window: the frames between windows are never needed
      expect(bits(await run(new AudioStream(m, { hop: 2400 }), x, 1000))).toEqual(bits(await run(new AudioStream(m, { hop: 2400, incremental: false }), x, 1000)));
    }
  });
  it('int16 chunks into an int16 PCM model (Cast, inputScale), frame by frame as whole-window', async () => {
    const m = new Model({ inputs: [{ name: 'pcm', shape: [L], dtype: 'i32' }], engine: e, seed: 5 }).add(new Cast())
      .add(layers.melSpectrogram({ frameLength: 400, frameStep: 160, fftSize: 512, melBins: 20, mfcc: 10, inputScale: 1 / 32768 }))
      .add(layers.flatten()).add(layers.dense({ units: 3, activation: 'softmax' }));
    const i16 = Int16Array.from(signal(5000), (v) => Math.round(v * 32768));
    const want = await run(new AudioStream(m, { hop: 480, incremental: false }), i16, 5000);
    for (const d of want) expect(Array.from(d.scores)).toEqual(Array.from((await m.predict(new Tensor(Int32Array.from(i16.slice(d.end - L, d.end)), [1, L]))).data));
    for (const size of [1, 128, 3000]) {
      const s = new AudioStream(m, { hop: 480 });
      expect(s.mode).toBe('incremental');
      expect(bits(await run(s, i16, size))).toEqual(bits(want));
    }
  });
  it('the shipped int8 KWS model at hop 1920: frame by frame as whole-window', async () => {
    const { model } = modelFromBytes(readFileSync('models/kws/kws.int8.axon'), 'kws.int8.axon', e);
    const x = Float32Array.from({ length: 40000 }, (_, k) => 0.3 * Math.sin(k * 0.07) * (k > 14000 && k < 25000 ? 1 : 0.01) + 0.02 * Math.sin(k * 1.3));
    const want = await run(new AudioStream(model, { hop: 1920, incremental: false }), x, 3000);
    expect(want.length).toBe(13);
    for (const size of [128, 3000]) {
      const s = new AudioStream(model, { hop: 1920 });
      expect(s.mode).toBe('incremental');
      expect(bits(await run(s, x, size))).toEqual(bits(want));
    }
  });
  it('the tail runs on the model\'s current weights (after setWeights and a training step)', async () => {
    const m = await kws({ mfcc: 8 }), x = signal(4000), s = new AudioStream(m, { hop: 320 });
    const check = async (ds: Detection[]) => {
      expect(ds.length).toBeGreaterThan(0);
      for (const d of ds) expect(Array.from(d.scores)).toEqual(Array.from((await m.predict(Tensor.from(x.slice(d.end - L, d.end), [1, L]))).data));
    };
    await check(await s.push(x.subarray(0, 2400)));
    const w = m.getWeights(), k = [...w.keys()].find((n) => n.endsWith('.weight'))!;
    m.setWeights({ [k]: w.get(k)!.map((v) => v * -2) });
    await check(await s.push(x.subarray(2400, 3000)));
    m.compile({ optimizer: { type: 'sgd', lr: 0.5 }, loss: 'sparseCategoricalCrossentropy' });
    await m.trainStep(Tensor.from(x.slice(0, L), [1, L]), new Tensor(Int32Array.from([2]), [1]));
    await check(await s.push(x.subarray(3000)));
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
    const inc = new AudioStream(m, { hop: 320, incremental: true });
    await inc.push(signal(1000));
    await expect(inc.push(Float32Array.from([0.1, Infinity]))).rejects.toMatchObject({ code: 'NOT_FINITE' });
    expect(() => new AudioStream(m, { hop: 500, incremental: true })).toThrow(/cannot stream frame by frame: hop 500 is not a multiple of frameStep 160 \(e.g. 480\)/);
    expect(() => new AudioStream(new Model({ inputShape: [64], engine: e }).add(layers.dense({ units: 2 })), { incremental: true })).toThrow(/no melSpectrogram/);
    expect(() => new AudioStream(m, { incremental: 'yes' as unknown as boolean })).toThrow(AxonError);
    // two outputs: which one holds the scores is not the stream's guess
    const two = new Model({ inputShape: [L], engine: e }).add(layers.melSpectrogram({ frameLength: 400, frameStep: 160, name: 'mel' })).add(layers.flatten()).add(layers.dense({ units: 2, name: 'head' }));
    two.setOutputs(['mel', 'head']);
    expect(() => new AudioStream(two, { hop: 320 })).toThrow(/must have one output .* got 2: mel, head/);
    // a layer before the front end that mixes samples: frames could not be computed on their own
    const mixed = new Model({ inputShape: [L], engine: e }).add(layers.activation('softmax')).add(layers.melSpectrogram({ frameLength: 400, frameStep: 160 })).add(layers.flatten()).add(layers.dense({ units: 2 }));
    expect(new AudioStream(mixed, { hop: 320 }).fallback).toMatch(/not a chain of Cast or Dropout layers on the PCM \(activation\)/);
    expect(() => new ModelTail(m, 'nope')).toThrow(/no layer "nope"/);
    expect(() => new ModelTail(m, m.layers[2].name)).toThrow(/last layer/);
    await expect(new ModelTail(m, m.layers[0].name).run(new Float32Array(3))).rejects.toMatchObject({ code: 'BAD_SHAPE' });
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
