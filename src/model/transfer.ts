// Transfer learning on a model: freeze a backbone up to a layer, unfreeze, and replace the head
// (drop the layers after a point, append new ones, keep every kept layer's weights).
// Frozen layers get no gradients and no optimizer state; a frozen BatchNormalization runs in
// inference mode (running statistics) also while training, as in Keras.
//
//   const { model: base } = modelFromBytes(bytes);               // or (await importOnnx(onnx)).model
//   const m = replaceHead(base, [layers.dense({ units: 64, activation: 'relu' }), layers.dense({ units: 5, activation: 'softmax' })], { keep: 'flatten_1' });
//   freeze(m, 'flatten_1');                                       // everything up to and including flatten_1
//   m.compile({ optimizer: { type: 'adam', lr: 1e-3 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
//   await m.fit(x, y, { epochs: 20 });
//   unfreeze(m); m.compile({ optimizer: { type: 'adam', lr: 1e-4 }, … });  // optional full fine-tune, lower LR
import { AxonError } from '../errors.js';
import type { Layer } from '../layers/layer.js';
import { layerFromConfig } from '../layers/index.js';
import { Model } from './model.js';

/** A layer by name or index (negative counts from the end). */
export type LayerRef = string | number;

export function layerIndex(model: Model, ref: LayerRef): number {
  const n = model.layers.length;
  const i = typeof ref === 'number' ? (ref < 0 ? n + ref : ref) : model.layers.findIndex((l) => l.name === ref);
  if (!Number.isInteger(i) || i < 0 || i >= n)
    throw new AxonError('BAD_ARGUMENT', `no layer ${JSON.stringify(ref)} in model "${model.name}" (layers: ${model.layers.map((l, k) => `${k} ${l.name}`).join(', ')})`);
  return i;
}

/** Applies changed trainable flags: a compiled model is re-compiled (its weights kept, optimizer state restarted). */
function apply<M extends Model>(model: M): M {
  if (model.compileOptions) model.compile(model.compileOptions);
  return model;
}

/** Marks layers 0 … upTo (inclusive) as not trainable. Returns the model. */
export function freeze<M extends Model>(model: M, upTo: LayerRef = -1): M {
  const end = layerIndex(model, upTo);
  model.layers.forEach((l, i) => { if (i <= end) l.trainable = false; });
  return apply(model);
}

/**
 * Marks layers from … end (default: all) as trainable again. Returns the model. Per-channel affine
 * constants of an ONNX import (layers named onnx_affine_<k>) stay frozen: they are fixed arithmetic.
 */
export function unfreeze<M extends Model>(model: M, from: LayerRef = 0): M {
  const start = layerIndex(model, from);
  model.layers.forEach((l, i) => { if (i >= start && !l.name.startsWith('onnx_affine_')) l.trainable = true; });
  return apply(model);
}

/** The names of the frozen layers. */
export const frozenLayers = (model: Model): string[] => model.layers.filter((l) => !l.trainable).map((l) => l.name);

/**
 * A new model of the same class with model's layers 0 … keep (default: all but the last) — copies
 * with the same names, wiring, trainable flags and weights — followed by `head` (a chain after keep).
 * New layers without a name get the next free `${type}_${k}`. The original model is left as it was; the new one is not compiled.
 */
export function replaceHead<M extends Model>(model: M, head: Layer[], opts: { keep?: LayerRef; name?: string } = {}): M {
  const keep = layerIndex(model, opts.keep ?? -2);
  const out = new (model.constructor as new (o: ConstructorParameters<typeof Model>[0]) => M)({ inputShape: model.inputShape, seed: model.seed, name: opts.name ?? model.name, engine: model.engine });
  const kept = model.layers.slice(0, keep + 1), names = new Set(kept.map((l) => l.name));
  for (const l of kept) {
    const copy = layerFromConfig(l.type, l.quantParams ? { ...l.config(), quant: l.quantParams() } : l.config(), l.name);   // int8 layers carry their quantization
    copy.trainable = l.trainable;
    out.add(copy, { inputs: model.inputsOf(l.name) });   // earlier layers only: the kept ones are a prefix of a topological order
  }
  for (const l of head) {
    if (!l.name) for (let k = 1; ; k++) if (!names.has(`${l.type}_${k}`)) { l.name = `${l.type}_${k}`; break; }
    names.add(l.name);
    out.add(l);
  }
  const src = model as unknown as { getParams?: () => Map<string, ArrayLike<number>> };
  const w = src.getParams?.() ?? model.getWeights(), carried = new Map<string, ArrayLike<number>>();
  for (const l of kept) for (const p of l.params) carried.set(`${l.name}.${p.name}`, w.get(`${l.name}.${p.name}`)!);
  out.setWeights(carried as Map<string, Float32Array>);
  return out;
}
