// Conv2D + bias + ReLU fusion (src/compile/fuse.ts). Inference sessions' predict plans run
// conv2d_bias_act_fwd with outputs bit-identical to the unfused plan (a session that keeps every
// activation is not fused); never where the conv's own output has another reader or the ReLU's
// output shares memory with the conv's input. Training plans fuse the forward too (the ReLU's
// backward then masks by its output) and leaky_relu_bwd + bias_grad: a training step gives the
// unfused plan's weights, gradients and optimizer state bit for bit.
import { describe, it, expect } from 'vitest';
import { engine, randn } from '../helpers.js';
import { Model, Sequential, MODEL_INPUT, layers, Tensor } from '../../src/index.js';
import { Session } from '../../src/model/compiler.js';

const e = await engine();
// (without the input checks every predict plan starts with: tests/train/multi_io.test.ts)
const opsOf = async (m: Model, B: number, keep = false) => (await m.session(B, { keepActivations: keep })).plan('predict', B).plan.instrs.filter((i) => !i.label?.startsWith('model input')).map((i) => i.op.name);

// four convolutions on the model input (so no ReLU output can share memory with a conv's input), pooled and joined
function cnn(seed: number): Model {
  const m = new Model({ inputShape: [9, 8, 3], seed, engine: e });
  const branch = (name: string, conv: ReturnType<typeof layers.conv2d>) => {
    m.add(conv, { inputs: [MODEL_INPUT] });
    m.add(layers.globalAveragePooling2d({ name: `${name}_pool` }));
  };
  branch('a', layers.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu', name: 'a' }));          // padded copy, OC 6
  branch('b', layers.conv2d({ filters: 17, kernelSize: 3, activation: 'leakyRelu', name: 'b' }));                     // ragged OC panel
  branch('c', layers.conv2d({ filters: 5, kernelSize: 1, activation: 'relu', name: 'c' }));                           // pointwise: in the GEMM's blocks
  branch('d', layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', useBias: false, name: 'd' })); // no bias: not fused
  m.add(layers.concatenate({ name: 'cat' }), { inputs: ['a_pool', 'b_pool', 'c_pool', 'd_pool'] });
  m.add(layers.dense({ units: 3 }));
  return m;
}

describe('inference plans fuse Conv2D + bias + (leaky) ReLU', () => {
  it('predict plans use conv2d_bias_act_fwd and give the unfused outputs bit for bit', async () => {
    const B = 3, x = new Tensor(randn(B * 9 * 8 * 3, 5), [B, 9, 8, 3]);
    const fused = cnn(1), plain = cnn(1);
    const ops = await opsOf(fused, B);
    expect(ops.filter((o) => o === 'conv2d_bias_act_fwd')).toHaveLength(3);
    expect(ops.filter((o) => o === 'leaky_relu_fwd')).toHaveLength(1);   // the bias-free conv's
    expect(await opsOf(plain, B, true)).not.toContain('conv2d_bias_act_fwd');
    const a = (await fused.predict(x)).data, b = (await plain.predict(x)).data;
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it('not when the conv output has another reader, nor in a training session\'s predict plan', async () => {
    const m = new Model({ inputShape: [6, 6, 2], seed: 2, engine: e });
    m.add(layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'c' }));
    m.add(layers.activation({ activation: 'relu', name: 'r' }));
    m.add(layers.add({ name: 'sum' }), { inputs: ['c', 'r'] });
    expect(await opsOf(m, 2)).not.toContain('conv2d_bias_act_fwd');
    // conv → pool → conv + ReLU: the activation slots keep the second conv's input (the pool output) alive
    // through its ReLU (src/model/fusion_groups.ts), so the ReLU's output does not take its memory and both fuse;
    // without that grouping (fuse: false) the ReLU's output would reuse it
    const chain = new Model({ inputShape: [8, 8, 2], seed: 2, engine: e });
    for (const l of [layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' }), layers.maxPool2d({ poolSize: 2 }), layers.conv2d({ filters: 4, kernelSize: 2, activation: 'relu' })]) chain.add(l);
    expect(await opsOf(chain, 2)).toEqual(['conv2d_bias_act_fwd', 'maxpool2d_fwd', 'conv2d_bias_act_fwd']);
    const s0 = await chain.session(2), last = s0.plan('predict', 2).plan.instrs[2], arg = (n: string) => last.args[last.op.args.findIndex((a) => a.name === n)];
    const root = (b: number) => { const d = s0.layout.get(b); return d.root < 0 ? b : d.root; };
    expect(root(arg('y'))).not.toBe(root(arg('x')));
    const t = cnn(3);
    t.compile({ optimizer: { type: 'sgd', lr: 0.1 }, loss: 'mse' });
    const s = await t.session(2);
    // a training session's predict plan (its activations are not shared, and it does not fuse)
    expect(s.plan('predict', 2).plan.instrs.map((i) => i.op.name)).not.toContain('conv2d_bias_act_fwd');
  });
});

// MobileNet's blocks: conv (no bias) → batch norm → ReLU6, depthwise → batch norm → ReLU6, pointwise → batch norm
// (the projection), a conv with bias + ReLU6 (Keras), a batch norm + leaky ReLU
function mobile(seed: number): Model {
  const m = new Sequential({ inputShape: [12, 10, 3], seed, engine: e });
  const bn = () => layers.batchNormalization({});
  for (const l of [layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', useBias: false }), bn(), layers.activation({ activation: 'relu6' }),
    layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false }), bn(), layers.activation({ activation: 'relu6' }),
    layers.conv2d({ filters: 12, kernelSize: 1, useBias: false }), bn(),
    layers.conv2d({ filters: 6, kernelSize: 1, activation: 'relu6' }),
    layers.conv2d({ filters: 5, kernelSize: 3, useBias: false }), bn(), layers.activation({ activation: 'leakyRelu' }),
    layers.globalAveragePooling2d({}), layers.dense({ units: 3 })]) m.add(l);
  return m;
}

describe('inference plans fuse Conv2D + batch norm + activation, and Conv2D + bias + ReLU6', () => {
  it('predict plans use conv2d_bn_act_fwd / conv2d_bias_relu6_fwd and give the unfused outputs bit for bit', async () => {
    const B = 2, x = new Tensor(randn(B * 12 * 10 * 3, 8, 3), [B, 12, 10, 3]);
    const fused = mobile(4), plain = mobile(4);
    // trained-looking batch-norm statistics (not 0 / 1), the same in both
    for (const m of [fused, plain]) {
      const w = m.getWeights();
      for (const [k, t] of Object.entries(w)) if (/running_var/.test(k)) t.data.set(randn(t.data.length, 9).map((v) => 0.5 + v * v));
      else if (/running_mean|bias|weight/.test(k) && t.data.length <= 12 && !/dense/.test(k)) t.data.set(randn(t.data.length, 10, 0.5));
      m.setWeights(w);
    }
    const ops = await opsOf(fused, B);
    expect(ops.filter((o) => o === 'conv2d_bn_act_fwd')).toHaveLength(4);
    expect(ops).toContain('conv2d_bias_relu6_fwd');
    for (const o of ['batchnorm_fwd_eval', 'relu6_fwd', 'leaky_relu_fwd']) expect(ops).not.toContain(o);
    expect(await opsOf(plain, B, true)).not.toContain('conv2d_bn_act_fwd');
    const a = (await fused.predict(x)).data, b = (await plain.predict(x)).data;
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it('training plans keep the batch norm, and take ReLU6\'s backward mask from its output', async () => {
    const m = mobile(5);
    m.compile({ optimizer: { type: 'sgd', lr: 0.1 }, loss: 'mse' });
    const ops = (await m.session(2)).plan('train', 2).plan.instrs.map((i) => i.op.name);
    expect(ops).not.toContain('conv2d_bn_act_fwd');
    expect(ops).toContain('conv2d_bias_relu6_fwd');
    expect(ops.filter((o) => o.startsWith('batchnorm_fwd'))).toHaveLength(4);
  });
});

describe('Dense layers: gemm_bias_act, with the activation fused in inference and training plans', () => {
  const mlp = (seed: number) => {
    const m = new Sequential({ inputShape: [20], seed, engine: e });
    for (const l of [layers.dense({ units: 33, activation: 'relu' }), layers.dense({ units: 17, activation: 'relu6' }), layers.dense({ units: 9, activation: 'leakyRelu' }),
      layers.dense({ units: 5, useBias: false, activation: 'relu' }), layers.dense({ units: 3, activation: 'softmax' })]) m.add(l);
    return m;
  };
  it('predict plans: one instruction per Dense layer with a bias, the unfused outputs bit for bit', async () => {
    const B = 6, x = new Tensor(randn(B * 20, 12, 2), [B, 20]);
    const fused = mlp(3), plain = mlp(3);
    expect(await opsOf(fused, B)).toEqual(['gemm_bias_act', 'gemm_bias_act', 'gemm_bias_act', 'gemm', 'leaky_relu_fwd', 'gemm_bias_act', 'softmax_fwd']);
    expect((await opsOf(plain, B, true)).filter((o) => o === 'leaky_relu_fwd' || o === 'relu6_fwd')).toHaveLength(4);
    expect(Array.from((await fused.predict(x)).data)).toEqual(Array.from((await plain.predict(x)).data));
  });
  it('a training step gives the unfused plan\'s weights bit for bit', async () => {
    const B = 8, m = mlp(4);
    m.compile({ optimizer: { type: 'adam', lr: 0.01 }, loss: 'sparseCategoricalCrossentropy' });
    const x = new Tensor(randn(B * 20, 13, 2), [B, 20]), y = new Tensor(Int32Array.from({ length: B }, (_, i) => i % 3), [B]);
    await m.fit(x, y, { epochs: 1, batchSize: B });
    const fused = await m.session(B), plain = new Session(await e.spawn(), { ...fused.spec, fuse: false });
    const ops = fused.plan('train', B).plan.instrs.map((i) => i.op.name);
    expect(ops.filter((o) => o === 'leaky_relu_fwd' || o === 'relu6_fwd')).toHaveLength(1);   // (the bias-free layer's)
    const names = fused.layout.buffers.filter((b) => b.root < 0 && !b.name.startsWith('act:') && b.name !== 'gemm.scratch').map((b) => b.name);
    for (const n of fused.layout.buffers.map((b) => b.name)) if (plain.layout.byName(n)) plain.bound.u8(plain.buf(n)).set(fused.bound.u8(fused.buf(n)).subarray(0, plain.layout.byName(n)!.bytes));
    for (let step = 0; step < 2; step++) { fused.run('train', B); plain.run('train', B); }
    for (const n of names) expect(Array.from(plain.bound.u8(plain.buf(n))), n).toEqual(Array.from(fused.bound.u8(fused.buf(n))));
  });
});

describe('training plans: a weight gradient\'s first gemm overwrites instead of a zero fill and an accumulating gemm', () => {
  it('no fill of a Dense weight gradient; its gemm accumulates 0; bias gradients keep theirs; the same bits as the unfused plan (above)', async () => {
    const B = 8, m = new Sequential({ inputShape: [20], seed: 2, engine: e }).add(layers.dense({ units: 16, activation: 'relu' })).add(layers.dense({ units: 4 }));
    m.compile({ optimizer: { type: 'sgd', lr: 0.1 }, loss: 'mse' });
    const fused = await m.session(B), plain = new Session(await e.spawn(), { ...fused.spec, fuse: false });
    const writes = (s: Session, grad: string) => s.plan('train', B).plan.instrs.filter((i) => i.args[i.op.args.findIndex((a) => a.name === (i.op.name === 'fill' ? 'y' : 'c'))] === s.layout.byName(grad)?.id)
      .map((i) => `${i.op.name}${i.op.name === 'gemm' ? ` acc${i.args[i.op.args.findIndex((a) => a.name === 'accumulate')]}` : ''}`);
    for (const l of m.layers) {
      expect(writes(plain, `grad:${l.name}.weight`), l.name).toEqual(['fill', 'gemm acc1']);
      expect(writes(fused, `grad:${l.name}.weight`), l.name).toEqual(['gemm acc0']);
      expect(writes(fused, `grad:${l.name}.bias`), l.name).toEqual(['fill']);   // (bias_grad always adds)
    }
  });
});

describe('training plans fuse the forward and the ReLU-backward + bias-gradient pass', () => {
  it('a training step gives the unfused plan\'s weights, gradients and optimizer state bit for bit', async () => {
    const B = 4, m = new Sequential({ inputShape: [10, 9, 1], seed: 5, engine: e });
    for (const l of [layers.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' }), layers.maxPool2d({ poolSize: 2 }),
      layers.conv2d({ filters: 16, kernelSize: 3, activation: 'leakyRelu' }), layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }),
      layers.flatten(), layers.dense({ units: 3, activation: 'softmax' })]) m.add(l);
    m.compile({ optimizer: { type: 'adam', lr: 0.01 }, loss: 'sparseCategoricalCrossentropy' });
    await m.fit(new Tensor(randn(B * 90, 7), [B, 10, 9, 1]), new Tensor(Int32Array.from([0, 1, 2, 1]), [B]), { epochs: 1, batchSize: B });
    const fused = await m.session(B), plain = new Session(await e.spawn(), { ...fused.spec, fuse: false });
    const ops = (s: Session) => s.plan('train', B).plan.instrs.map((i) => i.op.name);
    expect(ops(fused).filter((o) => o === 'conv2d_bias_act_fwd')).toHaveLength(3);
    expect(ops(fused).filter((o) => o === 'leaky_relu_bwd_bias_grad')).toHaveLength(2);   // 16 and 8 channels; the 6-channel conv keeps two passes
    expect(ops(plain)).not.toContain('conv2d_bias_act_fwd');
    const names = fused.layout.buffers.filter((b) => b.root < 0 && !b.name.startsWith('act:') && b.name !== 'gemm.scratch').map((b) => b.name);
    for (const n of fused.layout.buffers.map((b) => b.name)) if (plain.layout.byName(n)) plain.bound.u8(plain.buf(n)).set(fused.bound.u8(fused.buf(n)).subarray(0, plain.layout.byName(n)!.bytes));
    for (let step = 0; step < 2; step++) { fused.run('train', B); plain.run('train', B); }
    for (const n of names) expect(Array.from(plain.bound.u8(plain.buf(n))), n).toEqual(Array.from(fused.bound.u8(fused.buf(n))));
  });
});

describe('inference sessions share buffers: fusion is decided per unit', () => {
  it('a conv whose output has a second reader is not fused even when it reuses the buffer of a conv that was', async () => {
    // conv_a → relu (fusable); conv_b takes conv_a's freed buffer, and its output is read by the ReLU and by the add
    const make = () => {
      const m = new Model({ inputShape: [6, 6, 2], seed: 4, engine: e });
      m.add(layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv_a' }), { inputs: [MODEL_INPUT] });
      m.add(layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'conv_b' }));
      m.add(layers.activation({ activation: 'relu', name: 'relu_b' }));
      m.add(layers.add({ name: 'sum' }), { inputs: ['conv_b', 'relu_b'] });
      m.add(layers.add({ name: 'sum2' }), { inputs: ['sum', 'conv_a'] });   // keeps conv_b's input alive: relu_b cannot take its memory
      m.add(layers.flatten()).add(layers.dense({ units: 3 }));
      return m;
    };
    const x = new Tensor(randn(2 * 6 * 6 * 2, 9), [2, 6, 6, 2]);
    const shared = make(), kept = make();
    const s = await shared.session(2);
    expect(s.sharesActivations).toBe(true);
    const convA = s.outputs[0], convB = s.outputs[2];
    expect(convB).toBe(convA);                                   // the case: conv_b reuses conv_a's buffer
    expect(await opsOf(kept, 2, true)).not.toContain('conv2d_bias_act_fwd');
    expect(Array.from((await shared.predict(x)).data)).toEqual(Array.from((await kept.predict(x)).data));
  });
});
