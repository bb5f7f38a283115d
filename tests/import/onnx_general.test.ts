// ONNX import on the general graph against onnxruntime-node: several named inputs and outputs,
// dynamic (open) sequence axes, torch's own nn.LSTM / nn.GRU / nn.RNN exports at opsets 13–17
// (tests/fixtures/onnx/make_rnn.py: initial state as graph inputs, or built with ConstantOfShape /
// Expand; 1 and 2 layers; batch_first True and False; output, h_n, c_n as graph outputs), each run
// at three sequence lengths through one imported model; shape / mask arithmetic folded at import;
// and the refusals (inputs of other dtypes, layers depending on an open length).
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { importOnnx } from '../../src/import/onnx.js';
import { OnnxBuilder } from '../../src/export/onnx_builder.js';
import { AT, DT, encodeOnnx, floatTensor, int64Tensor } from '../../src/import/onnx_proto.js';
import { AxonError } from '../../src/errors.js';
import type { Engine } from '../../src/runtime/engine.js';
import { engine, randn } from '../helpers.js';
import { MAX_ERR, maxDiff, reportMaxErr } from './kit.js';

let e: Engine;
beforeAll(async () => { e = await engine(); });
reportMaxErr('general graphs');

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/onnx/${name}.onnx`, import.meta.url)));
type Feed = { data: Float32Array | BigInt64Array; dims: number[] };

/** onnxruntime's outputs for feeds (float32 or int64 by array type). */
async function ortAll(bytes: Uint8Array, feeds: Record<string, Feed>): Promise<Record<string, { data: Float32Array; dims: number[] }>> {
  const s = await ort.InferenceSession.create(bytes);
  const r = await s.run(Object.fromEntries(Object.entries(feeds).map(([k, f]) => [k, new ort.Tensor(f.data instanceof BigInt64Array ? 'int64' : 'float32', f.data, f.dims)])));
  return Object.fromEntries(s.outputNames.map((k) => [k, { data: r[k].data as Float32Array, dims: [...r[k].dims] }]));
}

/** Imports once, then for each feed set compares every graph output with onnxruntime (dims and values). */
async function conformAll(label: string, bytes: Uint8Array, feedSets: Array<Record<string, Feed>>, tol: number) {
  const imp = await importOnnx(bytes, { engine: e, file: label });
  let worst = 0;
  for (const feeds of feedSets) {
    const want = await ortAll(bytes, feeds), got = await imp.run(feeds);
    expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
    for (const k of Object.keys(want)) {
      expect(got[k].dims, `${label} ${k} dims`).toEqual(want[k].dims);
      const d = maxDiff(got[k].data, want[k].data);
      worst = Math.max(worst, d);
      expect(d, `${label} ${k} (${JSON.stringify(Object.fromEntries(Object.entries(feeds).map(([n, f]) => [n, f.dims])))}): max |axon - onnxruntime|`).toBeLessThanOrEqual(tol);
    }
  }
  MAX_ERR[label] = worst;
  return imp;
}

let seed = 900;
const feed = (dims: number[], scale = 1): Feed => ({ data: randn(dims.reduce((p, q) => p * q, 1), ++seed, scale), dims });

/** A graph of several inputs ({ name, dims, elem }) and outputs, from a builder's nodes. */
function graphBytes(b: OnnxBuilder, inputs: Array<{ name: string; dims: Array<number | string>; elem?: number }>, outputs: string[], opset = 13): Promise<Uint8Array> {
  const vi = (name: string, elem: number, dims?: Array<number | string>) => ({ name, type: { tensor_type: { elem_type: elem, ...(dims ? { shape: { dim: dims.map((d) => (typeof d === 'string' ? { dim_param: d } : { dim_value: d })) } } : {}) } } });
  return encodeOnnx({
    ir_version: 8, producer_name: 'axon-test', opset_import: [{ domain: '', version: opset }],
    graph: { name: b.name, node: b.nodes, initializer: b.inits, input: inputs.map((i) => vi(i.name, i.elem ?? DT.FLOAT, i.dims)), output: outputs.map((o) => vi(o, DT.FLOAT)) },
  });
}

describe('ONNX import: several inputs and outputs', () => {
  it('torch two-input, two-head model: names, order and values as onnxruntime (1e-5), batch 1 and 5', async () => {
    const bytes = fixture('torch_two_heads');
    const imp = await conformAll('two heads', bytes, [1, 5].map((N) => ({ x: feed([N, 6]), aux: feed([N, 3]) })), 1e-5);
    expect(imp.inputNames).toEqual(['x', 'aux']);
    expect(imp.outputNames).toEqual(['cls', 'reg']);
    expect(imp.model.inputs.map((m) => [m.name, m.shape, m.dtype])).toEqual([['x', [6], 'f32'], ['aux', [3], 'f32']]);
    expect(imp.model.outputNames).toEqual(imp.outputs.map((o) => o.ref));
    expect(imp.model.outputShapes).toEqual([[4], [2]]);
    // predict by name gives the same as run()
    const ys = await imp.model.predict(imp.toAxonInputs({ x: feed([2, 6]), aux: feed([2, 3]) }));
    expect(Object.keys(ys)).toEqual(imp.model.outputNames);
  });

  it('an input read by two branches and an output that is also read further (a graph output in the middle)', async () => {
    const b = new OnnxBuilder('mid');
    const w = (dims: number[]) => b.init(`w${++seed}`, dims, randn(dims[0] * dims[1], seed, 0.5));
    const h = b.node('Relu', [b.node('Gemm', ['a', w([5, 4])], { transB: 1 })], {}, { name: 'hidden', outputs: ['hidden'] });
    const g = b.node('Gemm', ['b', w([5, 2])], { transB: 1 });
    const s = b.node('Add', [h, g]);
    const out = b.node('Sigmoid', [b.node('Gemm', [s, w([3, 5])], { transB: 1 })]);
    const bytes = await graphBytes(b, [{ name: 'a', dims: ['N', 4] }, { name: 'b', dims: ['N', 2] }], [out, 'hidden']);
    const imp = await conformAll('mid output', bytes, [{ a: feed([3, 4]), b: feed([3, 2]) }], 1e-5);
    expect(imp.outputNames).toEqual([out, 'hidden']);
  });
});

describe('ONNX import: input names', () => {
  it('ONNX input names that are not Axon names are sanitized (torch\'s "input.1", numeric names); "input" stays', async () => {
    const b = new OnnxBuilder('names');
    const s = b.node('Add', [b.node('Add', ['input.1', '0']), 'input']);
    const bytes = await graphBytes(b, [{ name: 'input.1', dims: ['N', 3] }, { name: '0', dims: ['N', 3] }, { name: 'input', dims: ['N', 3] }], [b.node('Relu', [s])]);
    const imp = await conformAll('input names', bytes, [{ 'input.1': feed([2, 3]), 0: feed([2, 3]), input: feed([2, 3]) }], 1e-6);
    expect(imp.inputs.map((i) => [i.onnx, i.name])).toEqual([['input.1', 'input_1'], ['0', 'in_0'], ['input', 'input']]);
    expect(imp.model.inputs.map((m) => m.name)).toEqual(['input_1', 'in_0', 'input']);
  });
});

const RNNS = [
  // fixture, cell, layers, batch_first, initial state
  ['torch_lstm2_bf_input', 'LSTM', 2, true, 'input'],
  ['torch_lstm1_tm_zeros', 'LSTM', 1, false, 'zeros'],
  ['torch_gru2_bf_zeros', 'GRU', 2, true, 'zeros'],
  ['torch_gru1_tm_expand', 'GRU', 1, false, 'expand'],
  ['torch_rnn2_tm_input', 'RNN', 2, false, 'input'],
  ['torch_lstm2_tm_expand', 'LSTM', 2, false, 'expand'],
] as const;

describe("ONNX import: torch's nn.LSTM / nn.GRU / nn.RNN exports vs onnxruntime-node, sequence lengths 1, 4 and 9", () => {
  it.each(RNNS)('%s (%s, %i layers, batch_first %s, state %s)', async (name, cell, L, bf, state) => {
    const N = 3, I = 4, H = 5;
    const sets = [1, 4, 9].map((T) => ({
      x: feed(bf ? [N, T, I] : [T, N, I]),
      ...(state === 'input' ? { h0: feed([L, N, H], 0.5), ...(cell === 'LSTM' ? { c0: feed([L, N, H], 0.5) } : {}) } : {}),
    }));
    const imp = await conformAll(name, fixture(name), sets, 1e-5);
    expect(imp.outputNames).toEqual(['y', 'h_n', ...(cell === 'LSTM' ? ['c_n'] : [])]);
    expect(imp.model.inputs[0]).toMatchObject({ name: 'x', shape: [null, I] });
    const rec = imp.model.layers.filter((l) => l.type === { LSTM: 'lstm', GRU: 'gru', RNN: 'simpleRnn' }[cell]);
    expect(rec.length).toBe(L);
    if (state === 'input') expect(imp.model.inputs.map((m) => [m.name, m.shape])).toEqual([['x', [null, I]], ['h0', [L, H]], ...(cell === 'LSTM' ? [['c0', [L, H]]] : [])]);
  });

  it('a sequence classifier: fc(h_n[-1]) of a 2-layer GRU, at lengths 2, 7 and 12', async () => {
    const imp = await conformAll('gru classifier', fixture('torch_gru_classifier'), [2, 7, 12].map((T) => ({ x: feed([4, T, 4]) })), 1e-5);
    expect(imp.model.outputShapes).toEqual([[3]]);
    expect(imp.model.layers.map((l) => l.type)).toEqual(['gru', 'gru', 'dense']);   // h_n[-1] of Concat(Y_h, Y_h) reads the last layer's state directly
  });

  it('the imported LSTM is the same model at any length: a length beyond the probes and batch 1', async () => {
    const imp = await importOnnx(fixture('torch_lstm2_bf_input'), { engine: e });
    const feeds = { x: feed([1, 23, 4]), h0: feed([2, 1, 5]), c0: feed([2, 1, 5]) };
    const want = await ortAll(fixture('torch_lstm2_bf_input'), feeds), got = await imp.run(feeds);
    for (const k of ['y', 'h_n', 'c_n']) expect(maxDiff(got[k].data, want[k].data)).toBeLessThanOrEqual(1e-5);
  });
});

describe('ONNX import: shape and mask arithmetic on constants', () => {
  it('Range, Equal, Less, Where, Expand, ConstantOfShape, Cast, Unsqueeze fold to a constant mask applied to the input', async () => {
    // mask = Where(Less(Range(0, 6, 1), 4), 1, 0.5) as float, (1, 6) expanded to Shape(x) = (N, 6): y = x * mask + bias(Equal)
    const b = new OnnxBuilder('mask');
    const sc = (name: string, v: number) => { b.inits.push(int64Tensor(name, [], [v])); return name; };
    const r = b.node('Range', [sc('r0', 0), sc('r1', 6), sc('r2', 1)]);
    const lt = b.node('Less', [r, sc('four', 4)]);
    const one = b.init('one', [], [1]), half = b.init('half', [], [0.5]);
    const m = b.node('Where', [lt, one, half]);
    const m2 = b.node('Unsqueeze', [m, b.ints('ax0', [0])]);
    const full = b.node('Expand', [m2, b.node('Shape', ['x'])]);
    const eq = b.node('Cast', [b.node('Equal', [r, sc('two', 2)])], { to: DT.FLOAT });
    const ones = 'quarter6';
    b.nodes.push({ op_type: 'ConstantOfShape', name: 'quarters', input: [b.ints('shape6', [6])], output: [ones], attribute: [{ name: 'value', type: AT.TENSOR, t: floatTensor('', [1], [0.25]) }] });
    const bias = b.node('Mul', [eq, ones]);
    const y = b.node('Add', [b.node('Mul', ['x', full]), bias]);
    const out = b.node('Gemm', [y, b.init('w', [3, 6], randn(18, ++seed, 0.5))], { transB: 1 });
    const bytes = await graphBytes(b, [{ name: 'x', dims: ['N', 6] }], [out]);
    const imp = await conformAll('mask arithmetic', bytes, [{ x: feed([4, 6]) }], 1e-5);
    expect(imp.model.layers.map((l) => l.type)).toEqual(['batchNormalization', 'dense']);   // the folded mask and bias: one fixed per-feature affine layer
  });

  it('refuses arithmetic it cannot evaluate, naming the node: an order comparison on the batch size', async () => {
    const b = new OnnxBuilder('batchcmp');
    const n = b.node('Gather', [b.node('Shape', ['x']), b.ints('i0', [0])], { axis: 0 }, { name: 'batch_size' });
    const c = b.node('Cast', [b.node('Less', [n, b.ints('lim', [8])], {}, { name: 'small_batch' })], { to: DT.FLOAT });
    const y = b.node('Mul', ['x', c]);
    const bytes = await graphBytes(b, [{ name: 'x', dims: ['N', 3] }], [b.node('Relu', [y])]);
    await expect(importOnnx(bytes, { engine: e })).rejects.toThrow(/Less \(small_batch\): cannot be evaluated on constants/);
  });
});

describe('ONNX import: integer inputs', () => {
  /** x (N, 6) float, mask (N, 6) of `elem` → Cast → x * mask → Gemm; plus a second output of the mask as read */
  async function maskGraph(elem: number) {
    const b = new OnnxBuilder('masked');
    const m = b.node('Cast', ['mask'], { to: DT.FLOAT }, { name: 'mask_f' });
    const y = b.node('Gemm', [b.node('Mul', ['x', m]), b.init('w', [3, 6], randn(18, ++seed, 0.5)), b.init('b', [3], randn(3, ++seed, 0.1))], { transB: 1 });
    return graphBytes(b, [{ name: 'x', dims: ['N', 6] }, { name: 'mask', dims: ['N', 6], elem }], [y]);
  }
  const ints = (n: number) => Array.from({ length: n }, (_, i) => [0, 1, 1, 0, 1, 7, -2][(i * 5 + 3) % 7]);

  it('an int64 mask input becomes an i32 model input (Cast layer) and matches onnxruntime (1e-5)', async () => {
    const bytes = await maskGraph(DT.INT64);
    const imp = await conformAll('int64 mask', bytes, [2, 5].map((N) => ({ x: feed([N, 6]), mask: { data: BigInt64Array.from(ints(N * 6), BigInt), dims: [N, 6] } })), 1e-5);
    expect(imp.model.inputs.map((m) => [m.name, m.dtype])).toEqual([['x', 'f32'], ['mask', 'i32']]);
    expect(imp.model.layers.map((l) => l.type)).toContain('cast');
  });

  it('an int32 input too; values outside int32 are an AxonError at feed time naming the input', async () => {
    const imp = await importOnnx(await maskGraph(DT.INT64), { engine: e });
    const big = BigInt64Array.from([1n, 0n, 2n ** 31n, 1n, 1n, 0n]);
    const err = (() => { try { imp.toAxonInputs({ x: feed([1, 6]), mask: { data: big, dims: [1, 6] } }); } catch (x) { return x; } })() as AxonError;
    expect(err).toBeInstanceOf(AxonError);
    expect(err.message).toMatch(/input "mask": value 2147483648 at 2 is not an int32/);
    const bytes32 = await maskGraph(DT.INT32);
    const imp32 = await importOnnx(bytes32, { engine: e });
    expect(imp32.model.inputs[1].dtype).toBe('i32');
    const mask = Int32Array.from(ints(12));
    const want = await (async () => { const s = await ort.InferenceSession.create(bytes32); const x = feed([2, 6]); const r = await s.run({ x: new ort.Tensor('float32', x.data as Float32Array, [2, 6]), mask: new ort.Tensor('int32', mask, [2, 6]) }); return { x, y: r[s.outputNames[0]].data as Float32Array }; })();
    const got = await imp32.run({ x: want.x, mask: { data: mask, dims: [2, 6] } });
    expect(maxDiff(got[imp32.outputNames[0]].data, want.y)).toBeLessThanOrEqual(1e-5);
  });

  it('an integer input read by anything but a Cast is refused naming the node', async () => {
    const b = new OnnxBuilder('intrelu');
    const bytes = await graphBytes(b, [{ name: 'ids', dims: ['N', 4], elem: DT.INT64 }], [b.node('Relu', ['ids'], {}, { name: 'relu_ids' })]);
    await expect(importOnnx(bytes, { engine: e })).rejects.toThrow(/Relu \(relu_ids\): reads the integer input "ids"; only Cast to float/);
  });
});

describe('ONNX import: refusals on the general graph', () => {
  it.each([[DT.DOUBLE, 'float64'], [8, 'string'], [DT.FLOAT16, 'float16']])('an input of ONNX type %i (%s) is an AxonError naming it', async (elem, what) => {
    const b = new OnnxBuilder('dtype');
    const bytes = await graphBytes(b, [{ name: 'x', dims: ['N', 3] }, { name: 'odd', dims: ['N', 3], elem }], [b.node('Add', ['x', 'odd'])]);
    const err = await importOnnx(bytes, { engine: e }).catch((x) => x);
    expect(err).toBeInstanceOf(AxonError);
    expect(err.message).toMatch(new RegExp(`input "odd" is ${what}`));
  });

  it('a layer that depends on the length of an open axis is refused naming its node', async () => {
    // x[:, :T-1] with T from Shape(x): a Slice whose indices depend on the length
    const b = new OnnxBuilder('open');
    const t = b.node('Gather', [b.node('Shape', ['x']), b.ints('i1', [1])], { axis: 0 });
    const end = b.node('Sub', [t, b.ints('one', [1])]);
    const s = b.node('Slice', ['x', b.ints('st', [0]), end, b.ints('ax', [1])], {}, { name: 'drop_last' });
    const bytes = await graphBytes(b, [{ name: 'x', dims: ['N', 'T', 3] }], [b.node('Relu', [s])]);
    await expect(importOnnx(bytes, { engine: e })).rejects.toThrow(/Slice \(drop_last\): its layers depend on the length of an open dimension of input "x"/);
  });

  it('so is a constant computed from the length (x / T: the same layer with other weights)', async () => {
    const b = new OnnxBuilder('open_div');
    const t = b.node('Cast', [b.node('Gather', [b.node('Shape', ['x']), b.ints('i1', [1])], { axis: 0 })], { to: DT.FLOAT });
    const y = b.node('Div', ['x', t], {}, { name: 'per_length' });
    const bytes = await graphBytes(b, [{ name: 'x', dims: ['N', 'T', 3] }], [b.node('Relu', [y])]);
    await expect(importOnnx(bytes, { engine: e })).rejects.toThrow(/Div \(per_length\): its layers depend on the length of an open dimension/);
  });
});
