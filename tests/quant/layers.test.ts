// int8 layers wired into models: each one-layer model (Quantize → int8 layer → Dequantize) against
// a float64 dequantize → f32 layer → quantize reference within 1 LSB; int8 max pooling exact; the
// f32-output and dynamic Dense layers to f32 rounding of the dequantized math; no backward, no grads.
import { describe, it, expect, beforeAll } from 'vitest';
import { Model, Sequential, Tensor, modelToBytes, modelFromBytes } from '../../src/index.js';
import { Engine } from '../../src/runtime/engine.js';
import { Quantize, Dequantize, QDense, QDenseDynamic, QConv2D, QMaxPool2D, QAdd, QParams, quantizeWeights, quantizeBias, fusedClamp } from '../../src/quant/index.js';
import { convOut } from '../../src/ops.js';
import { engine, randn } from '../helpers.js';

let e: Engine;
beforeAll(async () => { e = await engine(); });

const QIN: QParams = { scale: Math.fround(0.02), zeroPoint: -5 };
const quant = (v: number, q: QParams) => Math.min(127, Math.max(-128, rte(v / q.scale) + q.zeroPoint));
/** round half to even, as the kernels */
function rte(v: number): number { const r = Math.round(v); return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r; }

/** Quantize(QIN) → layer → Dequantize(qout) as a model, and its prediction on x. */
async function run(layer: QDense | QConv2D | QMaxPool2D | QDenseDynamic, inputShape: number[], x: Float32Array, params: Record<string, ArrayLike<number>>, qout?: QParams) {
  const m = new Sequential({ inputShape, engine: e });
  if (!(layer instanceof QDenseDynamic)) m.add(new Quantize({ quant: { output: QIN } }));
  m.add(layer);
  if (qout) m.add(new Dequantize({ quant: { input: qout } }));
  m.setWeights(Object.fromEntries(Object.entries(params).map(([k, v]) => [`${layer.name}.${k}`, v])));
  const n = x.length / inputShape.reduce((a, b) => a * b, 1);
  return { y: (await m.predict(new Tensor(x, [n, ...inputShape]), { batchSize: 8 })).data as Float32Array, m };
}

/** max |got - want| / scale <= 1 (LSB), naming the worst element */
function within1(got: Float32Array, want: Float64Array, scale: number, what: string): void {
  let worst = 0, at = 0;
  for (let i = 0; i < got.length; i++) { const d = Math.abs(got[i] - want[i]) / scale; if (d > worst) { worst = d; at = i; } }
  if (worst > 1.0001) expect.fail(`${what}: ${worst.toFixed(2)} LSB off at ${at}: got ${got[at]}, want ${want[at]}`);
}

describe('int8 layers in a model', () => {
  it('QConv2D (groups 1, same padding, stride 2, fused ReLU) is within 1 LSB of dequantize → conv → quantize', async () => {
    const [N, H, W, C, OC, K] = [3, 7, 6, 5, 6, 3];
    const wf = randn(K * K * C * OC, 2, 0.3), bf = randn(OC, 3, 0.5), x = randn(N * H * W * C, 4);
    const ohwi = new Float32Array(wf.length);
    for (let i = 0; i < K * K * C; i++) for (let o = 0; o < OC; o++) ohwi[o * K * K * C + i] = wf[i * OC + o];
    const q = quantizeWeights(ohwi, OC, false, 8), qb = quantizeBias(bf, QIN.scale, q.scale), qout = { scale: Math.fround(0.05), zeroPoint: -100 };
    const layer = new QConv2D({ filters: OC, kernelSize: K, strides: 2, padding: 'same', activation: 'relu', name: 'qc', quant: { input: QIN, output: qout } });
    const { y } = await run(layer, [H, W, C], x, { weight: q.q, 'weight.scale': q.scale, 'weight.zero_point': new Int8Array(OC), bias: qb }, qout);
    const d = { N, H, W, C, KH: K, KW: K, strideH: 2, strideW: 2, padT: 1, padL: 0, padB: 1, padR: 1, dilH: 1, dilW: 1 };
    // 'same' with stride 2: H 7 → total pad 2 (1, 1); W 6 → total pad 1 (0, 1)
    const { OH, OW } = convOut(d), want = new Float64Array(N * OH * OW * OC), [qmin] = fusedClamp('relu', qout);
    for (let n = 0; n < N; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) for (let o = 0; o < OC; o++) {
      let s = qb[o] * QIN.scale * q.scale[o];
      for (let kh = 0; kh < K; kh++) for (let kw = 0; kw < K; kw++) for (let c = 0; c < C; c++) {
        const ih = oh * 2 - 1 + kh, iw = ow * 2 + kw;
        if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
        const xq = (quant(x[((n * H + ih) * W + iw) * C + c], QIN) - QIN.zeroPoint) * QIN.scale;
        s += xq * q.q[((o * K + kh) * K + kw) * C + c] * q.scale[o];
      }
      want[((n * OH + oh) * OW + ow) * OC + o] = (Math.max(qmin, quant(s, qout)) - qout.zeroPoint) * qout.scale;
    }
    expect(layer.outputShape).toEqual([OH, OW, OC]);
    within1(y, want, qout.scale, 'qconv2d');
  });

  it('QConv2D depthwise (multiplier 2, ReLU6) is within 1 LSB of its reference', async () => {
    const [N, H, W, C, OC, K] = [2, 6, 6, 4, 8, 3];
    const wf = randn(K * K * OC, 5, 0.4), bf = randn(OC, 6, 0.2), x = randn(N * H * W * C, 7);
    const q = quantizeWeights(wf, OC, true, 8), qb = quantizeBias(bf, QIN.scale, q.scale), qout = { scale: Math.fround(0.03), zeroPoint: 10 };
    const layer = new QConv2D({ filters: OC, kernelSize: K, groups: C, padding: 'valid', activation: 'relu6', name: 'qdw', quant: { input: QIN, output: qout } });
    const { y } = await run(layer, [H, W, C], x, { weight: q.q, 'weight.scale': q.scale, 'weight.zero_point': new Int8Array(OC), bias: qb }, qout);
    const OH = H - 2, OW = W - 2, want = new Float64Array(N * OH * OW * OC), [qmin, qmax] = fusedClamp('relu6', qout);
    for (let n = 0; n < N; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) for (let o = 0; o < OC; o++) {
      let s = qb[o] * QIN.scale * q.scale[o];
      for (let kh = 0; kh < K; kh++) for (let kw = 0; kw < K; kw++) {
        const xq = (quant(x[((n * H + oh + kh) * W + ow + kw) * C + (o >> 1)], QIN) - QIN.zeroPoint) * QIN.scale;
        s += xq * q.q[(kh * K + kw) * OC + o] * q.scale[o];
      }
      want[((n * OH + oh) * OW + ow) * OC + o] = (Math.min(qmax, Math.max(qmin, quant(s, qout))) - qout.zeroPoint) * qout.scale;
    }
    within1(y, want, qout.scale, 'depthwise');
  });

  it('QDense: int8 output within 1 LSB; f32 output and dynamic mode to f32 rounding of the dequantized math', async () => {
    const [N, I, U] = [5, 37, 9];
    const wf = randn(U * I, 8, 0.3), bf = randn(U, 9, 0.5), x = randn(N * I, 10);
    const q = quantizeWeights(wf, U, false, 8), qb = quantizeBias(bf, QIN.scale, q.scale), qout = { scale: Math.fround(0.04), zeroPoint: 3 };
    const base = { weight: q.q, 'weight.scale': q.scale, 'weight.zero_point': new Int8Array(U) };
    const acc = (n: number, u: number, xs: (v: number) => number, xscale: number, bias: number) => {
      let s = bias;
      for (let k = 0; k < I; k++) s += xs(x[n * I + k]) * xscale * q.q[u * I + k] * q.scale[u];
      return s;
    };
    const xqs = (v: number) => quant(v, QIN) - QIN.zeroPoint;
    const i8 = await run(new QDense({ units: U, name: 'qd', quant: { input: QIN, output: qout } }), [I], x, { ...base, bias: qb }, qout);
    within1(i8.y, Float64Array.from({ length: N * U }, (_, k) => (quant(acc(Math.floor(k / U), k % U, xqs, QIN.scale, qb[k % U] * QIN.scale * q.scale[k % U]), qout) - qout.zeroPoint) * qout.scale), qout.scale, 'qdense i8');
    const f = await run(new QDense({ units: U, name: 'qf', output: 'f32', quant: { input: QIN } }), [I], x, { ...base, bias: qb });
    const wantF = Float64Array.from({ length: N * U }, (_, k) => acc(Math.floor(k / U), k % U, xqs, QIN.scale, qb[k % U] * QIN.scale * q.scale[k % U]));
    f.y.forEach((v, k) => expect(Math.abs(v - wantF[k])).toBeLessThan(1e-4 * (1 + Math.abs(wantF[k]))));
    // dynamic: this batch's own range
    const lo = Math.min(0, ...x), hi = Math.max(0, ...x), ds = Math.fround((hi - lo) / 255), dq = { scale: ds, zeroPoint: Math.min(127, Math.max(-128, rte(-128 - lo / ds))) };
    const dyn = await run(new QDenseDynamic({ units: U, name: 'qdyn' }), [I], x, { ...base, bias: bf });
    const wantD = Float64Array.from({ length: N * U }, (_, k) => acc(Math.floor(k / U), k % U, (v) => quant(v, dq) - dq.zeroPoint, ds, bf[k % U]));
    dyn.y.forEach((v, k) => expect(Math.abs(v - wantD[k])).toBeLessThan(1e-4 * (1 + Math.abs(wantD[k]))));
    // and it is close to the f32 layer itself (int8 error only)
    const wantExact = Float64Array.from({ length: N * U }, (_, k) => { let s = bf[k % U]; for (let j = 0; j < I; j++) s += x[Math.floor(k / U) * I + j] * wf[(k % U) * I + j]; return s; });
    dyn.y.forEach((v, k) => expect(Math.abs(v - wantExact[k])).toBeLessThan(0.15));
  });

  it('QMaxPool2D equals max pooling of the quantized input; int8 layers add no trainable parameters or gradients', async () => {
    const [N, H, W, C] = [2, 6, 5, 19], x = randn(N * H * W * C, 11);
    const layer = new QMaxPool2D({ poolSize: 2, strides: 2, padding: 'same' });
    const { y, m } = await run(layer, [H, W, C], x, {}, QIN);
    const OH = 3, OW = 3, want = new Float64Array(N * OH * OW * C);
    for (let n = 0; n < N; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) for (let c = 0; c < C; c++) {
      let best = -Infinity;
      for (let kh = 0; kh < 2; kh++) for (let kw = 0; kw < 2; kw++) {
        const ih = oh * 2 + kh, iw = ow * 2 + kw;
        if (ih < H && iw < W) best = Math.max(best, quant(x[((n * H + ih) * W + iw) * C + c], QIN));
      }
      want[((n * OH + oh) * OW + ow) * C + c] = (best - QIN.zeroPoint) * QIN.scale;
    }
    within1(y, want, QIN.scale * 1e-3, 'qmaxpool');
    expect(m.layers.every((l) => !l.trainable)).toBe(true);
    const grads = async () => (await m.session(8)).layout.buffers.filter((b) => b.name.startsWith('grad:') || b.name.startsWith('dact:')).map((b) => b.name);
    expect(await grads(), 'an inference session has no gradient buffers').toEqual([]);
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    // training: no parameter gradients; activation gradients only for the f32 output
    expect(await grads()).toEqual(['dact:2:dequantize_1']);
  });

  it('QAdd (different input parameters, fused ReLU6) is within 1 LSB of dequantize → add → quantize; saved and loaded with its parameters', async () => {
    const [N, S] = [3, [5, 4, 7]], n = N * 140, x = randn(n, 12, 2), qa = { scale: Math.fround(0.045), zeroPoint: -5 }, qb = { scale: Math.fround(0.031), zeroPoint: 40 }, qy = { scale: Math.fround(0.03), zeroPoint: -90 };
    const g = new Model({ inputShape: S, engine: e });
    g.add(new Quantize({ name: 'qa', quant: { output: qa } }), { inputs: ['input'] });
    g.add(new Quantize({ name: 'qb', quant: { output: qb } }), { inputs: ['input'] });
    g.add(new QAdd({ name: 'sum', activation: 'relu6', quant: { inputs: [qa, qb], output: qy } }), { inputs: ['qa', 'qb'] });
    g.add(new Dequantize({ quant: { input: qy } }));
    const xt = new Tensor(x, [N, ...S]), y = (await g.predict(xt, { batchSize: 2 })).data as Float32Array;
    const [qmin, qmax] = fusedClamp('relu6', qy), dq = (v: number, q: QParams) => (quant(v, q) - q.zeroPoint) * q.scale;
    const want = Float64Array.from(x, (v) => (Math.min(qmax, Math.max(qmin, quant(dq(v, qa) + dq(v, qb), qy))) - qy.zeroPoint) * qy.scale);
    within1(y, want, qy.scale, 'qadd');
    expect(Math.min(...y)).toBe(0);   // relu clamps at the zero point
    expect(Math.max(...y)).toBeCloseTo(6, 1);   // relu6's top
    const back = modelFromBytes(modelToBytes(g), 'qadd.axon', e).model, sum = back.layers.find((l) => l.name === 'sum') as QAdd;
    expect([sum.type, sum.config(), sum.qin, sum.qout]).toEqual(['qadd', { activation: 'relu6' }, [qa, qb], qy]);
    expect((await back.predict(xt)).data).toEqual(y);
  });

  it('refuses bad quantization parameters and unsupported shapes with typed errors', () => {
    expect(() => new QAdd({ quant: { inputs: [QIN] as unknown as [QParams, QParams], output: QIN } })).toThrowError(/quant.inputs must hold the two inputs/);
    expect(() => new QAdd({ activation: 'sigmoid' as 'relu', quant: { inputs: [QIN, QIN], output: QIN } })).toThrowError(/fuses only linear, relu or relu6/);
    expect(() => new QAdd({ quant: { inputs: [QIN, { scale: -1, zeroPoint: 0 }], output: QIN } })).toThrowError(/input 1: quantization parameters/);
    expect(() => new QAdd({ quant: { inputs: [QIN, QIN], output: QIN } }).buildMerge([[2, 3], [3, 2]])).toThrowError(/inputs of one shape/);
    expect(() => new Quantize({ quant: { output: { scale: 0, zeroPoint: 0 } } })).toThrowError(/scale: positive finite/);
    expect(() => new Dequantize({ quant: { input: { scale: 1, zeroPoint: 200 } } })).toThrowError(/zeroPoint: integer in \[-128, 127\]/);
    expect(() => new QDense({ units: 3, activation: 'tanh', quant: { input: QIN, output: QIN } })).toThrowError(/fuses only linear, relu or relu6/);
    const m = new Sequential({ inputShape: [4, 4, 6] }).add(new Quantize({ quant: { output: QIN } }));
    expect(() => m.add(new QConv2D({ filters: 6, kernelSize: 3, groups: 2, quant: { input: QIN, output: QIN } }))).toThrowError(/groups = 1 or groups = channels/);
  });
});
