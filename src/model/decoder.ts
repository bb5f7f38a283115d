// The Transformer decoder block (PyTorch's nn.TransformerDecoderLayer), added to a Model as
// ordinary layers: causal self-attention, optional cross-attention to an encoder's memory, and the
// feed-forward, post-norm (PyTorch's default) or pre-norm (norm_first=True):
//   post: h = LN1(x + SA(x)); h = LN2(h + CA(h, mem)); y = LN3(h + FF(h))
//   pre:  h = x + SA(LN1(x)); h = h + CA(LN2(h), mem); y = h + FF(LN3(h))
// Without a memory the cross-attention step (and LN2) is left out: a GPT-style block.
// With `cache`, the self-attention reads the past keys/values and returns the present ones as
// `${name}/attn:1` and `${name}/attn:2` (src/layers/attention.ts): one step feeds only new tokens.
// With `memoryKv` instead of `memory`, the cross-attention reads the memory's keys and values as
// projected once per source by addMemoryKv (an attentionMemory layer named `${name}/cross`, holding
// the cross-attention's k/v weights): a decoding step never re-projects the memory.
import { AxonError } from '../errors.js';
import * as layers from '../layers/index.js';
import { attentionRate, blockDropout, blockFeedForward, type EncoderBlockOptions } from './blocks.js';
import type { Model } from './model.js';

/** The encoder block's options (input, mask, heads, ff, activation, preNorm, eps, name), plus memory and cache. */
export interface DecoderBlockOptions extends EncoderBlockOptions {
  /** the encoder's output [S, D] to cross-attend to (seq2seq); absent: no cross-attention */
  memory?: string;
  /** the memory's projected keys and values [S, D] (addMemoryKv's outputs, or model inputs fed with them) instead of the memory */
  memoryKv?: { keys: string; values: string };
  /** an i32 padding mask over the memory [S] (1 = token) */
  memoryMask?: string;
  /** an i32 padding mask over the self-attention's keys: [T], or [Tpast + T] with a cache */
  mask?: string;
  /** past keys and values [Tpast, D] (model inputs or a previous step's outputs) for incremental decoding */
  cache?: { keys: string; values: string };
}

/** Adds a decoder block; returns the name of its output layer (`${name}/out`). */
export function addDecoderBlock(m: Model, o: DecoderBlockOptions): string {
  if (!o.name) throw new AxonError('BAD_CONFIG', 'a decoder block needs a name (its layers are named after it)');
  if (o.memory && o.memoryKv) throw new AxonError('BAD_CONFIG', `decoder block ${o.name}: give the memory or its keys/values (memoryKv), not both`);
  const cross = o.memory !== undefined || o.memoryKv !== undefined;
  if (o.memoryMask && !cross) throw new AxonError('BAD_CONFIG', `decoder block ${o.name}: memoryMask needs a memory to cross-attend to`);
  const n = (s: string) => `${o.name}/${s}`, eps = o.eps ?? 1e-5;
  const s = m.refShape(o.input, `decoder block ${o.name}`);
  if (s.length !== 2) throw new AxonError('BAD_CONFIG', `decoder block ${o.name}: its input must be a [steps, features] sequence, got [${s}]`);
  const D = s[1];
  const ln = (name: string, src: string) => m.add(layers.layerNormalization({ eps, name: n(name) }), { inputs: [src] });
  const add = (name: string, a: string, b: string) => m.add(layers.add({ name: n(name) }), { inputs: [a, b] });
  const selfAttn = (src: string) => {
    m.add(layers.multiHeadAttention({ numHeads: o.heads, causal: true, mask: o.mask !== undefined, cache: o.cache !== undefined, dropout: attentionRate(o), name: n('attn') }),
      { inputs: [src, ...(o.cache ? [o.cache.keys, o.cache.values] : []), ...(o.mask ? [o.mask] : [])] });
    return blockDropout(m, o, 'attn_drop', n('attn'));
  };
  const crossAttn = (src: string) => {
    m.add(layers.multiHeadAttention({ numHeads: o.heads, cross: true, memoryKv: o.memoryKv !== undefined, mask: o.memoryMask !== undefined, dropout: attentionRate(o), name: n('cross') }),
      { inputs: [src, ...(o.memoryKv ? [o.memoryKv.keys, o.memoryKv.values] : [o.memory!]), ...(o.memoryMask ? [o.memoryMask] : [])] });
    return blockDropout(m, o, 'cross_drop', n('cross'));
  };
  if (o.preNorm) {
    ln('ln1', o.input); add('res1', o.input, selfAttn(n('ln1')));
    let h = n('res1');
    if (cross) { ln('ln2', h); add('res2', h, crossAttn(n('ln2'))); h = n('res2'); }
    ln('ln3', h); add('out', h, blockFeedForward(m, o, D, n('ln3')));
    return n('out');
  }
  add('res1', o.input, selfAttn(o.input)); ln('ln1', n('res1'));
  let h = n('ln1');
  if (cross) { add('res2', h, crossAttn(h)); ln('ln2', n('res2')); h = n('ln2'); }
  add('res3', h, blockFeedForward(m, o, D, h)); ln('out', n('res3'));
  return n('out');
}

/**
 * Adds the memory's key/value projections of decoder block `block` (an attentionMemory layer named
 * `${block}/cross`, the weights of that block's cross-attention, in another wiring); returns the refs
 * of the keys and the values ([S, D] each), for a decoder block's memoryKv or a model's outputs.
 * `name` overrides the layer's name (in the block's own model, where `${block}/cross` is taken).
 */
export function addMemoryKv(m: Model, o: { block: string; memory: string; heads: number; name?: string }): { keys: string; values: string } {
  const name = o.name ?? `${o.block}/cross`;
  m.add(layers.attentionMemory({ numHeads: o.heads, name }), { inputs: [o.memory] });
  return { keys: name, values: `${name}:1` };
}
