// Whole-model gradient checks for the recurrent layers' state paths: the initial states h0 (and c0)
// computed by Dense layers from a second model input, and the final states h_n (and c_n) read by
// losses (`layer:1`, `layer:2` outputs) beside a head on the sequence output. Central differences
// of the training loss through the wasm forward (tests/train/model-gradcheck.ts) for the weights
// before the state inputs (gradients that flow back through dh0 / dc0), the recurrent weights and
// the head.
import { describe, it, expect, beforeAll } from 'vitest';
import { Model, layers, Tensor } from '../../src/index.js';
import type { Sequential } from '../../src/index.js';
import { Engine } from '../../src/runtime/engine.js';
import { engine, randn } from '../helpers.js';
import { checkModelGradients } from './model-gradcheck.js';

let e: Engine;
beforeAll(async () => { e = await engine(); });

describe('recurrent state in and out: whole-model gradient check', () => {
  it.each(['lstm', 'gru', 'simpleRnn'] as const)('%s: h0/c0 from Dense layers on a context input, losses on y, h_n (and c_n)', async (cell) => {
    const T = 4, I = 3, C = 2, H = 5, B = 3, lstm = cell === 'lstm';
    const m = new Model({ inputs: [{ name: 'seq', shape: [T, I] }, { name: 'ctx', shape: [C] }], seed: 7, engine: e });
    m.add(layers.dense({ units: H, activation: 'tanh', name: 'init_h' }), { inputs: ['ctx'] });
    if (lstm) m.add(layers.dense({ units: H, name: 'init_c' }), { inputs: ['ctx'] });
    m.add(layers[cell]({ units: H, returnSequences: true, returnState: true, name: 'rnn' }), { inputs: ['seq', 'init_h', ...(lstm ? ['init_c'] : [])] });
    m.add(layers.flatten({ name: 'flat' }), { inputs: ['rnn'] });
    m.add(layers.dense({ units: 2, name: 'head' }));
    const outs = ['head', 'rnn:1', ...(lstm ? ['rnn:2'] : [])];
    m.setOutputs(outs);
    m.compile({ optimizer: { type: 'sgd', lr: 0 }, loss: Object.fromEntries(outs.map((o) => [o, 'mse'])), lossWeights: Object.fromEntries(outs.map((o, i) => [o, 1 + i / 2])) });
    const x = { seq: new Tensor(randn(B * T * I, 1), [B, T, I]), ctx: new Tensor(randn(B * C, 2), [B, C]) };
    const y = { head: new Tensor(randn(B * 2, 3), [B, 2]), 'rnn:1': new Tensor(randn(B * H, 4, 0.5), [B, H]), ...(lstm ? { 'rnn:2': new Tensor(randn(B * H, 5, 0.5), [B, H]) } : {}) };
    const names = ['init_h.weight', 'init_h.bias', ...(lstm ? ['init_c.weight', 'init_c.bias'] : []), 'rnn.weight_ih', 'rnn.weight_hh', 'rnn.bias_hh', 'head.weight'];
    const g = await checkModelGradients(m as unknown as Sequential, x as unknown as Tensor, y as unknown as Tensor, B, names);
    // the state paths carry gradient well above the check's absolute tolerance (a dropped dh0 / dc0 would fail)
    for (const k of names.filter((n) => n.startsWith('init_'))) expect(Math.max(...Array.from(g.get(k)!, Math.abs)), k).toBeGreaterThan(0.02);
  });
});
