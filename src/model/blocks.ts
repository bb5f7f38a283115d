// Composite blocks added to a Model as ordinary layers (so they train, save, freeze and import
// like any other): the Transformer encoder block, post-norm (BERT, PyTorch's default
// nn.TransformerEncoderLayer) or pre-norm (norm_first=True).
//   post: h = LN1(x + MHA(x, mask)); y = LN2(h + FF(h))       pre: h = x + MHA(LN1(x)); y = h + FF(LN2(h))
// FF(h) = Dense(ff, activation) → Dense(D). Returns the name of the block's output layer.
import { AxonError } from '../errors.js';
import * as layers from '../layers/index.js';
import type { ActivationName } from '../layers/activation.js';
import type { Model } from './model.js';

export interface EncoderBlockOptions {
  /** the layer (or input) the block reads: [T, D] per sample */
  input: string;
  /** an i32 padding-mask input [T] (1 = token), if any */
  mask?: string;
  heads: number;
  /** the feed-forward width (BERT: 4·D) */
  ff: number;
  /** feed-forward activation (BERT: 'gelu'; PyTorch's default: 'relu') */
  activation?: ActivationName;
  preNorm?: boolean;
  eps?: number;
  /** layer names start with it (`${name}/attn`, `${name}/ff1`, …) */
  name: string;
}

export function addEncoderBlock(m: Model, o: EncoderBlockOptions): string {
  if (!o.name) throw new AxonError('BAD_CONFIG', 'an encoder block needs a name (its layers are named after it)');
  const n = (s: string) => `${o.name}/${s}`, eps = o.eps ?? 1e-5;
  const D = shapeOf(m, o.input)[1];
  const attn = (src: string) => m.add(layers.multiHeadAttention({ numHeads: o.heads, mask: o.mask !== undefined, name: n('attn') }), { inputs: [src, ...(o.mask ? [o.mask] : [])] });
  const ff = (src: string) => {
    m.add(layers.dense({ units: o.ff, activation: o.activation ?? 'relu', name: n('ff1') }), { inputs: [src] });
    m.add(layers.dense({ units: D, name: n('ff2') }), { inputs: [n('ff1')] });
  };
  if (o.preNorm) {
    m.add(layers.layerNormalization({ eps, name: n('ln1') }), { inputs: [o.input] });
    attn(n('ln1'));
    m.add(layers.add({ name: n('res1') }), { inputs: [o.input, n('attn')] });
    m.add(layers.layerNormalization({ eps, name: n('ln2') }), { inputs: [n('res1')] });
    ff(n('ln2'));
    m.add(layers.add({ name: n('out') }), { inputs: [n('res1'), n('ff2')] });
    return n('out');
  }
  attn(o.input);
  m.add(layers.add({ name: n('res1') }), { inputs: [o.input, n('attn')] });
  m.add(layers.layerNormalization({ eps, name: n('ln1') }), { inputs: [n('res1')] });
  ff(n('ln1'));
  m.add(layers.add({ name: n('res2') }), { inputs: [n('ln1'), n('ff2')] });
  m.add(layers.layerNormalization({ eps, name: n('out') }), { inputs: [n('res2')] });
  return n('out');
}

function shapeOf(m: Model, ref: string): number[] {
  const s = m.refShape(ref, `encoder block ${ref}`);
  if (s.length !== 2) throw new AxonError('BAD_CONFIG', `encoder block ${ref}: its input must be a [steps, features] sequence, got [${s}]`);
  return s;
}
