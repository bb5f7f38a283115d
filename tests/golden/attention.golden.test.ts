// MultiHeadAttention and LayerNormalization against PyTorch 1.13 (tests/fixtures/torch/gen_attention.py):
// nn.MultiheadAttention(batch_first) with a key padding mask, cross-attention and a causal mask;
// outputs within 1e-5 and parameter gradients of sum(out * g) within 1e-4 (through Model.gradients,
// an mse loss whose target makes dLoss/dout = g).
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { Model, layers, Tensor } from '../../src/index.js';
import type { Engine } from '../../src/runtime/engine.js';
import { engine } from '../helpers.js';

const ref = JSON.parse(readFileSync(new URL('../fixtures/torch/attention.json', import.meta.url), 'utf8'));
let e: Engine;
beforeAll(async () => { e = await engine(); });

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => { let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i])); expect(a.length).toBe(b.length); return m; };
/** A target t with dMSE/dy = g: t = y - g·n/2 (n = every element). */
const targetFor = (y: Float32Array, g: number[]) => Float32Array.from(y, (v, i) => v - (g[i] * y.length) / 2);

describe('MultiHeadAttention = torch.nn.MultiheadAttention', () => {
  for (const c of ref.attention) {
    it(`${c.name}: B=${c.B} Tq=${c.Tq} Tk=${c.Tk} D=${c.D} heads=${c.H}`, async () => {
      const inputs = [{ name: 'x', shape: [c.Tq, c.D] }, ...(c.cross ? [{ name: 'kv', shape: [c.Tk, c.D] }] : []), ...(c.causal ? [] : [{ name: 'keep', shape: [c.Tk], dtype: 'i32' as const }])];
      const m = new Model({ inputs, engine: e });
      m.add(layers.multiHeadAttention({ numHeads: c.H, cross: c.cross, mask: !c.causal, causal: c.causal, name: 'mha' }), { inputs: inputs.map((i) => i.name) });
      m.setWeights(Object.fromEntries(Object.entries(c.weights).map(([k, v]) => [`mha.${k}`, v as number[]])));
      const feed: Record<string, Tensor> = { x: Tensor.from(c.x, [c.B, c.Tq, c.D]) };
      if (c.cross) feed.kv = Tensor.from(c.kv, [c.B, c.Tk, c.D]);
      if (!c.causal) feed.keep = new Tensor(Int32Array.from(c.keep), [c.B, c.Tk], 'i32');
      const y = (await m.predict(feed)).mha;
      const dy = maxDiff(y.data, c.out);
      console.log(`${c.name}: max |axon - torch| out ${dy.toExponential(2)}`);
      expect(dy).toBeLessThan(1e-5);
      m.compile({ optimizer: 'sgd', loss: 'mse' });
      const { grads } = await m.gradients(feed, new Tensor(targetFor(y.data as Float32Array, c.g), y.shape));
      for (const k of ['q_weight', 'k_weight', 'v_weight', 'v_bias', 'o_weight', 'o_bias']) {
        const d = maxDiff(grads.get(`mha.${k}`)!.data, c.grads[k]);
        expect(d, `${k}: max diff ${d}`).toBeLessThan(1e-4);
      }
    });
  }
});

it('LayerNormalization = torch.nn.LayerNorm(6) on [3, 4, 6]: outputs and gradients', async () => {
  const L = ref.layernorm, m = new Model({ inputShape: [4, 6], engine: e }).add(layers.layerNormalization({ name: 'ln' }));
  m.setWeights({ 'ln.weight': L.weight, 'ln.bias': L.bias });
  const x = Tensor.from(L.x, [3, 4, 6]), y = await m.predict(x);
  expect(maxDiff(y.data, L.out)).toBeLessThan(1e-5);
  m.compile({ optimizer: 'sgd', loss: 'mse' });
  const { grads } = await m.gradients(x, new Tensor(targetFor(y.data as Float32Array, L.g), y.shape));
  expect(maxDiff(grads.get('ln.weight')!.data, L.dweight)).toBeLessThan(1e-4);
  expect(maxDiff(grads.get('ln.bias')!.data, L.dbias)).toBeLessThan(1e-4);
});
