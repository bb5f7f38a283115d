// ONNX RNN / LSTM / GRU import against onnxruntime-node (1e-4), on graphs built here in the shape
// torch.onnx.export writes for nn.LSTM/GRU/RNN(batch_first=True) followed by a Linear on the last
// step (Y) or the final hidden state (Y_h); plus the refusals.
import { describe, it, expect, beforeAll } from 'vitest';
import { importOnnx } from '../../src/import/onnx.js';
import { OnnxBuilder } from '../../src/export/onnx_builder.js';
import { int64Tensor } from '../../src/import/onnx_proto.js';
import type { Engine } from '../../src/runtime/engine.js';
import { engine, randn } from '../helpers.js';
import { conform } from './kit.js';

let e: Engine;
beforeAll(async () => { e = await engine(); });

let seed = 500;
const w = (b: OnnxBuilder, name: string, dims: number[], scale = 0.4) => b.init(name, dims, randn(dims.reduce((p, q) => p * q, 1), ++seed, scale));
const scalar = (b: OnnxBuilder, name: string, v: number) => { b.inits.push(int64Tensor(name, [], [v])); return name; };
const G = { RNN: 1, LSTM: 4, GRU: 3 } as const;
type Op = keyof typeof G;

/** x (N, T, I) → Transpose(1, 0, 2) → op; returns [Y, Y_h]. `zeros` adds initial states: 'init' as initializers, 'shape' computed from x's shape. */
function rnn(b: OnnxBuilder, op: Op, T: number, I: number, H: number, o: { bidi?: boolean; zeros?: 'init' | 'shape'; layout1?: boolean; lbr?: number; name?: string } = {}): [string, string] {
  const D = o.bidi ? 2 : 1, g = G[op];
  const x = o.layout1 ? 'x' : b.node('Transpose', ['x'], { perm: [1, 0, 2] });
  const ins = [x, w(b, `W${seed}`, [D, g * H, I]), w(b, `R${seed}`, [D, g * H, H]), w(b, `B${seed}`, [D, 2 * g * H], 0.2), ''];
  if (o.zeros === 'init') { const z = b.init(`h0_${seed}`, [D, 3, H], new Float32Array(D * 3 * H)); ins.push(z); if (op === 'LSTM') ins.push(z); }
  if (o.zeros === 'shape') {
    const n = b.node('Gather', [b.node('Shape', ['x']), b.ints(`i0_${seed}`, [0])], { axis: 0 });
    const s = b.node('Concat', [b.ints(`d_${seed}`, [D]), n, b.ints(`h_${seed}`, [H])], { axis: 0 });
    const z = b.node('ConstantOfShape', [s]);
    ins.push(z); if (op === 'LSTM') ins.push(z);
  }
  const nm = o.name ?? `${op.toLowerCase()}_node`;
  const attrs: Record<string, number | string> = { hidden_size: H, ...(o.bidi ? { direction: 'bidirectional' } : {}), ...(o.layout1 ? { layout: 1 } : {}) };
  if (op === 'GRU') attrs.linear_before_reset = o.lbr ?? 1;
  const outs = [`${nm}_Y`, `${nm}_Yh`, ...(op === 'LSTM' ? [`${nm}_Yc`] : [])];
  b.node(op, ins, attrs, { name: nm, outputs: outs });
  return [outs[0], outs[1]];
}
const linear = (b: OnnxBuilder, h: string, K: number, O = 5) => b.node('Gemm', [h, w(b, `fc${seed}.w`, [O, K]), w(b, `fc${seed}.b`, [O], 0.1)], { transB: 1 });

const T = 6, I = 4, H = 7, N = 3;
const X = () => randn(N * T * I, ++seed);

describe('ONNX import: recurrent nodes vs onnxruntime-node (1e-4)', () => {
  it.each(['LSTM', 'GRU', 'RNN'] as const)('%s batch_first, out[:, -1, :] (Squeeze, Transpose, Gather) → Linear; zero initial states', async (op) => {
    const b = new OnnxBuilder(op);
    const [Y] = rnn(b, op, T, I, H, { zeros: 'init' });
    let h = b.node('Squeeze', [Y, b.ints('ax1', [1])]);
    h = b.node('Transpose', [h], { perm: [1, 0, 2] });
    h = b.node('Gather', [h, scalar(b, 'last', -1)], { axis: 1 });
    const bytes = await b.build({ name: 'x', dims: ['N', T, I] }, linear(b, h, H));
    const imp = await conform(`${op} last step`, bytes, X(), [N, T, I], e);
    expect(imp.model.inputShape).toEqual([T, I]);
    expect(imp.model.layers.map((l) => l.type)).toEqual([{ LSTM: 'lstm', GRU: 'gru', RNN: 'simpleRnn' }[op], 'dense']);
  });

  it('GRU out[:, -1:, :] as Slice + Squeeze, then Relu and Linear', async () => {
    const b = new OnnxBuilder('gru_slice');
    const [Y] = rnn(b, 'GRU', T, I, H);
    let h = b.node('Squeeze', [Y, b.ints('ax1', [1])]);
    h = b.node('Transpose', [h], { perm: [1, 0, 2] });
    h = b.node('Slice', [h, b.ints('st', [-1]), b.ints('en', [1e9]), b.ints('ax', [1])]);
    h = b.node('Squeeze', [h, b.ints('ax2', [1])]);
    h = b.node('Relu', [h]);
    await conform('GRU slice', await b.build({ name: 'x', dims: ['N', T, I] }, linear(b, h, H)), X(), [N, T, I], e);
  });

  it.each(['LSTM', 'GRU', 'RNN'] as const)('%s final hidden state h_n[-1] (Y_h → Gather) → Linear; initial states from Shape → ConstantOfShape', async (op) => {
    const b = new OnnxBuilder(`${op}_hn`);
    const [, Yh] = rnn(b, op, T, I, H, { zeros: 'shape' });
    const h = b.node('Gather', [Yh, scalar(b, 'last', -1)], { axis: 0 });
    await conform(`${op} h_n`, await b.build({ name: 'x', dims: ['N', T, I] }, linear(b, h, H)), X(), [N, T, I], e);
  });

  it.each(['LSTM', 'GRU'] as const)('bidirectional %s: h_n.transpose(0, 1).reshape(N, -1) → Linear', async (op) => {
    const b = new OnnxBuilder(`${op}_bidi_hn`);
    const [, Yh] = rnn(b, op, T, I, H, { bidi: true });
    let h = b.node('Transpose', [Yh], { perm: [1, 0, 2] });
    h = b.node('Reshape', [h, b.ints('shape', [0, -1])]);
    const imp = await conform(`${op} bidi h_n`, await b.build({ name: 'x', dims: ['N', T, I] }, linear(b, h, 2 * H)), X(), [N, T, I], e);
    expect(imp.model.layers[0].type).toBe('bidirectional');
  });

  it.each(['LSTM', 'RNN'] as const)('bidirectional %s: full output (Transpose(0, 2, 1, 3), Reshape(0, 0, -1), Transpose(1, 0, 2)) → Flatten → Linear', async (op) => {
    const b = new OnnxBuilder(`${op}_bidi_y`);
    const [Y] = rnn(b, op, T, I, H, { bidi: true });
    let h = b.node('Transpose', [Y], { perm: [0, 2, 1, 3] });
    h = b.node('Reshape', [h, b.ints('shape', [0, 0, -1])]);
    h = b.node('Transpose', [h], { perm: [1, 0, 2] });
    h = b.node('Flatten', [h]);
    await conform(`${op} bidi Y`, await b.build({ name: 'x', dims: ['N', T, I] }, linear(b, h, T * 2 * H)), X(), [N, T, I], e);
  });
});

describe('ONNX import: recurrent refusals', () => {
  it('GRU with linear_before_reset=0 names the node and the attribute', async () => {
    const b = new OnnxBuilder('gru0');
    const [, Yh] = rnn(b, 'GRU', T, I, H, { lbr: 0, name: 'my_gru' });
    const bytes = await b.build({ name: 'x', dims: ['N', T, I] }, linear(b, b.node('Squeeze', [Yh, b.ints('a0', [0])]), H));
    await expect(importOnnx(bytes)).rejects.toThrowError(/GRU \(my_gru\): linear_before_reset=0 is not supported/);
  });
  it('non-zero initial state, and the last step of a bidirectional Y', async () => {
    const b = new OnnxBuilder('h0');
    const X0 = b.node('Transpose', ['x'], { perm: [1, 0, 2] });
    b.node('RNN', [X0, w(b, 'W', [1, H, I]), w(b, 'R', [1, H, H]), '', '', w(b, 'h0', [1, N, H])], { hidden_size: H }, { name: 'r', outputs: ['Y', 'Yh'] });
    await expect(importOnnx(await b.build({ name: 'x', dims: [N, T, I] }, b.node('Squeeze', ['Yh', b.ints('a0', [0])])))).rejects.toThrowError(/RNN \(r\): initial_h must be zero/);
    const c = new OnnxBuilder('bidi_last');
    const [Y] = rnn(c, 'LSTM', T, I, H, { bidi: true, name: 'bl' });
    let h = c.node('Transpose', [Y], { perm: [0, 2, 1, 3] });
    h = c.node('Reshape', [h, c.ints('shape', [0, 0, -1])]);
    h = c.node('Transpose', [h], { perm: [1, 0, 2] });
    h = c.node('Gather', [h, scalar(c, 'last', -1)], { axis: 1 });
    await expect(importOnnx(await c.build({ name: 'x', dims: ['N', T, I] }, linear(c, h, 2 * H)))).rejects.toThrowError(/Gather .*the last step of a bidirectional layer's Y is not supported/);
    const d = new OnnxBuilder('layout1');
    const [Y1] = rnn(d, 'LSTM', T, I, H, { layout1: true, name: 'l1' });
    await expect(importOnnx(await d.build({ name: 'x', dims: ['N', T, I] }, Y1, { opset: 14 }))).rejects.toThrowError(/LSTM \(l1\): layout=1/);
  });
});
