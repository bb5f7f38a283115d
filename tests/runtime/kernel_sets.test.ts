// Kernel sets (src/kernel_sets.ts): the infer and core builds carry exactly the ops the host says
// they do, refuse the others (in wasm and, first, on the host, with an error saying what to load),
// give the full build's bits for what they run, and models on the default engine pick the smallest
// set their session needs (model/engine_choice.ts), falling back to the full build when a plan needs it.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { Engine } from '../../src/runtime/engine.js';
import { AxonError } from '../../src/errors.js';
import { OPS } from '../../src/ops.js';
import { PLAN_MAGIC, PLAN_VERSION } from '../../src/compile/plan.js';
import { inKernelSet, isTrainingOp, type KernelSet } from '../../src/kernel_sets.js';
import { Model, Sequential, layers, Tensor } from '../../src/index.js';
import { LayerNormalization } from '../../src/layers/layernorm.js';
import '../../targets/node/engine.js'; // the Node target's default engine loader (it has every build)
import { BUILD, randn } from '../helpers.js';

const bytes = (b: string) => readFileSync(new URL(`../../build/axon.${b}.wasm`, import.meta.url));
const PREFIX: Record<KernelSet, string> = { full: '', core: 'core.', infer: 'infer.' };
const engineOf = (set: KernelSet) => Engine.create({ simd: bytes(`${PREFIX[set]}simd`), relaxed: bytes(`${PREFIX[set]}relaxed`) }, { build: BUILD });

function mlp(engine?: Engine): Sequential {
  const m = new Sequential({ inputShape: [6], seed: 3, engine });
  m.add(layers.dense({ units: 8, activation: 'relu' }));
  m.add(layers.dropout({ rate: 0.2 }));
  m.add(layers.dense({ units: 3, activation: 'softmax' }));
  m.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
  return m;
}
const x = new Tensor(randn(4 * 6, 7), [4, 6]);
const y = new Tensor(Float32Array.from({ length: 12 }, (_, k) => (k % 3 === Math.floor(k / 3) % 3 ? 1 : 0)), [4, 3]);

function encoder(engine?: Engine, norm = layers.layerNormalization({ name: 'ln' })): Model {
  const m = new Model({ inputs: [{ name: 'x', shape: [5, 8] }], seed: 5, engine });
  m.add(layers.dense({ units: 8, name: 'proj' }), { inputs: ['x'] });
  m.add(norm);
  return m;
}

describe('kernel sets', () => {
  it('each build knows exactly the ops inKernelSet gives it (a one-instruction plan per op: unknown opcode or not)', async () => {
    for (const set of ['infer', 'core', 'full'] as const) {
      const e = await engineOf(set);
      expect(e.kernelSet).toBe(set);
      const missing: string[] = [], expected: string[] = [];
      for (const op of OPS) {
        const w = new Uint32Array(4 + 2 + op.args.length);
        w[0] = PLAN_MAGIC; w[1] = PLAN_VERSION; w[2] = 0; w[3] = 2 + op.args.length; w[4] = op.code; w[5] = op.args.length;
        const p = e.put(w);
        if (e.exports.plan_validate(p, w.byteLength, e.base) === -5) missing.push(op.name);
        if (!inKernelSet(op, set)) expected.push(op.name);
      }
      expect(missing).toEqual(expected);
      if (set === 'full') expect(missing).toEqual([]);
    }
    // the sets nest, and the infer build has no training op
    expect(OPS.filter((o) => inKernelSet(o, 'infer') && !inKernelSet(o, 'core'))).toEqual([]);
    expect(OPS.filter((o) => inKernelSet(o, 'infer') && isTrainingOp(o))).toEqual([]);
    for (const name of ['adam', 'conv2d_bwd_w', 'batchnorm_fwd_train', 'dropout_fwd', 'xent_logits_bwd', 'random_flip']) expect(inKernelSet(OPS.find((o) => o.name === name)!, 'infer')).toBe(false);
    for (const name of ['gemm', 'conv2d_fwd', 'batchnorm_fwd_eval', 'lstm_fwd', 'qs8_gemm', 'softmax_fwd']) expect(inKernelSet(OPS.find((o) => o.name === name)!, 'infer')).toBe(true);
  });

  it('a smaller build given explicitly refuses a plan it cannot run with UNSUPPORTED naming the op and what to load', async () => {
    const err = await encoder(await engineOf('core')).predict(new Tensor(randn(2 * 5 * 8, 1), [2, 5, 8])).catch((e) => e);
    expect(err).toBeInstanceOf(AxonError);
    expect(err.code).toBe('UNSUPPORTED');
    expect(err.message).toMatch(/layernorm_fwd.*core kernel build.*kernels: 'full'/);
    const m = mlp(await engineOf('infer'));
    await m.predict(x); // predicting needs nothing more
    const fit = await m.fit(x, y, { epochs: 1, verbose: 0 }).catch((e) => e);
    expect(fit).toBeInstanceOf(AxonError);
    expect(fit.message).toMatch(/infer kernel build/);
  });

  it('on the default engine a model predicts on infer, trains on core, and gets the full build bit for bit', async () => {
    const m = mlp(), ref = mlp(await engineOf('full'));
    const p = await m.predict(x);
    expect((await m.session(4, { use: 'predict' })).engine.kernelSet).toBe('infer');
    expect(Array.from(p.data)).toEqual(Array.from((await ref.predict(x)).data));
    await m.fit(x, y, { epochs: 3, batchSize: 2, verbose: 0 });
    await ref.fit(x, y, { epochs: 3, batchSize: 2, verbose: 0 });
    expect((await m.session(4)).engine.kernelSet).toBe('core');
    const w = m.getWeights(), wr = ref.getWeights();
    for (const [k, v] of wr) expect(Array.from(w.get(k)!), k).toEqual(Array.from(v));
    expect(Array.from((await m.predict(x)).data)).toEqual(Array.from((await ref.predict(x)).data));
  });

  it('a model with transformer layers gets the full build; a layer the first guess misses is caught by its plan and run on the full build', async () => {
    const t = new Tensor(randn(2 * 5 * 8, 2), [2, 5, 8]);
    const m = encoder(), ref = encoder(await engineOf('full'));
    expect(Array.from((await m.predict(t)).data)).toEqual(Array.from((await ref.predict(t)).data));
    expect((await m.session(2, { use: 'predict' })).engine.kernelSet).toBe('full');
    class OwnNorm extends LayerNormalization { override readonly type = 'ownNorm' as 'layerNormalization'; }
    const own = encoder(undefined, new OwnNorm({ name: 'ln' }));
    expect(Array.from((await own.predict(t)).data)).toEqual(Array.from((await ref.predict(t)).data));
    expect((await own.session(2, { use: 'predict' })).engine.kernelSet).toBe('full');
  });
});
