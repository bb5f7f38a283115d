// ZeroPadding2D folded into the convolution after it (src/compile/fuse.ts foldZeroPadding): inference
// sessions' predict plans run the convolution over the unpadded input with the padding added to its own,
// and give the unfused plan's outputs (the same sums; only an all-zero one could differ in its sign).
// Not folded where the padded output has another reader, in training plans, or where a group-1
// convolution's zero-padded copy would outgrow its scratch (it would take the slower border path).
import { describe, it, expect } from 'vitest';
import { engine, randn } from '../helpers.js';
import { Model, Sequential, MODEL_INPUT, layers, Tensor } from '../../src/index.js';

const e = await engine();
const instrs = async (m: Model, B: number, keep = false) => (await m.session(B, { keepActivations: keep })).plan('predict', B).plan.instrs.filter((i) => !i.label?.startsWith('model input'));
const dimsOf = (ins: { op: { args: { name: string }[] }; args: number[] }) => Object.fromEntries(ins.op.args.map((a, k) => [a.name, ins.args[k]]));

// MobileNetV2's stride-2 blocks: ZeroPadding2D (bottom/right) + depthwise 3x3/2 + BN + ReLU6, then a
// padded 3x3 Conv2D whose own 'same' padding adds to the ZeroPadding2D's, then a 1x1 Conv2D
function net(seed: number): Sequential {
  const m = new Sequential({ inputShape: [17, 18, 8], seed, engine: e });
  m.add(layers.zeroPadding2d({ padding: [0, 0, 1, 1] }));
  m.add(layers.depthwiseConv2d({ kernelSize: 3, strides: 2, useBias: false }));
  m.add(layers.batchNormalization());
  m.add(layers.activation({ activation: 'relu6' }));
  m.add(layers.zeroPadding2d({ padding: [1, 2, 0, 1] }));
  m.add(layers.conv2d({ filters: 12, kernelSize: 3, padding: 'same', activation: 'relu' }));
  m.add(layers.zeroPadding2d({ padding: 1 }));
  m.add(layers.conv2d({ filters: 5, kernelSize: 1 }));
  return m;
}

/** max |a - b| (so +0 and -0 count as equal) */
const maxDiff = (a: Float32Array, b: Float32Array) => { let d = a.length === b.length ? 0 : Infinity; for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i])); return d; };

describe('inference plans fold ZeroPadding2D into the convolution after it', () => {
  it('the convolutions take the padding; outputs equal the unfused plan\'s', async () => {
    const B = 3, x = new Tensor(randn(B * 17 * 18 * 8, 5), [B, 17, 18, 8]);
    const fused = net(1), plain = net(1);
    // non-trivial batch-norm statistics, the same in both
    const w = fused.getWeights();
    for (const [k, v] of w) if (/moving|running/i.test(k)) w.set(k, Float32Array.from(v, (_, i) => (k.includes('var') || k.includes('Var') ? 0.5 + (i % 5) / 4 : (i % 7) / 10 - 0.3)));
    fused.setWeights(w); plain.setWeights(w);
    const ins = await instrs(fused, B), ops = ins.map((i) => i.op.name);
    expect(ops).not.toContain('zeropad2d_fwd');
    expect(ops).toEqual(['conv2d_bn_act_fwd', 'conv2d_bias_act_fwd', 'conv2d_bias_fwd']);
    const pads = ins.map((i) => { const d = dimsOf(i); return [d.H, d.W, d.padT, d.padL, d.padB, d.padR]; });
    expect(pads).toEqual([[17, 18, 0, 0, 1, 1], [8, 9, 2, 3, 1, 2], [9, 12, 1, 1, 1, 1]]);
    expect((await instrs(plain, B, true)).map((i) => i.op.name).filter((o) => o === 'zeropad2d_fwd')).toHaveLength(3);
    const a = (await fused.predict(x)).data as Float32Array, b = (await plain.predict(x)).data as Float32Array;
    expect(a.length).toBe(B * 11 * 14 * 5);
    expect(maxDiff(a, b)).toBe(0);
  });

  it('not when the padded output has another reader, in training plans, or when the padded copy would not fit', async () => {
    const two = new Model({ inputShape: [8, 8, 4], seed: 2, engine: e });
    two.add(layers.zeroPadding2d({ padding: 1, name: 'zp' }));
    two.add(layers.conv2d({ filters: 4, kernelSize: 3, name: 'c' }));
    two.add(layers.globalAveragePooling2d({ name: 'g1' }), { inputs: ['zp'] });
    two.add(layers.globalAveragePooling2d({ name: 'g2' }), { inputs: ['c'] });
    two.add(layers.concatenate({ name: 'cat' }), { inputs: ['g1', 'g2'] });
    expect((await instrs(two, 2)).map((i) => i.op.name)).toContain('zeropad2d_fwd');

    const t = net(3);
    t.compile({ optimizer: { type: 'sgd', lr: 0.1 }, loss: 'mse' });
    const s = await t.session(2);
    expect(s.plan('train', 2).plan.instrs.map((i) => i.op.name)).toContain('zeropad2d_fwd');

    // 224 x 224 x 3 padded to 225 x 225 before a 3x3/2 convolution (MobileNetV2's first layer): the
    // implicit GEMM reads the padded input in place; folded, it would need a 225 x 225 x 3 copy (> 2^16 floats)
    const big = new Sequential({ inputShape: [224, 224, 3], seed: 4, engine: e });
    big.add(layers.zeroPadding2d({ padding: [0, 0, 1, 1] }));
    big.add(layers.conv2d({ filters: 8, kernelSize: 3, strides: 2 }));
    expect((await instrs(big, 1)).map((i) => i.op.name)).toEqual(['zeropad2d_fwd', 'conv2d_bias_fwd']);
  });
});
