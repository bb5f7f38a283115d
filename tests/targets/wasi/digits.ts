// A small trained model for the WASI tests: the digits MLP of models/digits/config.json (64-64-32-10
// with dropout), trained briefly with the API on the shipped sklearn digits (scaled to [0, 1]).
import { readFileSync } from 'node:fs';
import { Sequential, layers, Tensor, modelToBytes, parseNpy } from '../../../src/index.js';

export interface Digits { modelBytes: Uint8Array; x: Float32Array; y: Int32Array; n: number }

let cached: Promise<Digits> | undefined;

export function digits(): Promise<Digits> {
  return (cached ??= (async () => {
    const xt = parseNpy(new Uint8Array(readFileSync(new URL('../../../models/digits/digits-x.npy', import.meta.url))), 'digits-x.npy');
    const yt = parseNpy(new Uint8Array(readFileSync(new URL('../../../models/digits/digits-y.npy', import.meta.url))), 'digits-y.npy');
    const n = xt.shape[0];
    const x = Float32Array.from(xt.data, (v) => v / 16), y = Int32Array.from(yt.data);
    const m = new Sequential({ inputShape: [64], seed: 42, name: 'digits-mlp' });
    m.add(layers.dense({ units: 64, activation: 'relu' })).add(layers.dropout({ rate: 0.1 }))
      .add(layers.dense({ units: 32, activation: 'relu' })).add(layers.dense({ units: 10, activation: 'softmax' }));
    m.compile({ optimizer: { type: 'adam', lr: 0.002 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    await m.fit(new Tensor(x, [n, 64]), new Tensor(y, [n]), { epochs: 2, batchSize: 32 });
    return { modelBytes: modelToBytes(m), x, y, n };
  })());
}
