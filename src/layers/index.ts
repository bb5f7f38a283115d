// Layer factories (the public `layers` namespace) and the registry used to rebuild layers from a model file.
import { own } from '../format/validate.js';
import { AxonError } from '../errors.js';
import { Activation, ActivationOptions } from './activation.js';
import { Dense, DenseOptions } from './dense.js';
import { Dropout, Flatten, Reshape } from './misc.js';
import { Cast } from './cast.js';
import { Conv2D, Conv2DOptions, Conv1D, Conv1DOptions, DepthwiseConv2D, DepthwiseOptions } from './conv.js';
import { MaxPool2D, MaxPool1D, AvgPool2D, AvgPool1D, GlobalAveragePooling2D, ZeroPadding2D, Pool2DOptions, Pool1DOptions } from './pool.js';
import { BatchNormalization, BatchNormOptions } from './norm.js';
import { Conv2DTranspose, Conv2DTransposeOptions } from './conv_transpose.js';
import { Pad2D, Pad2DOptions, Slice } from './gather.js';
import { SimpleRNN, LSTM, GRU, Recurrent, RecurrentOptions } from './recurrent.js';
import { Bidirectional, BidirectionalOptions } from './recurrent_bidirectional.js';
import { RandomFlip, RandomFlipOptions, RandomTranslation, RandomTranslationOptions, RandomRotation, RandomRotationOptions, GaussianNoise, GaussianNoiseOptions,
  RandomBrightnessContrast, RandomBrightnessContrastOptions, SequenceJitter, SequenceJitterOptions } from './augment.js';
import { Add, Concatenate, Multiply } from './merge.js';
import { Embedding, EmbeddingOptions } from './embedding.js';
import { LayerNormalization, LayerNormOptions } from './layernorm.js';
import { MelSpectrogram, MelSpectrogramOptions } from './audio.js';
import { MultiHeadAttention, MultiHeadAttentionOptions } from './attention.js';
import { AttentionMemory, AttentionMemoryOptions } from './attention_memory.js';
import { PositionEmbedding, PositionEmbeddingOptions, MaskedMeanPooling } from './sequence.js';
import type { Layer } from './layer.js';
import { QUANT_LAYER_TYPES } from '../quant/registry.js';
import { editDistance } from '../model/names.js';

export { Layer, MergeLayer } from './layer.js';
export { Add, Concatenate, Multiply };
export { SimpleRNN, LSTM, GRU, Recurrent, Bidirectional, type RecurrentOptions, type BidirectionalOptions };
export { Cast };
export { Dense, Activation, Dropout, Flatten, Reshape, Conv2D, Conv1D, DepthwiseConv2D, MaxPool2D, MaxPool1D, AvgPool2D, AvgPool1D, GlobalAveragePooling2D, ZeroPadding2D, BatchNormalization };

// option and helper types of the factories below (type-only: the API reference documents them)
export type { DenseOptions, ActivationOptions, Conv2DOptions, Conv1DOptions, DepthwiseOptions, Pool2DOptions, Pool1DOptions, BatchNormOptions, Conv2DTransposeOptions, Pad2DOptions,
  RandomFlipOptions, RandomTranslationOptions, RandomRotationOptions, GaussianNoiseOptions, RandomBrightnessContrastOptions, SequenceJitterOptions };
export type { ActivationName } from './activation.js';
export type { Padding } from './conv.js';
export type { PadMode } from './gather.js';
export type { FlipMode } from './augment.js';
export type { Init, InitName } from './init.js';
export type { Regularizer, ParamDef, ParamData, ParamDtype } from './layer.js';
export type { MergeMode, RecurrentSpec } from './recurrent_bidirectional.js';
export type { CellType } from './recurrent.js';

export const dense = (o: DenseOptions) => new Dense(o);
export const activation = (o: ActivationOptions | ActivationOptions['activation']) => new Activation(typeof o === 'string' ? { activation: o } : o);
export const dropout = (o: { rate: number; name?: string }) => new Dropout(o);
export const flatten = (o: { name?: string } = {}) => new Flatten(o);
export const reshape = (o: { targetShape: number[]; name?: string }) => new Reshape(o);
export const conv2d = (o: Conv2DOptions) => new Conv2D(o);
export const conv1d = (o: Conv1DOptions) => new Conv1D(o);
export const depthwiseConv2d = (o: DepthwiseOptions) => new DepthwiseConv2D(o);
export const maxPool2d = (o: Pool2DOptions = {}) => new MaxPool2D(o);
export const maxPool1d = (o: Pool1DOptions = {}) => new MaxPool1D(o);
export const avgPool1d = (o: Pool1DOptions & { countIncludePad?: boolean } = {}) => new AvgPool1D(o);
export const avgPool2d = (o: Pool2DOptions & { countIncludePad?: boolean } = {}) => new AvgPool2D(o);
export const globalAveragePooling2d = (o: { name?: string } = {}) => new GlobalAveragePooling2D(o);
export const zeroPadding2d = (o: ConstructorParameters<typeof ZeroPadding2D>[0] = {}) => new ZeroPadding2D(o);
export const batchNormalization = (o: BatchNormOptions = {}) => new BatchNormalization(o);
export { Conv2DTranspose, Pad2D, Slice };
export const conv2dTranspose = (o: Conv2DTransposeOptions) => new Conv2DTranspose(o);
export const pad2d = (o: Pad2DOptions = {}) => new Pad2D(o);
export const slice = (o: ConstructorParameters<typeof Slice>[0]) => new Slice(o);
export const simpleRnn = (o: RecurrentOptions) => new SimpleRNN(o);
export const lstm = (o: RecurrentOptions) => new LSTM(o);
export const gru = (o: RecurrentOptions) => new GRU(o);
export const bidirectional = (o: BidirectionalOptions) => new Bidirectional(o);
export { RandomFlip, RandomTranslation, RandomRotation, GaussianNoise, RandomBrightnessContrast, SequenceJitter };
export const randomFlip = (o: RandomFlipOptions = {}) => new RandomFlip(o);
export const randomTranslation = (o: RandomTranslationOptions) => new RandomTranslation(o);
export const randomRotation = (o: RandomRotationOptions) => new RandomRotation(o);
export const gaussianNoise = (o: GaussianNoiseOptions) => new GaussianNoise(o);
export const randomBrightnessContrast = (o: RandomBrightnessContrastOptions) => new RandomBrightnessContrast(o);
export const add = (o: { name?: string } = {}) => new Add(o);
export const concatenate = (o: { axis?: number; name?: string } = {}) => new Concatenate(o);
export const multiply = (o: { name?: string } = {}) => new Multiply(o);
export { Embedding, type EmbeddingOptions, LayerNormalization, type LayerNormOptions };
export const layerNormalization = (o: LayerNormOptions = {}) => new LayerNormalization(o);
export { MultiHeadAttention, type MultiHeadAttentionOptions };
export const multiHeadAttention = (o: MultiHeadAttentionOptions) => new MultiHeadAttention(o);
export { AttentionMemory, type AttentionMemoryOptions };
export const attentionMemory = (o: AttentionMemoryOptions) => new AttentionMemory(o);
export { PositionEmbedding, type PositionEmbeddingOptions, MaskedMeanPooling };
export const positionEmbedding = (o: PositionEmbeddingOptions) => new PositionEmbedding(o);
export const maskedMeanPooling = (o: { name?: string } = {}) => new MaskedMeanPooling(o);
export const embedding = (o: EmbeddingOptions) => new Embedding(o);
export const sequenceJitter = (o: SequenceJitterOptions) => new SequenceJitter(o);
export { MelSpectrogram, type MelSpectrogramOptions };
export const melSpectrogram = (o: MelSpectrogramOptions = {}) => new MelSpectrogram(o);

/** type → constructor from config, for loading model files. Other layer families register here. */
export const LAYER_TYPES: Record<string, (config: Record<string, unknown>) => Layer> = {
  dense: (c) => new Dense(c as unknown as DenseOptions),
  activation: (c) => new Activation(c as unknown as ActivationOptions),
  dropout: (c) => new Dropout(c as { rate: number }),
  flatten: () => new Flatten(),
  cast: () => new Cast(),
  reshape: (c) => new Reshape(c as { targetShape: number[] }),
  conv2d: (c) => new Conv2D(c as unknown as Conv2DOptions),
  conv1d: (c) => new Conv1D(c as unknown as Conv1DOptions),
  depthwiseConv2d: (c) => new DepthwiseConv2D(c as unknown as DepthwiseOptions),
  maxPool2d: (c) => new MaxPool2D(c as Pool2DOptions),
  maxPool1d: (c) => new MaxPool1D(c as Pool1DOptions),
  avgPool1d: (c) => new AvgPool1D(c as Pool1DOptions),
  avgPool2d: (c) => new AvgPool2D(c as Pool2DOptions),
  globalAveragePooling2d: () => new GlobalAveragePooling2D(),
  zeroPadding2d: (c) => new ZeroPadding2D(c as ConstructorParameters<typeof ZeroPadding2D>[0]),
  batchNormalization: (c) => new BatchNormalization(c as BatchNormOptions),
  conv2dTranspose: (c) => new Conv2DTranspose(c as unknown as Conv2DTransposeOptions),
  pad2d: (c) => new Pad2D(c as Pad2DOptions),
  slice: (c) => new Slice(c as unknown as ConstructorParameters<typeof Slice>[0]),
  simpleRnn: (c) => new SimpleRNN(c as unknown as RecurrentOptions),
  lstm: (c) => new LSTM(c as unknown as RecurrentOptions),
  gru: (c) => new GRU(c as unknown as RecurrentOptions),
  bidirectional: (c) => new Bidirectional(c as unknown as BidirectionalOptions),
  randomFlip: (c) => new RandomFlip(c as RandomFlipOptions),
  randomTranslation: (c) => new RandomTranslation(c as RandomTranslationOptions),
  randomRotation: (c) => new RandomRotation(c as RandomRotationOptions),
  gaussianNoise: (c) => new GaussianNoise(c as unknown as GaussianNoiseOptions),
  randomBrightnessContrast: (c) => new RandomBrightnessContrast(c as RandomBrightnessContrastOptions),
  sequenceJitter: (c) => new SequenceJitter(c as SequenceJitterOptions),
  add: () => new Add(),
  concatenate: (c) => new Concatenate(c as { axis?: number }),
  multiply: () => new Multiply(),
  embedding: (c) => new Embedding(c as unknown as EmbeddingOptions),
  layerNormalization: (c) => new LayerNormalization(c as LayerNormOptions),
  multiHeadAttention: (c) => new MultiHeadAttention(c as unknown as MultiHeadAttentionOptions),
  attentionMemory: (c) => new AttentionMemory(c as unknown as AttentionMemoryOptions),
  positionEmbedding: (c) => new PositionEmbedding(c as unknown as PositionEmbeddingOptions),
  maskedMeanPooling: () => new MaskedMeanPooling(),
  melSpectrogram: (c) => new MelSpectrogram(c as MelSpectrogramOptions),
  // int8 inference layers (src/quant): quantize, dequantize, qdense, qdenseDynamic, qconv2d, qmaxPool2d, qadd, qzeroPadding2d
  ...QUANT_LAYER_TYPES,
};

export function layerFromConfig(type: string, config: Record<string, unknown>, name: string): Layer {
  const make = own(LAYER_TYPES, type);
  if (!make) throw new AxonError('BAD_MODEL_FILE', `layer "${name}" has unknown type "${type}" (known: ${Object.keys(LAYER_TYPES).join(', ')}); the file may come from a newer Axon`);
  let l: Layer;
  try { l = make(config); } catch (e) {
    // a required option reported missing while the config has a near spelling of it: say so
    const words: string[] = e instanceof AxonError ? e.message.match(/[A-Za-z]\w+/g) ?? [] : [];
    const typo = Object.keys(config).filter((k) => !COMMON_OPTIONS.includes(k) && !words.includes(k)).map((k) => [k, words.find((w) => w !== k && near(w, k))]).find(([, w]) => w);
    if (typo) throw new AxonError((e as AxonError).code, `${(e as Error).message} (the config has "${typo[0]}": did you mean "${typo[1]}"?)`);
    throw e;
  }
  l.name = name;
  misspelled(type, config, l);
  return l;
}

/** Options every layer may take besides those its config() lists (saved only when set, or not saved). */
const COMMON_OPTIONS = ['name', 'trainable', 'kernelInitializer', 'biasInitializer', 'kernelRegularizer', 'quant'];

/**
 * A config key that no layer option has but one of this layer's options nearly has (`unit` for
 * `units`, `activaton`): a typo that would otherwise be ignored silently.
 */
function misspelled(type: string, config: Record<string, unknown>, l: Layer): void {
  const known = [...new Set([...Object.keys(l.config()), ...COMMON_OPTIONS])];
  for (const k of Object.keys(config)) {
    if (known.includes(k)) continue;
    const close = known.find((o) => near(o, k));
    if (close) throw new AxonError('BAD_CONFIG', `${l.name || type}: unknown option "${k}" for a ${type} layer; did you mean "${close}"? (its options: ${known.filter((o) => o !== 'quant').join(', ')})`);
  }
}

/** b looks like a misspelling of option a */
const near = (a: string, b: string) => a.toLowerCase() === b.toLowerCase() || (a.length >= 4 && editDistance(a, b) <= Math.min(2, Math.floor(a.length / 4)));
