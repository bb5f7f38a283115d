// The attention finder and trace (src/import/onnx_attention*.ts) on hand-written graphs: other
// spellings of the same self-attention than torch's (Mul by 1/√dh on the scores, keys transposed by
// one Transpose(0, 2, 3, 1), heads split as (dh, H) instead of (H, dh), one head, Where-free additive
// masks of -1e4), each against onnxruntime-node (1e-4); and the refusals, one line naming the Softmax
// and why: cross-attention, attention weights read as an output, a mask read with 1 = padding,
// a constant added to the scores.
import { describe, it, expect, beforeAll } from 'vitest';
import { importOnnx } from '../../src/import/onnx.js';
import { OnnxBuilder } from '../../src/export/onnx_builder.js';
import { DT, encodeOnnx, decodeOnnx } from '../../src/import/onnx_proto.js';
import { AxonError } from '../../src/errors.js';
import type { Engine } from '../../src/runtime/engine.js';
import { engine, randn } from '../helpers.js';
import { MAX_ERR, reportMaxErr } from './kit.js';
import { compareOutputs, encoderFixture, feeds, paddingMask } from './encoder_kit.js';

let e: Engine;
beforeAll(async () => { e = await engine(); });
reportMaxErr('hand-written attention');

const D = 12;
interface Variant { heads: number; headsLast?: boolean; mulScale?: boolean; kT?: boolean; mask?: 'add' | 'inverted' | 'const'; cross?: boolean; probsOut?: boolean }

/** x (N, T, 12) [, mask (N, T) int64] → self-attention written BERT-style with the variant's spelling → (N, T, 12). */
function graph(v: Variant): Promise<Uint8Array> {
  const b = new OnnxBuilder('attn'), H = v.heads, dh = D / H;
  let seed = 70;
  const w = (dims: number[]) => b.init(`w${++seed}`, dims, randn(dims.reduce((p, q) => p * q, 1), seed, 0.4));
  const lin = (x: string) => b.node('Add', [b.node('MatMul', [x, w([D, D])]), w([D])]);
  // (N, T, D) → (N, H, T, dh); headsLast: the features split as (dh, H)
  const heads = (x: string, perm: number[]) => b.node('Transpose', [b.node('Reshape', [x, b.ints(`s${++seed}`, v.headsLast ? [0, 0, dh, H] : [0, 0, H, dh])])], { perm: v.headsLast ? perm.map((p) => [0, 1, 3, 2][p]) : perm });
  const q = heads(lin('x'), [0, 2, 1, 3]), kv = v.cross ? 'y' : 'x';
  const k = v.kT ? heads(lin(kv), [0, 2, 3, 1]) : b.node('Transpose', [heads(lin(kv), [0, 2, 1, 3])], { perm: [0, 1, 3, 2] });
  let s = b.node('MatMul', [q, k]);
  s = v.mulScale ? b.node('Mul', [s, b.init('scale', [], [1 / Math.sqrt(dh)])]) : b.node('Div', [s, b.init('sqrt_dh', [], [Math.sqrt(dh)])]);
  if (v.mask === 'add' || v.mask === 'inverted') {
    let m = b.node('Cast', [b.node('Unsqueeze', ['mask', b.ints('ax12', [1, 2])])], { to: DT.FLOAT });
    if (v.mask === 'add') m = b.node('Sub', [b.init('one', [], [1]), m]);
    s = b.node('Add', [s, b.node('Mul', [m, b.init('big', [], [-10000])])]);
  }
  if (v.mask === 'const') s = b.node('Add', [s, b.init('bias', [1, 1, 1, 1], [0.5])]);
  const p = b.node('Softmax', [s], { axis: -1 }, { name: 'attn/Softmax' });
  const ctx = b.node('Reshape', [b.node('Transpose', [b.node('MatMul', [p, heads(lin(kv), [0, 2, 1, 3])])], { perm: [0, 2, 1, 3] }), b.ints('sD', [0, 0, D])]);
  const out = lin(ctx);
  const vi = (name: string, elem: number, dims: Array<number | string>) => ({ name, type: { tensor_type: { elem_type: elem, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dim_param: d } : { dim_value: d })) } } } });
  const inputs = [vi('x', DT.FLOAT, ['N', 'T', D]), ...(v.cross ? [vi('y', DT.FLOAT, ['N', 'T', D])] : []), ...(v.mask === 'add' || v.mask === 'inverted' ? [vi('mask', DT.INT64, ['N', 'T'])] : [])];
  return encodeOnnx({ ir_version: 8, opset_import: [{ domain: '', version: 13 }], graph: { name: 'attn', node: b.nodes, initializer: b.inits, input: inputs,
    output: [vi(out, DT.FLOAT, ['N', 'T', D]), ...(v.probsOut ? [vi(p, DT.FLOAT, ['N', H, 'T', 'T'])] : [])] } });
}
const refusal = async (p: Promise<unknown>): Promise<AxonError> => { try { await p; } catch (err) { return err as AxonError; } throw new Error('expected an AxonError'); };

describe('ONNX import: attention spelled other ways than torch writes it', () => {
  const cases: Array<[string, Variant]> = [
    ['3 heads, Mul by 1/√dh, keys by one Transpose(0, 2, 3, 1), -1e4 padding mask', { heads: 3, mulScale: true, kT: true, mask: 'add' }],
    ['2 heads split as (dh, H)', { heads: 2, headsLast: true, mask: 'add' }],
    ['one head, no mask', { heads: 1 }],
  ];
  for (const [what, v] of cases) it(`${what}: one MultiHeadAttention, as onnxruntime`, async () => {
    const bytes = await graph(v), imp = await importOnnx(bytes, { engine: e, file: what });
    expect(imp.model.layers.map((l) => l.type)).toEqual(['multiHeadAttention']);
    const f = feeds(v.heads * 7);
    let worst = 0;
    for (const T of [5, 9]) worst = Math.max(worst, await compareOutputs(`${what} T=${T}`, bytes, imp, { x: f.floats([3, T, D]), ...(v.mask ? { mask: paddingMask(3, T) } : {}) }));
    MAX_ERR[what] = worst;
  });

  const refused: Array<[string, Variant | 'probs of torch', RegExp]> = [
    ['keys and values from a second input', { heads: 2, cross: true }, /attn\/Softmax.*cross-attention.*not supported/],
    ['the attention weights as a graph output', { heads: 2, probsOut: true }, /attn\/Softmax.*read elsewhere/],
    ['a mask read with 1 = padding', { heads: 2, mask: 'inverted' }, /attn\/Softmax.*1 = padding/],
    ['a constant added to the scores', { heads: 2, mask: 'const' }, /attn\/Softmax.*adds a constant to the attention scores/],
  ];
  for (const [what, v, want] of refused) it(`refuses ${what}, naming the Softmax`, async () => {
    const err = await refusal(importOnnx(await graph(v as Variant), { engine: e }));
    expect(err).toBeInstanceOf(AxonError);
    expect(err.code).toBe('UNSUPPORTED');
    expect(err.message).toMatch(want);
  });

  it("refuses torch's mask compared the other way (mask == 1 as the key padding mask)", async () => {
    const m = await decodeOnnx(encoderFixture('encoder2_mask_op13'));
    const eq = m.graph!.node.find((n) => n.op_type === 'Equal' && n.input[0] === 'mask')!;
    const c = m.graph!.node.find((n) => n.output[0] === eq.input[1])!;
    c.attribute![0].t = { dims: [], data_type: DT.INT64, int64_data: [1] };
    const err = await refusal(importOnnx(await encodeOnnx(m), { engine: e }));
    expect(err.message).toMatch(/layers\.0\/self_attn\/Softmax.*1 = padding/);
  });
});
