// The Embedding layer on an i32 model input: forward = rows of the table (checked against the
// table itself), the table's gradient against central differences of an f64 forward written here
// (one full-batch SGD step with lr 1 gives -grad), and ids outside [0, vocab) refused when fed.
import { describe, it, expect } from 'vitest';
import { Model, layers, Tensor, AxonError } from '../../src/index.js';
import { engine, numGrad, expectClose } from '../helpers.js';

const e = await engine();
const V = 5, D = 3, T = 4, U = 2, N = 3;
const ids = Int32Array.from([0, 4, 4, 2, 1, 1, 3, 0, 2, 2, 2, 4]);   // N x T, repeated ids accumulate
const target = Float32Array.from({ length: N * U }, (_, i) => Math.sin(i + 1));

function build(): Model {
  const m = new Model({ inputs: [{ name: 'ids', shape: [T], dtype: 'i32' }], seed: 3, engine: e });
  m.add(layers.embedding({ inputDim: V, outputDim: D, name: 'emb' })).add(layers.flatten()).add(layers.dense({ units: U, name: 'out' }));
  return m;
}

/** mean squared error of the model in f64 for the table `w` (the dense weights fixed). */
function loss64(w: Float64Array, dense: Float32Array, bias: Float32Array): number {
  let s = 0;
  for (let n = 0; n < N; n++) for (let u = 0; u < U; u++) {
    let y = bias[u];
    for (let t = 0; t < T; t++) for (let d = 0; d < D; d++) y += w[ids[n * T + t] * D + d] * dense[u * T * D + t * D + d];
    s += (y - target[n * U + u]) ** 2;
  }
  return s / (N * U);
}

describe('embedding', () => {
  it('forward gathers table rows by id', async () => {
    const m = build(), w = m.getWeights().get('emb.weight')!;
    m.setOutputs(['emb', 'out']);
    const [y] = await m.predict([new Tensor(ids, [N, T])]);
    expect(y.shape).toEqual([N, T, D]);
    expect(Array.from(y.data)).toEqual(Array.from(ids).flatMap((j) => Array.from(w.subarray(j * D, j * D + D))));
  });

  it('the table gradient matches central differences (repeated ids accumulate)', async () => {
    const m = build().compile({ optimizer: { type: 'sgd', lr: 1 }, loss: 'mse' });
    const w0 = m.getWeights();
    await m.fit(new Tensor(ids, [N, T]), new Tensor(target, [N, U]), { epochs: 1, batchSize: N, shuffle: false });
    const grad = Float64Array.from(w0.get('emb.weight')!, (v, i) => v - m.getWeights().get('emb.weight')![i]);
    const want = numGrad((w) => loss64(w, w0.get('out.weight')!, w0.get('out.bias')!), Float64Array.from(w0.get('emb.weight')!));
    expect(grad.some((g) => g !== 0)).toBe(true);
    expectClose(grad, want, 1e-3, 1e-6, 'emb.weight gradient');
  });

  it('ids outside [0, vocab) and f32 tensors are refused when fed, naming the input', async () => {
    const m = build();
    expect(m.inputs[0].range).toEqual([0, V - 1]);
    const bad = Int32Array.from(ids); bad[5] = V;
    await expect(m.predict(new Tensor(bad, [N, T]))).rejects.toThrow(/input "ids": value 5 at sample 1 is outside the input's range \[0, 4\]/);
    await expect(m.predict(new Tensor(Float32Array.from(ids), [N, T]))).rejects.toThrow(AxonError);
    await expect(m.predict(new Tensor(Float32Array.from(ids), [N, T]))).rejects.toThrow(/is i32 .* but the tensor is f32/);
  });
});
