// Post-training quantization end to end on the digits set (8x8 images): a small trained CNN with
// batch norm (folded), ReLU (fused), max pooling, zero padding (int8), dropout (dropped) and a softmax head → int8;
// accuracy against f32 for each calibration method and for 7-bit weights; the model file (I8
// tensors with .scale/.zero_point, __metadata__.quant) round trip; dynamic mode; and fine-tuning
// an f32 head on a frozen int8 backbone with the normal trainer.
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { Model, Sequential, layers, Tensor, modelToBytes, modelFromBytes, decodeSafetensors } from '../../src/index.js';
import { parseNpy } from '../../src/data/npy.js';
import { Engine } from '../../src/runtime/engine.js';
import { quantizeModel, paramBytes, QAdd, QConv2D, QZeroPadding2D, Quantize, Dequantize } from '../../src/quant/index.js';
import { layerFromConfig } from '../../src/layers/index.js';
import { engine } from '../helpers.js';

let e: Engine;
let f32: Sequential;
let train: { x: Tensor; y: Tensor }, test: { x: Tensor; y: Tensor }, calib: Tensor;
let f32Acc: number;

function digits() {
  const x = parseNpy(readFileSync('models/digits/digits-x.npy'), 'x'), y = parseNpy(readFileSync('models/digits/digits-y.npy'), 'y');
  const n = x.shape[0], xs = Float32Array.from(x.data, (v) => v / 16), ys = Int32Array.from(y.data);
  const part = (a: number, b: number) => ({ x: new Tensor(xs.subarray(a * 64, b * 64), [b - a, 8, 8, 1]), y: new Tensor(ys.subarray(a, b), [b - a]) });
  return { train: part(0, 1400), test: part(1400, n) };
}
const accuracy = async (m: Model) => (await m.evaluate(test.x, test.y, { batchSize: 128 })).accuracy as number;

beforeAll(async () => {
  e = await engine();
  ({ train, test } = digits());
  calib = train.x.slice(0, 300);
  f32 = new Sequential({ inputShape: [8, 8, 1], seed: 3, engine: e });
  f32.add(layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same' })).add(layers.batchNormalization()).add(layers.activation('relu'))
    .add(layers.maxPool2d({ poolSize: 2 }))
    .add(layers.conv2d({ filters: 16, kernelSize: 3, activation: 'relu' }))
    .add(layers.flatten()).add(layers.dropout({ rate: 0.1 }))
    .add(layers.dense({ units: 32, activation: 'relu' }))
    .add(layers.dense({ units: 10, activation: 'softmax' }));
  f32.compile({ optimizer: { type: 'adam', lr: 0.01 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  await f32.fit(train.x, train.y, { epochs: 4, batchSize: 32 });
  f32Acc = await accuracy(f32);
}, 120_000);

describe('post-training quantization (digits CNN)', () => {
  it('the f32 model learned the task', () => { expect(f32Acc).toBeGreaterThan(0.9); });

  it.each(['minmax', 'percentile', 'mse'] as const)('static, %s calibration: int8 layers, accuracy within 2 points of f32', async (method) => {
    const q = await quantizeModel(f32, calib, { activations: method });
    expect(q.layers.map((l) => l.type)).toEqual(['quantize', 'qconv2d', 'qmaxPool2d', 'qconv2d', 'flatten', 'qdense', 'qdense', 'activation']);
    expect(q.layers.map((l) => l.name)).toEqual(['quantize_1', 'conv2d_1', 'maxPool2d_1', 'conv2d_2', 'flatten_1', 'dense_1', 'dense_2', 'dense_2/softmax']);
    const acc = await accuracy(q);
    expect(Math.abs(acc - f32Acc), `f32 ${f32Acc}, int8 ${acc}`).toBeLessThanOrEqual(0.02);
    const [pf, pq] = [await f32.predict(test.x), await q.predict(test.x)];
    let agree = 0;
    for (let r = 0; r < test.y.size; r++) {
      const am = (d: ArrayLike<number>) => { let b = 0; for (let c = 1; c < 10; c++) if (d[r * 10 + c] > d[r * 10 + b]) b = c; return b; };
      if (am(pf.data) === am(pq.data)) agree++;
    }
    expect(agree / test.y.size).toBeGreaterThan(0.97);
  });

  it('7-bit weights (the relaxed-SIMD fast path) cost little accuracy', async () => {
    const acc = await accuracy(await quantizeModel(f32, calib, { weightBits: 7 }));
    expect(Math.abs(acc - f32Acc), `f32 ${f32Acc}, int8 w7 ${acc}`).toBeLessThanOrEqual(0.03);
  });

  it('model file: I8 weights with .scale and .zero_point, I32 biases, __metadata__.quant; loads back to identical predictions', async () => {
    const q = await quantizeModel(f32, calib, { activations: 'percentile' });
    const bytes = modelToBytes(q), { tensors, metadata } = decodeSafetensors(bytes, 'q');
    const dt = (k: string) => tensors.get(k)?.dtype;
    expect([dt('conv2d_1.weight'), dt('conv2d_1.weight.scale'), dt('conv2d_1.weight.zero_point'), dt('conv2d_1.bias')]).toEqual(['I8', 'F32', 'I8', 'I32']);
    expect(tensors.get('conv2d_1.weight')!.shape).toEqual([8, 3, 3, 1]);
    expect(tensors.get('dense_1.weight.scale')!.shape).toEqual([32]);
    expect(tensors.has('batchNormalization_1.weight')).toBe(false);
    const quant = JSON.parse(metadata.quant);
    expect(Object.keys(quant.layers)).toEqual(['quantize_1', 'conv2d_1', 'conv2d_2', 'dense_1', 'dense_2']);
    expect(quant.layers.dense_2).toEqual({ input: quant.layers.dense_1.output });
    expect(paramBytes(q) * 3).toBeLessThan(paramBytes(f32));
    expect(bytes.length * 2).toBeLessThan(modelToBytes(f32).length);
    const { model } = modelFromBytes(bytes, 'q.axon', e);
    expect((await model.predict(test.x)).data).toEqual((await q.predict(test.x)).data);
    expect(await accuracy(model)).toBe(await accuracy(q));
  });

  it('dynamic mode: int8 Dense weights with per-batch activation ranges, convolutions stay f32', async () => {
    const q = await quantizeModel(f32, undefined, { mode: 'dynamic' });
    expect(q.layers.map((l) => l.type)).toEqual(['conv2d', 'batchNormalization', 'activation', 'maxPool2d', 'conv2d', 'flatten', 'qdenseDynamic', 'qdenseDynamic']);
    expect(q.layers.at(-1)!.config()).toMatchObject({ activation: 'softmax' });
    const acc = await accuracy(q);
    expect(Math.abs(acc - f32Acc), `f32 ${f32Acc}, dynamic ${acc}`).toBeLessThanOrEqual(0.02);
    const { model } = modelFromBytes(modelToBytes(q), 'dyn.axon', e);
    expect((await model.predict(test.x.slice(0, 50))).data).toEqual((await q.predict(test.x.slice(0, 50))).data);
    // per-call ranges: predict runs the whole call as one batch unless asked to split (then each batch has its own range)
    const x = test.x.slice(0, 300), whole = await q.predict(x, { batchSize: 300 });
    expect(Buffer.from((await q.predict(x)).data.buffer).equals(Buffer.from(whole.data.buffer))).toBe(true);
    expect(Buffer.from((await q.predict(x, { batchSize: 32 })).data.buffer).equals(Buffer.from(whole.data.buffer))).toBe(false);
  });

  it('fine-tuning: an f32 head on a frozen int8 backbone trains with fit(); the int8 weights do not change', async () => {
    const m = await quantizeModel(f32, calib, { layers: f32.layers.length - 1 });
    expect(m.layers.map((l) => l.type)).toEqual(['quantize', 'qconv2d', 'qmaxPool2d', 'qconv2d', 'flatten', 'qdense']);
    expect(m.layers.at(-1)!.config()).toEqual({ units: 32, activation: 'relu', output: 'f32' });
    m.add(layers.dense({ units: 10, activation: 'softmax', name: 'head' }));
    m.compile({ optimizer: { type: 'adam', lr: 0.01 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const frozen = [...m.getParams()].filter(([k]) => !k.startsWith('head.'));
    const before = await accuracy(m);
    const h = await m.fit(train.x, train.y, { epochs: 3, batchSize: 32 });
    const after = await accuracy(m);
    expect(h.epochs.length).toBe(3);
    expect(after, `before ${before}, after ${after}`).toBeGreaterThan(Math.max(before + 0.3, 0.85));
    const now = m.getParams();
    for (const [k, v] of frozen) expect(now.get(k), k).toEqual(v);
    expect(now.get('conv2d_1.weight')).toBeInstanceOf(Int8Array);
  });
});

describe('post-training quantization of a graph model (digits residual CNN)', () => {
  it('residual add, channel concat and a shared stem: int8 convolutions, int8 add (ReLU fused), f32 concat, accuracy within 2 points', async () => {
    const g = new Model({ inputShape: [8, 8, 1], seed: 5, engine: e });
    g.add(layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', name: 'stem' }));
    g.add(layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', name: 'c1' })).add(layers.batchNormalization({ name: 'bn1' }));
    g.add(layers.add({ name: 'res' }), { inputs: ['stem', 'bn1'] });
    g.add(layers.activation({ activation: 'relu', name: 'res_relu' }));
    g.add(layers.maxPool2d({ poolSize: 2, name: 'pool' }));
    g.add(layers.conv2d({ filters: 8, kernelSize: 1, activation: 'relu', name: 'side' }), { inputs: ['pool'] });
    g.add(layers.concatenate({ name: 'cat' }), { inputs: ['pool', 'side'] });
    g.add(layers.flatten()).add(layers.dense({ units: 10, activation: 'softmax', name: 'head' }));
    g.compile({ optimizer: { type: 'adam', lr: 0.01 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    await g.fit(train.x, train.y, { epochs: 4, batchSize: 32 });
    const gAcc = await accuracy(g);
    expect(gAcc).toBeGreaterThan(0.9);
    const q = await quantizeModel(g, calib);
    expect(q).toBeInstanceOf(Model);
    expect(q.layers.map((l) => l.type)).toEqual(['quantize', 'qconv2d', 'qconv2d', 'qadd', 'qmaxPool2d', 'qconv2d',
      'dequantize', 'dequantize', 'concatenate', 'flatten', 'quantize', 'qdense', 'activation']);
    expect(q.inputsOf('res')).toEqual(['stem', 'c1']);   // stem and bn1-folded c1 stay int8
    const res = q.layers.find((l) => l.name === 'res') as QAdd, [stem, c1] = ['stem', 'c1'].map((n) => q.layers.find((l) => l.name === n) as QConv2D);
    expect(res.config()).toEqual({ activation: 'relu' });
    expect(res.qin).toEqual([stem.qout, c1.qout]);
    expect(res.qout.zeroPoint).toBe(-128);   // calibrated on the ReLU's output: non-negative
    expect(q.inputsOf('side')).toEqual(['pool']);
    expect(q.inputsOf('cat')).toEqual(['dequantize_1', 'dequantize_2']);
    const acc = await accuracy(q);
    expect(Math.abs(acc - gAcc), `f32 ${gAcc}, int8 ${acc}`).toBeLessThanOrEqual(0.02);
    console.log(`graph PTQ (digits residual CNN): f32 ${(gAcc * 100).toFixed(2)} %, int8 ${(acc * 100).toFixed(2)} %, ${paramBytes(g)} → ${paramBytes(q)} parameter bytes`);
    const back = modelFromBytes(modelToBytes(q), 'q.axon', e).model;
    expect(Array.from((await back.predict(test.x.slice(0, 16))).data)).toEqual(Array.from((await q.predict(test.x.slice(0, 16))).data));
  }, 120_000);
});

describe('post-training quantization of zero padding (MobileNetV2-style stride-2 blocks)', () => {
  it('ZeroPadding2D on int8 → QZeroPadding2D (input parameters, pads with the zero point): same outputs as dequantize → f32 pad → quantize; saved and loaded', async () => {
    const m = new Sequential({ inputShape: [8, 8, 1], seed: 9, engine: e });
    m.add(layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu6', name: 'stem' }))
      .add(layers.zeroPadding2d({ padding: [0, 0, 1, 1], name: 'pad1' }))
      .add(layers.depthwiseConv2d({ kernelSize: 3, strides: 2, name: 'dw' })).add(layers.batchNormalization({ name: 'bn' }))
      .add(layers.zeroPadding2d({ padding: 1, name: 'pad2' }))
      .add(layers.conv2d({ filters: 4, kernelSize: 3, name: 'c2' }))
      .add(layers.flatten()).add(layers.dense({ units: 10, activation: 'softmax', name: 'head' }));
    const q = await quantizeModel(m, calib);
    expect(q.layers.map((l) => l.type)).toEqual(['quantize', 'qconv2d', 'qzeroPadding2d', 'qconv2d', 'qzeroPadding2d', 'qconv2d', 'flatten', 'qdense', 'activation']);
    const [stem, pad1, dw, pad2] = ['stem', 'pad1', 'dw', 'pad2'].map((n) => q.layers.find((l) => l.name === n)!) as [QConv2D, QZeroPadding2D, QConv2D, QZeroPadding2D];
    expect([pad1.q, pad2.q]).toEqual([stem.qout, dw.qout]);
    expect(pad1.q.zeroPoint).toBe(-128);   // after ReLU6: padding with -128 is the real 0
    expect(dw.qout.zeroPoint).toBeGreaterThan(-128);   // after batch norm (no activation): an interior zero point
    // the same int8 model with each padding in f32 between a Dequantize and a Quantize of the same parameters
    const f = new Sequential({ inputShape: [8, 8, 1], engine: e });
    for (const l of q.layers) {
      if (l instanceof QZeroPadding2D) {
        f.add(new Dequantize({ name: `dq_${l.name}`, quant: { input: l.q } })).add(layers.zeroPadding2d({ padding: l.pads, name: l.name }))
          .add(new Quantize({ name: `q_${l.name}`, quant: { output: l.q } }));
      } else f.add(layerFromConfig(l.type, { ...l.config(), quant: l.quantParams?.() }, l.name));
    }
    f.setWeights(q.getParams());
    const x = test.x.slice(0, 32), y = Array.from((await q.predict(x)).data);
    expect(y).toEqual(Array.from((await f.predict(x)).data));
    const back = modelFromBytes(modelToBytes(q), 'qpad.axon', e).model, b1 = back.layers.find((l) => l.name === 'pad1') as QZeroPadding2D;
    expect([b1.type, b1.config(), b1.q]).toEqual(['qzeroPadding2d', { padding: [0, 0, 1, 1] }, pad1.q]);
    expect(Array.from((await back.predict(x)).data)).toEqual(y);
  }, 60_000);
});
