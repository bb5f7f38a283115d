// Layer factories and classes: the public `layers` namespace (the registry that rebuilds layers from a
// model file is registry.ts: an app that only loads a model file does not reach this module).
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
export { LAYER_TYPES, layerFromConfig } from './registry.js';

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

