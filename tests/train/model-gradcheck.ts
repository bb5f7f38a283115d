// Whole-model gradient check: the gradients one training step leaves in the session against
// central differences of the training-mode loss through the wasm forward. The model must be
// compiled with SGD at lr 0 (fit then fills the gradient buffers and leaves the weights unchanged).
import { expect } from 'vitest';
import type { Model, Sequential, Tensor } from '../../src/index.js';
import type { Inputs } from '../../src/model/inputs.js';
import type { Targets } from '../../src/train/feed.js';

/**
 * Checks first, middle and last element of each named parameter; returns the analytic gradients.
 * `shapes`: the per-sample input shapes x has when they are not the declared ones (open dimensions).
 */
export async function checkModelGradients(m: Sequential, x: Tensor, y: Tensor, B: number, names: string[], h = 2e-3, shapes?: number[][]): Promise<Map<string, Float32Array>> {
  const loss = async () => (await m.fit(x, y, { epochs: 1, batchSize: B, shuffle: false })).epochs[0].loss;
  await loss();
  const s = await m.session(B, shapes ? { shapes } : {});
  const grads = new Map(names.map((k) => [k, s.bound.f32(s.buf(`grad:${k}`)).slice()]));
  await compareNumeric(m, names, (k) => grads.get(k)!, loss, h);
  return grads;
}

/**
 * The same check through Model.gradients (any model: several inputs and outputs, open axes):
 * analytic gradients against central differences of gradients().loss, first, middle and last element.
 */
export async function checkGradients(m: Model, x: Inputs, y: Targets, names: string[], h = 2e-3): Promise<void> {
  const { grads } = await m.gradients(x, y);
  const loss = async () => (await m.gradients(x, y)).loss;
  await compareNumeric(m, names, (k) => { const g = grads.get(k); expect(g, `${k}: no gradient`).toBeDefined(); return g!.data as Float32Array; }, loss, h);
}

/** Each named parameter's first, middle and last gradient entry against central differences of `loss`. */
async function compareNumeric(m: Model | Sequential, names: string[], grad: (k: string) => Float32Array, loss: () => Promise<number>, h: number): Promise<void> {
  const w = m.getWeights();
  for (const name of names) {
    const g = grad(name), v = w.get(name)!;
    for (const i of [0, Math.floor(v.length / 2), v.length - 1]) {
      const v0 = v[i];
      v[i] = v0 + h; m.setWeights(new Map([[name, v]])); const lp = await loss();
      v[i] = v0 - h; m.setWeights(new Map([[name, v]])); const lm = await loss();
      v[i] = v0; m.setWeights(new Map([[name, v]]));
      const num = (lp - lm) / (2 * h);
      expect(Math.abs(num - g[i]), `${name}[${i}]: analytic ${g[i]} numeric ${num}`).toBeLessThan(2e-3 + 0.03 * Math.abs(num));
    }
  }
}
