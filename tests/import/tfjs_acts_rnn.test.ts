// TensorFlow.js layers models built and saved by @tensorflow/tfjs-layers, imported and compared with
// tfjs's CPU backend: the smooth activations (elu, selu, gelu, swish, the ELU layer), LSTM and
// SimpleRNN (return_sequences, stacked, trained after import); Keras GRUs with reset_after=True
// (which tfjs cannot build) against onnxruntime's GRU; what is refused.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Engine } from '../../src/runtime/engine.js';
import { Tensor } from '../../src/runtime/tensor.js';
import { importTfjsLayers, TfjsModelJson } from '../../src/import/tfjs.js';
import { OnnxBuilder } from '../../src/export/onnx_builder.js';
import { engine, randn } from '../helpers.js';
import { save, randomize, checkTfjs } from './tfjs_layers_kit.js';
import { maxDiff, ortRun } from './kit.js';

let e: Engine;
beforeAll(async () => { e = await engine(); await tf.setBackend('cpu'); });
const ERR: Record<string, number> = {};
afterAll(() => { console.log('tfjs import max |axon - tfjs cpu|:', Object.entries(ERR).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', ')); });

describe('TensorFlow.js layers: smooth activations vs tfjs CPU backend (1e-5)', () => {
  it('Dense with elu, selu, gelu, swish; the ELU layer', async () => {
    const acts = ['elu', 'selu', 'gelu', 'swish'] as const;   // tfjs 4.22 cannot load its own gelu_new back
    const m = tfl.sequential({ layers: [
      tfl.layers.dense({ inputShape: [10], units: 12, activation: acts[0] }),
      ...acts.slice(1).map((a) => tfl.layers.dense({ units: 12, activation: a as never })),
      tfl.layers.dense({ units: 6 }), tfl.layers.elu()] });   // tfjs refuses an ELU layer alpha other than 1
    randomize(m, 7);
    await checkTfjs(e, ERR, 'activations', await save(m), [10], 5, 1e-5);
  });
});

// ---- recurrent layers ----

const T = 7, I = 5;
/** tfjs's orthogonal recurrent initializer fails here (rMat.flatten); the weights are random anyway */
const G = { recurrentInitializer: 'glorotUniform' } as const;
const seqModel = (rnn: tfl.layers.Layer, head = true) => tfl.sequential({ layers: [rnn, ...(head ? [tfl.layers.dense({ units: 3 })] : [])] });

describe('TensorFlow.js layers: LSTM, SimpleRNN vs tfjs CPU backend (1e-5)', () => {
  it('LSTM (return_sequences) → LSTM → Dense', async () => {
    const m = tfl.sequential({ layers: [
      tfl.layers.lstm({ ...G, inputShape: [T, I], units: 6, recurrentActivation: 'sigmoid', returnSequences: true }),
      tfl.layers.lstm({ ...G, units: 4, recurrentActivation: 'sigmoid' }), tfl.layers.dense({ units: 3 })] });
    randomize(m, 11);
    await checkTfjs(e, ERR, 'lstm stack', await save(m), [T, I], 4, 1e-5);
  });
  it('SimpleRNN (return_sequences) → SimpleRNN', async () => {
    const m = tfl.sequential({ layers: [
      tfl.layers.simpleRNN({ ...G, inputShape: [T, I], units: 6, returnSequences: true }), tfl.layers.simpleRNN({ ...G, units: 5, useBias: false })] });
    randomize(m, 12);
    await checkTfjs(e, ERR, 'simple rnn', await save(m), [T, I], 4, 1e-5);
  });
  it('LSTM returning the whole sequence as the model output; one SGD step after import matches tfjs', async () => {
    const m = seqModel(tfl.layers.lstm({ ...G, inputShape: [T, I], units: 4, recurrentActivation: 'sigmoid', returnSequences: true }), false);
    randomize(m, 13);
    const a = await save(m);
    await checkTfjs(e, ERR, 'lstm sequence', a, [T, I], 2, 1e-5);
    const { model, paramSources } = await importTfjsLayers(a as unknown as TfjsModelJson, { engine: e });
    expect(Object.values(paramSources)).toEqual(expect.arrayContaining([expect.stringMatching(/\/recurrent_kernel$/)]));
    const x = randn(2 * T * I, 3), y = randn(2 * T * 4, 4);
    model.compile({ optimizer: { type: 'sgd', lr: 0.5 }, loss: 'mse' });
    await model.fit(new Tensor(x, [2, T, I]), new Tensor(y, [2, T, 4]), { epochs: 1, batchSize: 2, shuffle: false });
    m.compile({ optimizer: tf.train.sgd(0.5), loss: 'meanSquaredError' });
    await m.fit(tf.tensor(x, [2, T, I]), tf.tensor(y, [2, T, 4]), { epochs: 1, batchSize: 2, shuffle: false, verbose: 0 });
    const probe = randn(3 * T * I, 5), want = (m.predict(tf.tensor(probe, [3, T, I])) as tf.Tensor).dataSync();
    const d = maxDiff((await model.predict(new Tensor(probe, [3, T, I]))).data, want);
    ERR['lstm after one SGD step'] = d;
    expect(d).toBeLessThanOrEqual(1e-5);
  });
  it("refuses tfjs's defaults that Axon's kernels do not compute, naming the layer: hardSigmoid gates, GRU reset_after=false", async () => {
    const refuse = async (rnn: tfl.layers.Layer, msg: RegExp) => {
      const a = await save(seqModel(rnn));
      await expect(importTfjsLayers(a as unknown as TfjsModelJson, { engine: e })).rejects.toThrowError(msg);
    };
    await refuse(tfl.layers.lstm({ ...G, inputShape: [T, I], units: 3 }), /LSTM \(lstm\w*\): recurrent_activation "hard_sigmoid": only sigmoid/);
    await refuse(tfl.layers.gru({ ...G, inputShape: [T, I], units: 3, recurrentActivation: 'sigmoid' }), /GRU \(gru\w*\): reset_after=false is not supported/);
  });
});

describe('TensorFlow.js layers: return_state (a functional model with several outputs) vs tfjs CPU backend (1e-5)', () => {
  it.each([['lstm', 3], ['simpleRNN', 2]] as const)('%s with return_state: outputs [head(output), h, (c)] in order', async (kind, nOut) => {
    const x = tfl.input({ shape: [T, I] });
    const rnn = kind === 'lstm' ? tfl.layers.lstm({ ...G, units: 5, recurrentActivation: 'sigmoid', returnState: true, returnSequences: true })
      : tfl.layers.simpleRNN({ ...G, units: 5, returnState: true });
    const outs = rnn.apply(x) as tfl.SymbolicTensor[];
    const head = tfl.layers.dense({ units: 3 }).apply(kind === 'lstm' ? tfl.layers.flatten().apply(outs[0]) : outs[0]) as tfl.SymbolicTensor;
    const m = tfl.model({ inputs: x, outputs: [head, ...outs.slice(1)] });
    randomize(m, 31);
    const a = await save(m), N = 3, xs = randn(N * T * I, 32);
    const want = (m.predict(tf.tensor(xs, [N, T, I])) as tf.Tensor[]).map((t) => t.dataSync());
    const { model } = await importTfjsLayers(a as unknown as TfjsModelJson, { engine: e });
    expect(model.outputNames.length).toBe(nOut);
    const got = await model.predict([new Tensor(xs, [N, T, I])]);
    got.forEach((g, k) => { const d = maxDiff(g.data, want[k]); ERR[`${kind} return_state output ${k}`] = d; expect(d).toBeLessThanOrEqual(1e-5); });
  });
});

/**
 * A Keras GRU with reset_after=True (what Keras 2 saves; tfjs-layers cannot build it): the tfjs
 * topology of a GRU with reset_after set and a (2, 3H) bias. Reference: onnxruntime's GRU with
 * linear_before_reset=1 (the same function, and ONNX's gate order z, r, h is Keras').
 */
describe('TensorFlow.js layers: Keras GRU reset_after=True vs onnxruntime GRU (linear_before_reset=1), 1e-5', () => {
  it.each([false, true])('return_sequences=%s', async (seq) => {
    const H = 6, N = 3;
    const a = await save(seqModel(tfl.layers.gru({ ...G, inputShape: [T, I], units: H, recurrentActivation: 'sigmoid', returnSequences: seq }), false));
    const layer = (a.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers[0];
    layer.config.reset_after = true;
    const kernel = randn(I * 3 * H, 21, 0.5), rec = randn(H * 3 * H, 22, 0.5), bias = randn(2 * 3 * H, 23, 0.3);
    const names = a.weightSpecs.map((s) => s.name), name = (w: string) => names.find((n) => n.endsWith(`/${w}`))!;
    a.weightSpecs = [{ name: name('kernel'), shape: [I, 3 * H], dtype: 'float32' }, { name: name('recurrent_kernel'), shape: [H, 3 * H], dtype: 'float32' }, { name: name('bias'), shape: [2, 3 * H], dtype: 'float32' }];
    a.weightData = new Float32Array([...kernel, ...rec, ...bias]).buffer;
    const x = randn(N * T * I, 24);
    const { model } = await importTfjsLayers(a as unknown as TfjsModelJson, { engine: e });
    const got = (await model.predict(new Tensor(x, [N, T, I]))).data;
    // onnxruntime: X (T, N, I) time-major, W (1, 3H, I) = kernel^T, R (1, 3H, H), B (1, 6H) = [input bias, recurrent bias]
    const tr = (w: Float32Array, rows: number) => Float32Array.from({ length: w.length }, (_, i) => w[(i % rows) * (w.length / rows) + Math.floor(i / rows)]);
    const b = new OnnxBuilder('gru');
    const y = b.node('GRU', ['x', b.init('W', [1, 3 * H, I], tr(kernel, I)), b.init('R', [1, 3 * H, H], tr(rec, H)), b.init('B', [1, 6 * H], bias)], { hidden_size: H, linear_before_reset: 1 }, { outputs: ['Y', 'Y_h'] });
    const xt = Float32Array.from({ length: x.length }, (_, i) => { const t = Math.floor(i / (N * I)), n = Math.floor(i / I) % N, k = i % I; return x[(n * T + t) * I + k]; });
    const want = await ortRun(await b.build({ name: 'x', dims: [T, N, I] }, y), xt, [T, N, I]);   // Y (T, 1, N, H)
    const ref = seq ? Float32Array.from({ length: N * T * H }, (_, i) => { const n = Math.floor(i / (T * H)), t = Math.floor(i / H) % T, j = i % H; return want.data[(t * N + n) * H + j]; })
      : want.data.slice((T - 1) * N * H);
    ERR[`gru reset_after seq=${seq}`] = maxDiff(got, ref);
    expect(got.length).toBe(ref.length);
    expect(maxDiff(got, ref)).toBeLessThanOrEqual(1e-5);
  });
});
