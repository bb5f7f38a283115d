// The layer registry used to rebuild layers from a model file: the classic families by constructor
// (always in the bundle of an app that loads model files), the others through src/layers/families.ts
// (registered as their modules load; a sync loader reports a family that has not loaded).
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
import { Add, Concatenate, Multiply } from './merge.js';
import type { Layer } from './layer.js';
import { QUANT_LAYER_TYPES } from '../quant/registry.js';
import { editDistance } from '../model/names.js';
import { familyOf, LAYER_FAMILIES, notLoaded, registeredLayerType } from './families.js';

/** type → constructor from config of the classic families (the others: LAYER_FAMILIES). */
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
  add: () => new Add(),
  concatenate: (c) => new Concatenate(c as { axis?: number }),
  multiply: () => new Multiply(),
  // int8 inference layers (src/quant): quantize, dequantize, qdense, qdenseDynamic, qconv2d, qmaxPool2d, qadd, qzeroPadding2d
  ...QUANT_LAYER_TYPES,
};

/** Every layer type a model file may hold (classic and on-demand families). */
export const allLayerTypes = (): string[] => [...Object.keys(LAYER_TYPES), ...Object.values(LAYER_FAMILIES).flat()];

/** The types of these layers whose family has not loaded (for a sync loader to report at once). */
export const unloadedLayerTypes = (types: readonly string[]): string[] => types.filter((t) => !own(LAYER_TYPES, t) && !registeredLayerType(t) && familyOf(t) !== undefined);

export function layerFromConfig(type: string, config: Record<string, unknown>, name: string): Layer {
  const make = own(LAYER_TYPES, type) ?? registeredLayerType(type);
  if (!make && familyOf(type)) throw notLoaded(`layer "${name}"`, [type]);
  if (!make) throw new AxonError('BAD_MODEL_FILE', `layer "${name}" has unknown type "${type}" (known: ${allLayerTypes().join(', ')}); the file may come from a newer Axon`);
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
