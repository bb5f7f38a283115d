// Training through imported general graphs: one step's gradients (SGD at lr 0, losses on every
// graph output) against central differences of the training loss (tests/train/model-gradcheck.ts),
// for torch's two-input two-head model and torch's 2-layer nn.LSTM with h0 / c0 graph inputs and
// output, h_n, c_n as outputs (open sequence axis, fed at length 5); then a few steps lower the loss.
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { importOnnx } from '../../src/import/onnx.js';
import { Tensor } from '../../src/runtime/tensor.js';
import type { Sequential } from '../../src/index.js';
import type { Engine } from '../../src/runtime/engine.js';
import { engine, randn } from '../helpers.js';
import { checkModelGradients } from '../train/model-gradcheck.js';

let e: Engine;
beforeAll(async () => { e = await engine(); });
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/onnx/${name}.onnx`, import.meta.url)));
let seed = 1300;
const feed = (dims: number[], scale = 1) => ({ data: randn(dims.reduce((p, q) => p * q, 1), ++seed, scale), dims });

describe('ONNX import: a training step through imported multi-input graphs', () => {
  it.each([
    ['torch_two_heads', (B: number) => ({ x: feed([B, 6]), aux: feed([B, 3]) })],
    ['torch_lstm2_bf_input', (B: number) => ({ x: feed([B, 5, 4]), h0: feed([2, B, 5], 0.5), c0: feed([2, B, 5], 0.5) })],
  ] as const)('%s: gradients of every parameter against central differences; SGD lowers the loss', async (name, feeds) => {
    const B = 3, imp = await importOnnx(fixture(name), { engine: e, seed: 3 });
    const m = imp.model, x = imp.toAxonInputs(feeds(B));
    // losses on the outputs of fixed size (NOTE: a loss's size is fixed at compile time, so the
    // sequence output y, whose length is open, gets none; h_n and c_n depend on every weight)
    const fixed = imp.outputs.filter((o) => !o.per.includes(null)), lossOf = Object.fromEntries(fixed.map((o) => [o.ref, 'mse']));
    const y = Object.fromEntries(fixed.map((o, i) => {
      const [l, k] = o.ref.split(':'), layer = m.layers.find((q) => q.name === l)!, s = k ? layer.extraOutputs[Number(k) - 1] : layer.outputShape;
      return [o.ref, new Tensor(randn(B * s.reduce((p, q) => p * q, 1), 40 + i, 0.5), [B, ...s])];
    }));
    expect(fixed.length).toBe(2);
    m.compile({ optimizer: { type: 'sgd', lr: 0 }, loss: lossOf });
    const names = m.layers.flatMap((l) => (l.trainable ? l.params.filter((p) => p.trainable !== false).map((p) => `${l.name}.${p.name}`) : []));
    expect(names.length).toBeGreaterThanOrEqual(4);
    await checkModelGradients(m as unknown as Sequential, x as unknown as Tensor, y as unknown as Tensor, B, names, 2e-3, m.inputs.map((i) => x[i.name].shape.slice(1)));
    m.compile({ optimizer: { type: 'sgd', lr: 0.1 }, loss: lossOf });
    const h = await m.fit(x, y, { epochs: 5, batchSize: B, shuffle: false });
    expect(h.epochs[4].loss).toBeLessThan(h.epochs[0].loss);
  });
});
