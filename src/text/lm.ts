// A small GPT-style causal language model built from Axon's layers, in three wirings that share
// every layer name (so weights move between them with getWeights/setWeights):
//   'full':  ids, positions, mask [T] → logits [T, vocab] for every position (one causal forward)
//   'step':  the same plus past keys/values per block (`past_k<i>`, `past_v<i>` [Tpast, dim]); the mask
//            covers Tpast + T keys; outputs logits [T, vocab], then the present keys/values of each
//            block (`dec<i>/attn:1`, `dec<i>/attn:2`): incremental decoding with a KV cache
//   'train': fixed windows [window], left-padded (mask 0, position 0); the next token's
//            probabilities [vocab] after the window's last token (a softmax head, so
//            sparseCategoricalCrossentropy trains it). Every context length 1..window is a sample.
//   'trainAll': fixed full windows [window] (mask 1, positions 0..window-1); the next token's
//            probabilities at every position [window, vocab]: the loss scores every position
//            (labels [n, window]), a window's `window` predictions for one forward pass.
import { AxonError } from '../errors.js';
import * as layers from '../layers/index.js';
import { Model } from '../model/model.js';
import { addDecoderBlock } from '../model/decoder.js';
import type { Engine } from '../runtime/engine.js';

export interface CausalLmConfig {
  vocab: number;
  /** the longest context (positions 0 .. maxLength-1) */
  maxLength: number;
  dim: number;
  heads: number;
  ff: number;
  layers: number;
  /** training window (mode 'train'); default maxLength */
  window?: number;
}

export type CausalLmMode = 'full' | 'step' | 'train' | 'trainAll';

/** Builds the causal LM in one of its wirings (see the file header). */
export function causalLm(c: CausalLmConfig, mode: CausalLmMode, o: { seed?: number; engine?: Engine; name?: string } = {}): Model {
  for (const k of ['vocab', 'maxLength', 'dim', 'heads', 'ff', 'layers'] as const)
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new AxonError('BAD_CONFIG', `causal LM: ${k} must be a positive integer, got ${JSON.stringify(c[k])}`);
  const W = c.window ?? c.maxLength;
  if (!Number.isInteger(W) || W < 1 || W > c.maxLength) throw new AxonError('BAD_CONFIG', `causal LM: window must be an integer in [1, maxLength=${c.maxLength}], got ${JSON.stringify(c.window)}`);
  const L = c.maxLength, seq = (name: string) => (mode === 'train' || mode === 'trainAll' ? { name, shape: [W], dtype: 'i32' as const } : { name, shape: [null], dtype: 'i32' as const, maxShape: [L] });
  const inputs = [seq('ids'), seq('positions'), { ...seq('mask'), ...(mode === 'step' ? { maxShape: [2 * L] } : {}) }];
  if (mode === 'step') for (let i = 0; i < c.layers; i++) for (const kv of ['k', 'v']) inputs.push({ name: `past_${kv}${i}`, shape: [null, c.dim], dtype: 'f32', maxShape: [L, c.dim] } as never);
  const m = new Model({ inputs, seed: o.seed, engine: o.engine, name: o.name ?? 'lm' });
  m.add(layers.embedding({ inputDim: c.vocab, outputDim: c.dim, embeddingsInitializer: { type: 'randomNormal', std: 0.02 }, name: 'tok' }), { inputs: ['ids'] });
  m.add(layers.positionEmbedding({ maxLength: L, name: 'pos' }), { inputs: ['tok', 'positions'] });
  let top = 'pos';
  for (let i = 0; i < c.layers; i++)
    top = addDecoderBlock(m, { input: top, mask: 'mask', heads: c.heads, ff: c.ff, activation: 'gelu', preNorm: true, name: `dec${i}`,
      ...(mode === 'step' ? { cache: { keys: `past_k${i}`, values: `past_v${i}` } } : {}) });
  m.add(layers.layerNormalization({ name: 'ln_f' }), { inputs: [top] });
  if (mode === 'train') {
    m.add(layers.slice({ indices: [[W - 1], null], name: 'last' })).add(layers.flatten({ name: 'last_flat' }));
    m.add(layers.dense({ units: c.vocab, activation: 'softmax', name: 'head' }));
    return m;
  }
  m.add(layers.dense({ units: c.vocab, ...(mode === 'trainAll' ? { activation: 'softmax' as const } : {}), name: 'head' }));
  if (mode === 'step') m.setOutputs(['head', ...Array.from({ length: c.layers }, (_, i) => [`dec${i}/attn:1`, `dec${i}/attn:2`]).flat()]);
  return m;
}

/** The wiring's layer shapes do not change the weights: copies every parameter of `from` into `to` (same config). */
export function copyLmWeights(from: Model, to: Model): Model {
  to.setWeights(from.getWeights());
  return to;
}
