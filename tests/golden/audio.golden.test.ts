// The melSpectrogram layer (the audio front end in wasm) against NumPy in float64
// (tests/fixtures/audio/gen_audio.py: np.fft.rfft power, HTK-mel triangles, log, orthonormal DCT-II,
// per-channel normalization), on f32 PCM and on int16 PCM read through a Cast; and the refusals.
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { Model, layers, Tensor, AxonError, modelToBytes, modelFromBytes } from '../../src/index.js';
import { Cast } from '../../src/layers/index.js';
import type { Engine } from '../../src/runtime/engine.js';
import { engine } from '../helpers.js';

const ref = JSON.parse(readFileSync(new URL('../fixtures/audio/audio.json', import.meta.url), 'utf8'));
const P = ref.params, L = ref.pcm16.length, F = ref.frames;
let e: Engine;
beforeAll(async () => { e = await engine(); });

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => { expect(a.length).toBe(b.length); let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i])); return m; };
const pcm = Float32Array.from(ref.pcm16 as number[], (v) => v / 32768);
const front = (o: Record<string, unknown>) => new Model({ inputShape: [L], engine: e }).add(layers.melSpectrogram({ ...P, ...o, name: 'mel' }));

describe('melSpectrogram = NumPy reference', () => {
  it.each([
    ['log-mel', { mfcc: 0, normalize: false }, 'logmel', P.melBins, 2e-3],
    ['MFCC', { normalize: false }, 'mfcc', P.mfcc, 2e-3],
    ['log-mel, normalized per channel', { mfcc: 0 }, 'logmelNorm', P.melBins, 2e-3],
    ['MFCC, normalized per channel', {}, 'mfccNorm', P.mfcc, 5e-3],
  ])('%s', async (_what, o, key, C, tol) => {
    const y = await front(o).predict(Tensor.from(pcm, [1, L]));
    expect(y.shape).toEqual([1, F, C]);
    expect(maxDiff(y.data, ref[key])).toBeLessThan(tol);
  });

  it('int16 PCM through a Cast and inputScale 1/32768 gives the same features', async () => {
    const m = new Model({ inputs: [{ name: 'pcm', shape: [L], dtype: 'i32' }], engine: e })
      .add(new Cast()).add(layers.melSpectrogram({ ...P, inputScale: 1 / 32768 }));
    const y = await m.predict(new Tensor(Int32Array.from(ref.pcm16), [1, L]));
    expect(maxDiff(y.data, ref.mfccNorm)).toBeLessThan(5e-3);
  });

  it('a saved model keeps its front end', async () => {
    const m = front({});
    const back = modelFromBytes(modelToBytes(m), 'kws', e).model;
    const x = Tensor.from(pcm, [1, L]);
    expect(Array.from((await back.predict(x)).data)).toEqual(Array.from((await m.predict(x)).data));
  });
});

describe('melSpectrogram refuses bad input with AxonError', () => {
  it('NaN in the PCM', async () => {
    const x = pcm.slice(); x[100] = NaN;
    await expect(front({}).predict(Tensor.from(x, [1, L]))).rejects.toMatchObject({ code: 'NOT_FINITE' });
  });
  it('a clip of the wrong length', async () => {
    await expect(front({}).predict(Tensor.from(pcm.subarray(0, L - 1), [1, L - 1]))).rejects.toBeInstanceOf(AxonError);
  });
  it('bad options and shapes', () => {
    expect(() => layers.melSpectrogram({ fftSize: 500 })).toThrow(AxonError);
    expect(() => layers.melSpectrogram({ frameLength: 600, fftSize: 512 })).toThrow(/frameLength/);
    expect(() => layers.melSpectrogram({ mfcc: 50, melBins: 40 })).toThrow(/mfcc/);
    expect(() => new Model({ inputShape: [100], engine: e }).add(layers.melSpectrogram({}))).toThrow(AxonError);
  });
  it('no backward: training through it into an earlier layer is refused', async () => {
    const m = new Model({ inputShape: [L], engine: e }).add(layers.dense({ units: L })).add(layers.melSpectrogram(P)).add(layers.flatten()).add(layers.dense({ units: 2, activation: 'softmax' }));
    m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    await expect(m.fit(Tensor.from(pcm, [1, L]), new Tensor(Int32Array.from([1]), [1]), { epochs: 1 })).rejects.toThrow(/no backward/);
  });
});
