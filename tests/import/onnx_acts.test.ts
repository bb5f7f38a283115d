// ELU, SELU, GELU (erf and tanh forms, spelled out as exporters write them) and SiLU: ONNX graphs
// built here, imported onto Axon activations and run against onnxruntime-node; the same activations
// exported back to ONNX (elementary ops at opsets 13–17) and run in onnxruntime. torch's own export
// of them is tests/fixtures/onnx/torch_acts (onnx.test.ts).
import { describe, it, expect, beforeAll } from 'vitest';
import { OnnxBuilder, af } from '../../src/export/onnx_builder.js';
import { exportOnnx } from '../../src/export/onnx.js';
import { Sequential } from '../../src/model/sequential.js';
import * as layers from '../../src/layers/index.js';
import type { Engine } from '../../src/runtime/engine.js';
import { Tensor } from '../../src/runtime/tensor.js';
import { engine, randn } from '../helpers.js';
import { conform, maxDiff, ortRun, reportMaxErr } from './kit.js';

let e: Engine;
beforeAll(async () => { e = await engine(); });
reportMaxErr('activations');

type Spell = (b: OnnxBuilder, x: string) => string;
const c = (b: OnnxBuilder, v: number) => b.init(`c${b.inits.length}`, [], [v]);
const K = Math.sqrt(2 / Math.PI);
const SPELLINGS: [string, string, Spell][] = [
  ['Elu alpha 0.4', 'elu', (b, x) => b.node('Elu', [x], { alpha: af(0.4) })],
  ['Selu (standard constants)', 'selu', (b, x) => b.node('Selu', [x])],
  ['Selu gamma 1 (an ELU)', 'elu', (b, x) => b.node('Selu', [x], { alpha: af(0.8), gamma: af(1) })],
  ['GELU: (x · (1 + erf(x / √2))) · 0.5 (torch)', 'gelu', (b, x) => b.node('Mul', [b.node('Mul', [x, b.node('Add', [b.node('Erf', [b.node('Div', [x, c(b, Math.SQRT2)])]), c(b, 1)])]), c(b, 0.5)])],
  ['GELU: (x · 0.5) · (1 + erf(x · 1/√2))', 'gelu', (b, x) => b.node('Mul', [b.node('Mul', [c(b, 0.5), x]), b.node('Add', [c(b, 1), b.node('Erf', [b.node('Mul', [x, c(b, Math.SQRT1_2)])])])])],
  ['GELU: x · ((1 + erf(x / √2)) · 0.5)', 'gelu', (b, x) => b.node('Mul', [x, b.node('Mul', [b.node('Add', [b.node('Erf', [b.node('Div', [x, c(b, Math.SQRT2)])]), c(b, 1)]), c(b, 0.5)])])],
  ['GELU tanh: Pow(x, 3) (Hugging Face)', 'geluTanh', (b, x) => {
    const u = b.node('Mul', [b.node('Add', [x, b.node('Mul', [c(b, 0.044715), b.node('Pow', [x, c(b, 3)])])]), c(b, K)]);
    return b.node('Mul', [b.node('Mul', [c(b, 0.5), x]), b.node('Add', [b.node('Tanh', [u]), c(b, 1)])]);
  }],
  ['GELU tanh: x · (x · x) (torch)', 'geluTanh', (b, x) => {
    const u = b.node('Mul', [c(b, K), b.node('Add', [b.node('Mul', [b.node('Mul', [x, b.node('Mul', [x, x])]), c(b, 0.044715)]), x])]);
    return b.node('Mul', [c(b, 0.5), b.node('Mul', [x, b.node('Add', [c(b, 1), b.node('Tanh', [u])])])]);
  }],
  ['SiLU: x · Sigmoid(x)', 'swish', (b, x) => b.node('Mul', [b.node('Sigmoid', [x]), x])],
];

describe('ONNX import: smooth activations vs onnxruntime-node (1e-5)', () => {
  it.each(SPELLINGS)('%s', async (label, act, spell) => {
    const b = new OnnxBuilder('act');
    const h = b.node('Gemm', ['x', b.init('w', [16, 12], randn(192, 3, 0.8)), b.init('bias', [16], randn(16, 4, 0.3))], { transB: 1 });
    const bytes = await b.build({ name: 'x', dims: ['N', 12] }, b.node('Gemm', [spell(b, h), b.init('w2', [5, 16], randn(80, 5, 0.3))], { transB: 1 }));
    const imp = await conform(label, bytes, randn(9 * 12, 6, 2), [9, 12], e, 1e-5);
    expect(imp.model.layers.map((l) => l.type)).toEqual(['dense', 'activation', 'dense']);
    expect((imp.model.layers[1] as layers.Activation).activation).toBe(act);
  });

  it('leaves a near-miss pattern as ops (GELU with 0.6 instead of 0.5 is not a GELU)', async () => {
    const b = new OnnxBuilder('miss');
    const y = b.node('Mul', [b.node('Mul', ['x', b.node('Add', [b.node('Erf', [b.node('Div', ['x', c(b, Math.SQRT2)])]), c(b, 1)])]), c(b, 0.6)]);
    const err = await conform('near miss', await b.build({ name: 'x', dims: ['N', 4] }, y), randn(8, 1), [2, 4], e).catch((x: Error) => x);
    expect(String(err)).toMatch(/Erf \(erf_\d+\): op not supported/);
  });
});

describe('ONNX export: smooth activations run in onnxruntime-node (1e-5)', () => {
  it.each([13, 17])('elu, selu, gelu, geluTanh, swish at opset %i', async (opset) => {
    const m = new Sequential({ inputShape: [10], seed: 3, engine: e });
    for (const a of ['elu', 'selu', 'gelu', 'geluTanh', 'swish'] as const) m.add(layers.dense({ units: 10, activation: a }));
    m.add(layers.activation('silu'));
    m.add(layers.activation({ activation: 'elu', alpha: 0.3 }));
    const x = randn(6 * 10, 9, 2), y = await m.predict(new Tensor(x, [6, 10]));
    const want = await ortRun(await exportOnnx(m, { opset }), x, [6, 10]);
    const d = maxDiff(y.data, want.data);
    expect(d).toBeLessThanOrEqual(1e-5);
  });
});
