// ONNX export of the sequence layers (tokens × features, batch first, the sequence axis may be open),
// in the ops torch.onnx.export writes for them so Axon's importer and onnxruntime both read them:
//   embedding           Gather(weight, ids)                    (ids: the graph's int64 input)
//   positionEmbedding   x + Slice(table, 0, Shape(x)[1])         (learned weight or the sinusoidal table)
//   layerNormalization  LayerNormalization (opset 17), else ReduceMean / Sub / Pow / Sqrt / Div · weight + bias
//   multiHeadAttention  BERT's spelling: MatMul + Add projections, Reshape (0, 0, H, dh) + Transpose of the
//                       heads, MatMul, Mul by 1/√dh, + (1 - mask) · -1e9, Softmax, MatMul, Transpose, Reshape,
//                       output projection. NOTE: a row whose keys are all padding gets uniform weights here
//                       (Axon's kernel gives zeros); causal attention is not exported.
//   dense on a sequence MatMul(x, Wᵀ) + Add(bias)
import { AxonError } from '../errors.js';
import type { Layer } from '../layers/layer.js';
import { Dense } from '../layers/dense.js';
import { LayerNormalization } from '../layers/layernorm.js';
import { MultiHeadAttention } from '../layers/attention.js';
import { PositionEmbedding, sinusoidalTable } from '../layers/sequence.js';
import { DT } from '../import/onnx_proto.js';
import { OnnxBuilder, af } from './onnx_builder.js';

/** What the sequence emitters need of the exporter: the builder, weights, opset and a unit's input tensors. */
export interface SeqCtx { b: OnnxBuilder; w: Map<string, Float32Array>; opset: number }

/** (out, in) → (in, out), a MatMul's B. */
const transposed = (w: Float32Array, out: number, inn: number) => {
  const t = new Float32Array(w.length);
  for (let o = 0; o < out; o++) for (let i = 0; i < inn; i++) t[i * out + o] = w[o * inn + i];
  return t;
};

/** y = x Wᵀ + b with Axon's (out, in) weight `p` (and bias `bias`, if any) of unit u. */
function linear(c: SeqCtx, u: Layer, x: string, p: string, out: number, inn: number, bias: string | undefined, name: string): string {
  const W = c.b.init(`${u.name}.${p}`, [inn, out], transposed(c.w.get(`${u.name}.${p}`)!, out, inn));
  const y = c.b.node('MatMul', [x, W], {}, { name: `${name}/MatMul` });
  return bias ? c.b.node('Add', [y, c.b.init(`${u.name}.${bias}`, [out], c.w.get(`${u.name}.${bias}`)!)], {}, { name }) : y;
}

/** Whether emitSequence writes unit u (its inputs in the Axon layout, channels last). */
export const isSequenceUnit = (u: Layer): boolean => (u instanceof Dense ? u.inputShape.length > 1 : SEQ_TYPES.has(u.type));
const SEQ_TYPES = new Set(['embedding', 'positionEmbedding', 'layerNormalization', 'multiHeadAttention']);

/** Emits sequence unit u (isSequenceUnit) reading tensors `ins`; returns its output tensor. */
export function emitSequence(c: SeqCtx, u: Layer, ins: string[]): string | undefined {
  const { b } = c, x = ins[0], nm = (s: string) => ({ name: `${u.name}/${s}` });
  if (!isSequenceUnit(u)) return undefined;
  if (u instanceof Dense) {
    const K = u.inputShape[u.inputShape.length - 1];
    return linear(c, u, x, 'weight', u.units, K, u.useBias ? 'bias' : undefined, u.name);
  }
  switch (u.type) {
    case 'embedding': return b.node('Gather', [b.init(`${u.name}.weight`, u.params[0].shape, c.w.get(`${u.name}.weight`)!), x], { axis: 0 }, { name: u.name });
    case 'positionEmbedding': {
      const l = u as PositionEmbedding, D = l.inputShape[1];
      const table = l.kind === 'learned' ? c.w.get(`${u.name}.weight`)! : sinusoidalTable(l.maxLength, D);
      const W = b.init(`${u.name}.${l.kind === 'learned' ? 'weight' : 'table'}`, [l.maxLength, D], table);
      if (l.hasPositions) return b.node('Add', [x, b.node('Gather', [W, ins[1]], { axis: 0 }, nm('rows'))], {}, { name: u.name });
      const T = b.node('Gather', [b.node('Shape', [x], {}, nm('shape')), b.ints(`${u.name}.axis1`, [1])], { axis: 0 }, nm('length'));
      const rows = b.node('Slice', [W, b.ints(`${u.name}.start`, [0]), T, b.ints(`${u.name}.slice_axes`, [0])], {}, nm('rows'));
      return b.node('Add', [x, rows], {}, { name: u.name });
    }
    case 'layerNormalization': {
      const l = u as LayerNormalization, C = l.inputShape[l.inputShape.length - 1];
      const wt = l.affine ? c.w.get(`${u.name}.weight`)! : new Float32Array(C).fill(1), bs = l.affine ? c.w.get(`${u.name}.bias`)! : new Float32Array(C);
      const W = b.init(`${u.name}.weight`, [C], wt), B = b.init(`${u.name}.bias`, [C], bs);
      if (c.opset >= 17) return b.node('LayerNormalization', [x, W, B], { axis: -1, epsilon: af(l.eps) }, { name: u.name });
      const mean = b.node('ReduceMean', [x], { axes: [-1] }, nm('mean')), d = b.node('Sub', [x, mean], {}, nm('centered'));
      const v = b.node('ReduceMean', [b.node('Pow', [d, b.init(`${u.name}.two`, [], [2])], {}, nm('square'))], { axes: [-1] }, nm('var'));
      const s = b.node('Sqrt', [b.node('Add', [v, b.init(`${u.name}.eps`, [], [l.eps])], {}, nm('var_eps'))], {}, nm('std'));
      return b.node('Add', [b.node('Mul', [b.node('Div', [d, s], {}, nm('normalized')), W], {}, nm('scaled')), B], {}, { name: u.name });
    }
    case 'multiHeadAttention': return attention(c, u as MultiHeadAttention, ins);
  }
  return undefined;
}

function attention(c: SeqCtx, u: MultiHeadAttention, ins: string[]): string {
  const { b } = c, o = u.opts, H = u.heads, dh = u.dh, E = H * dh, nm = (s: string) => ({ name: `${u.name}/${s}` });
  if (o.causal) throw new AxonError('UNSUPPORTED', `exportOnnx: ${u.name}: causal attention is not exported yet`);
  if (o.memoryKv) throw new AxonError('UNSUPPORTED', `exportOnnx: ${u.name}: cross-attention over precomputed memory keys/values is not exported; export the 'full' wiring`);
  const bias = (p: string) => ((o.useBias ?? true) ? `${p}_bias` : undefined);
  const xq = ins[0], xkv = o.cross ? ins[1] : ins[0];
  const heads = (y: string, perm: number[], s: string) => b.node('Transpose', [b.node('Reshape', [y, b.ints(`${u.name}.${s}_heads`, [0, 0, H, dh])], {}, nm(`${s}_split`))], { perm }, nm(`${s}_heads`));
  const q = heads(linear(c, u, xq, 'q_weight', E, u.Dq, bias('q'), `${u.name}/q`), [0, 2, 1, 3], 'q');
  const k = heads(linear(c, u, xkv, 'k_weight', E, u.Dkv, bias('k'), `${u.name}/k`), [0, 2, 3, 1], 'k');
  const v = heads(linear(c, u, xkv, 'v_weight', E, u.Dkv, bias('v'), `${u.name}/v`), [0, 2, 1, 3], 'v');
  let s = b.node('Mul', [b.node('MatMul', [q, k], {}, nm('scores')), b.init(`${u.name}.scale`, [], [1 / Math.sqrt(dh)])], {}, nm('scaled'));
  if (o.mask) {
    const m = b.node('Unsqueeze', [b.node('Cast', [ins[u.maskInput]], { to: DT.FLOAT }, nm('mask_float')), b.ints(`${u.name}.mask_axes`, [1, 2])], {}, nm('mask_rows'));
    const term = b.node('Mul', [b.node('Sub', [b.init(`${u.name}.one`, [], [1]), m], {}, nm('padding')), b.init(`${u.name}.neg`, [], [-1e9])], {}, nm('mask_term'));
    s = b.node('Add', [s, term], {}, nm('masked'));
  }
  const p = b.node('Softmax', [s], { axis: -1 }, nm('probs'));
  const ctx = b.node('Reshape', [b.node('Transpose', [b.node('MatMul', [p, v], {}, nm('context'))], { perm: [0, 2, 1, 3] }, nm('context_t')), b.ints(`${u.name}.merge`, [0, 0, E])], {}, nm('merge'));
  return linear(c, u, ctx, 'o_weight', u.Dq, E, bias('o'), u.name);
}
