// Composite blocks added to a Model as ordinary layers (so they train, save, freeze and import
// like any other): the Transformer encoder block, post-norm (BERT, PyTorch's default
// nn.TransformerEncoderLayer) or pre-norm (norm_first=True).
//   post: h = LN1(x + MHA(x, mask)); y = LN2(h + FF(h))       pre: h = x + MHA(LN1(x)); y = h + FF(LN2(h))
// FF(h) = Dense(ff, activation) → Dense(D). Returns the name of the block's output layer.
// `dropout` (training only) is PyTorch's: on the attention probabilities, after the FF activation,
// and on each sublayer's output before its residual add (BERT: hidden and attention dropout 0.1);
// `attentionDropout` overrides the rate on the attention probabilities.
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
  /** dropout rate in training (PyTorch's `dropout`), default 0 */
  dropout?: number;
  /** dropout rate on the attention probabilities (default: dropout) */
  attentionDropout?: number;
  /** layer names start with it (`${name}/attn`, `${name}/ff1`, …) */
  name: string;
}

/** Dropout `${block}/${name}` on src when the block has a rate, else src itself. */
export function blockDropout(m: Model, o: EncoderBlockOptions, name: string, src: string): string {
  if (!o.dropout) return src;
  m.add(layers.dropout({ rate: o.dropout, name: `${o.name}/${name}` }), { inputs: [src] });
  return `${o.name}/${name}`;
}

/** The block's feed-forward from src: Dense(ff, activation) → dropout → Dense(D) → dropout; returns its output. */
export function blockFeedForward(m: Model, o: EncoderBlockOptions, D: number, src: string): string {
  m.add(layers.dense({ units: o.ff, activation: o.activation ?? 'relu', name: `${o.name}/ff1` }), { inputs: [src] });
  m.add(layers.dense({ units: D, name: `${o.name}/ff2` }), { inputs: [blockDropout(m, o, 'ff_drop', `${o.name}/ff1`)] });
  return blockDropout(m, o, 'ff2_drop', `${o.name}/ff2`);
}

/** The attention-probability dropout rate of a block. */
export const attentionRate = (o: EncoderBlockOptions): number | undefined => o.attentionDropout ?? o.dropout;

export function addEncoderBlock(m: Model, o: EncoderBlockOptions): string {
  if (!o.name) throw new AxonError('BAD_CONFIG', 'an encoder block needs a name (its layers are named after it)');
  const n = (s: string) => `${o.name}/${s}`, eps = o.eps ?? 1e-5;
  const D = shapeOf(m, o.input)[1];
  const attn = (src: string) => {
    m.add(layers.multiHeadAttention({ numHeads: o.heads, mask: o.mask !== undefined, dropout: attentionRate(o), name: n('attn') }), { inputs: [src, ...(o.mask ? [o.mask] : [])] });
    return blockDropout(m, o, 'attn_drop', n('attn'));
  };
  if (o.preNorm) {
    m.add(layers.layerNormalization({ eps, name: n('ln1') }), { inputs: [o.input] });
    m.add(layers.add({ name: n('res1') }), { inputs: [o.input, attn(n('ln1'))] });
    m.add(layers.layerNormalization({ eps, name: n('ln2') }), { inputs: [n('res1')] });
    m.add(layers.add({ name: n('out') }), { inputs: [n('res1'), blockFeedForward(m, o, D, n('ln2'))] });
    return n('out');
  }
  m.add(layers.add({ name: n('res1') }), { inputs: [o.input, attn(o.input)] });
  m.add(layers.layerNormalization({ eps, name: n('ln1') }), { inputs: [n('res1')] });
  m.add(layers.add({ name: n('res2') }), { inputs: [n('ln1'), blockFeedForward(m, o, D, n('ln1'))] });
  m.add(layers.layerNormalization({ eps, name: n('out') }), { inputs: [n('res2')] });
  return n('out');
}

function shapeOf(m: Model, ref: string): number[] {
  const s = m.refShape(ref, `encoder block ${ref}`);
  if (s.length !== 2) throw new AxonError('BAD_CONFIG', `encoder block ${ref}: its input must be a [steps, features] sequence, got [${s}]`);
  return s;
}
