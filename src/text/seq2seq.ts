// A small Transformer encoder-decoder (seq2seq) built from Axon's layers, in four wirings that share
// every layer name (so weights move between them with copySeq2seqWeights):
//   'train':  teacher forcing on fixed windows: src [maxSource] and src_mask (0 = padding), the decoder's
//             ids [maxTarget] (bos, then the target shifted right); the next token's probabilities at
//             every position [maxTarget, vocab] (softmax: sparseCategoricalCrossentropy on labels [n, maxTarget])
//   'full':   the reference decode: src, src_mask [S] and ids [T] (open lengths) → logits [T, vocab];
//             every step recomputes the encoder and the whole target prefix
//   'encode': src, src_mask [S] → the memory (`enc_ln` [S, dim]), then per decoder block the memory's
//             keys and values (`dec<i>/cross`, `dec<i>/cross:1` [S, dim]): computed once per source
//   'step':   ids, positions [T] and mask [Tpast + T] of the new tokens, src_mask [S], per block the past
//             self-attention keys/values (`past_k<i>`, `past_v<i>` [Tpast, dim]) and the cached memory
//             keys/values (`mem_k<i>`, `mem_v<i>` [S, dim]) → logits [T, vocab], then per block the present
//             keys/values (`dec<i>/attn:1`, `dec<i>/attn:2`): nothing of the source or the prefix is recomputed
// Pre-norm blocks (GELU feed-forward), learned positions. The memory padding mask applies in the
// encoder's self-attention and in every cross-attention. The 'step' wiring trains too (every layer
// has its backward), but decoding is what it is for.
import { AxonError } from '../errors.js';
import * as layers from '../layers/index.js';
import { Model } from '../model/model.js';
import { addEncoderBlock } from '../model/blocks.js';
import { addDecoderBlock, addMemoryKv } from '../model/decoder.js';
import type { Engine } from '../runtime/engine.js';

export interface Seq2seqConfig {
  /** source vocabulary (and the target's, unless targetVocab is given) */
  vocab: number;
  targetVocab?: number;
  /** the longest source (encoder positions 0 .. maxSource-1) */
  maxSource: number;
  /** the longest decoder input (decoder positions 0 .. maxTarget-1, the start token included) */
  maxTarget: number;
  dim: number;
  heads: number;
  ff: number;
  encoderLayers: number;
  decoderLayers: number;
}

export type Seq2seqMode = 'train' | 'full' | 'encode' | 'step';

const i32 = (name: string, shape: Array<number | null>, maxShape?: number[]) => ({ name, shape, dtype: 'i32' as const, ...(maxShape ? { maxShape } : {}) });

/** Builds the encoder-decoder in one of its wirings (see the file header). */
export function seq2seq(c: Seq2seqConfig, mode: Seq2seqMode, o: { seed?: number; engine?: Engine; name?: string } = {}): Model {
  for (const k of ['vocab', 'maxSource', 'maxTarget', 'dim', 'heads', 'ff', 'encoderLayers', 'decoderLayers'] as const)
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new AxonError('BAD_CONFIG', `seq2seq: ${k} must be a positive integer, got ${JSON.stringify(c[k])}`);
  if (c.targetVocab !== undefined && !(Number.isInteger(c.targetVocab) && c.targetVocab >= 1)) throw new AxonError('BAD_CONFIG', `seq2seq: targetVocab must be a positive integer, got ${JSON.stringify(c.targetVocab)}`);
  if (c.dim % c.heads !== 0) throw new AxonError('BAD_CONFIG', `seq2seq: dim ${c.dim} is not a multiple of heads ${c.heads}`);
  if (!['train', 'full', 'encode', 'step'].includes(mode)) throw new AxonError('BAD_CONFIG', `seq2seq: mode must be "train", "full", "encode" or "step", got ${JSON.stringify(mode)}`);
  const S = c.maxSource, L = c.maxTarget, D = c.dim, open = (max: number) => (mode === 'train' ? [max] : [null]);
  const src = [i32('src', open(S), mode === 'train' ? undefined : [S]), i32('src_mask', open(S), mode === 'train' ? undefined : [S])];
  const kv = (name: string, max: number) => ({ name, shape: [null, D], dtype: 'f32' as const, maxShape: [max, D] });
  const inputs = mode === 'encode' ? src
    : mode === 'step' ? [i32('ids', [null], [L]), i32('positions', [null], [L]), i32('mask', [null], [2 * L]), src[1],
      ...Array.from({ length: c.decoderLayers }, (_, i) => [kv(`past_k${i}`, L), kv(`past_v${i}`, L), kv(`mem_k${i}`, S), kv(`mem_v${i}`, S)]).flat()]
      : [...src, i32('ids', open(L), mode === 'train' ? undefined : [L])];
  const m = new Model({ inputs, seed: o.seed, engine: o.engine, name: o.name ?? 'seq2seq' });
  if (mode !== 'step') {
    m.add(layers.embedding({ inputDim: c.vocab, outputDim: D, embeddingsInitializer: { type: 'randomNormal', std: 0.02 }, name: 'src_tok' }), { inputs: ['src'] });
    m.add(layers.positionEmbedding({ maxLength: S, name: 'src_pos' }), { inputs: ['src_tok'] });
    let top = 'src_pos';
    for (let i = 0; i < c.encoderLayers; i++) top = addEncoderBlock(m, { input: top, mask: 'src_mask', heads: c.heads, ff: c.ff, activation: 'gelu', preNorm: true, name: `enc${i}` });
    m.add(layers.layerNormalization({ name: 'enc_ln' }), { inputs: [top] });
  }
  if (mode === 'encode') {
    const kvs = Array.from({ length: c.decoderLayers }, (_, i) => addMemoryKv(m, { block: `dec${i}`, memory: 'enc_ln', heads: c.heads }));
    m.setOutputs(['enc_ln', ...kvs.flatMap((r) => [r.keys, r.values])]);
    return m;
  }
  m.add(layers.embedding({ inputDim: c.targetVocab ?? c.vocab, outputDim: D, embeddingsInitializer: { type: 'randomNormal', std: 0.02 }, name: 'tok' }), { inputs: ['ids'] });
  m.add(layers.positionEmbedding({ maxLength: L, name: 'pos' }), { inputs: mode === 'step' ? ['tok', 'positions'] : ['tok'] });
  let top = 'pos';
  for (let i = 0; i < c.decoderLayers; i++)
    top = addDecoderBlock(m, { input: top, heads: c.heads, ff: c.ff, activation: 'gelu', preNorm: true, name: `dec${i}`, memoryMask: 'src_mask',
      ...(mode === 'step' ? { mask: 'mask', cache: { keys: `past_k${i}`, values: `past_v${i}` }, memoryKv: { keys: `mem_k${i}`, values: `mem_v${i}` } } : { memory: 'enc_ln' }) });
  m.add(layers.layerNormalization({ name: 'ln_f' }), { inputs: [top] });
  m.add(layers.dense({ units: c.targetVocab ?? c.vocab, ...(mode === 'train' ? { activation: 'softmax' as const } : {}), name: 'head' }));
  if (mode === 'step') m.setOutputs(['head', ...Array.from({ length: c.decoderLayers }, (_, i) => [`dec${i}/attn:1`, `dec${i}/attn:2`]).flat()]);
  return m;
}

/** Copies into `to` every parameter it has from `from` (another wiring of the same config); returns `to`. */
export function copySeq2seqWeights(from: Model, to: Model): Model {
  const w = from.getWeights(), want = to.layers.flatMap((l) => l.params.map((p) => `${l.name}.${p.name}`));
  const missing = want.filter((k) => !w.has(k));
  if (missing.length) throw new AxonError('BAD_ARGUMENT', `copySeq2seqWeights: model "${from.name}" has no ${missing.slice(0, 4).join(', ')}${missing.length > 4 ? ` (and ${missing.length - 4} more)` : ''}; copy from a seq2seq wiring of the same config ('train' or 'full' hold every weight)`);
  to.setWeights(new Map(want.map((k) => [k, w.get(k)!])));
  return to;
}

/** The 'encode' and 'step' wirings with the weights of `from` (e.g. the trained 'train' wiring): what generateSeq2seq decodes with. */
export function seq2seqDecoder(from: Model, c: Seq2seqConfig, o: { engine?: Engine } = {}): { encode: Model; step: Model } {
  return { encode: copySeq2seqWeights(from, seq2seq(c, 'encode', o)), step: copySeq2seqWeights(from, seq2seq(c, 'step', o)) };
}
