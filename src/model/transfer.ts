// Transfer learning on a model: freeze a backbone up to a layer, or the layers picked by name or
// name prefix; unfreeze; replace the head (drop the layers after a point, append new ones, keep
// every kept layer's weights). Frozen layers get no gradients and no optimizer state; a frozen
// BatchNormalization runs in inference mode (running statistics) also while training, as in Keras.
// Layers are referred to by index, by name, or by the source name an imported layer is named after
// (`model/conv1/Conv2D`, `/layer1/layer1.0/conv1/Conv`: see model/names.ts).
//
//   const { model: base } = await importOnnx(bytes);                 // layers keep the ONNX node names
//   const m = replaceHead(base, [layers.dense({ units: 64, activation: 'relu' }), layers.dense({ units: 5, activation: 'softmax' })], { keep: 'flatten' });
//   freeze(m, 'flatten');                                              // everything up to and including that layer
//   freeze(m, { prefix: 'layer1/' });                                  // or exactly the layers whose names start so
//   m.compile({ optimizer: { type: 'adam', lr: 1e-3 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
//   await m.fit(x, y, { epochs: 20 });
//   unfreeze(m); m.compile({ optimizer: { type: 'adam', lr: 1e-4 }, … });  // optional full fine-tune, lower LR
import { AxonError } from '../errors.js';
import type { Layer } from '../layers/layer.js';
import { BatchNormalization } from '../layers/norm.js';
import { inputSpec } from './inputs.js';
import { recreate } from './wiring.js';
import { Model } from './model.js';
import { findName, nearNames, sanitizeName, unknownLayer } from './names.js';

/** A layer by name (or the source name it was imported from) or index (negative counts from the end). */
export type LayerRef = string | number;
/** Exactly these layers: `layers` by reference, and/or every layer whose name starts with one of `prefix`. */
export interface LayerSelection { layers?: LayerRef[]; prefix?: string | string[] }

export function layerIndex(model: Model, ref: LayerRef): number {
  const n = model.layers.length, names = model.layers.map((l) => l.name);
  if (typeof ref === 'string') {
    const i = findName(names, ref);
    if (i < 0) throw unknownLayer('layer', ref, model.name, names);
    return i;
  }
  const i = ref < 0 ? n + ref : ref;
  if (!Number.isInteger(i) || i < 0 || i >= n) throw new AxonError('BAD_ARGUMENT', `no layer ${ref} in model "${model.name}": it has ${n} layers (indices 0 … ${n - 1}, or -1 … -${n} from the end)`);
  return i;
}

/**
 * The indices of the selected layers, in model order. A prefix matches whole names as written or
 * as an importer spells them (`/layer1/` → `layer1/`); a prefix that matches nothing is an error.
 */
export function selectLayers(model: Model, sel: LayerSelection): number[] {
  const names = model.layers.map((l) => l.name), out = new Set<number>();
  for (const r of sel.layers ?? []) out.add(layerIndex(model, r));
  for (const p of typeof sel.prefix === 'string' ? [sel.prefix] : sel.prefix ?? []) {
    const alt = sanitizeName(p) + (/[/]$/.test(p) && sanitizeName(p) ? '/' : '');
    const hit = names.flatMap((nm, i) => (p && (nm.startsWith(p) || (alt && nm.startsWith(alt))) ? [i] : []));
    if (!hit.length) {
      const near = nearNames([...new Set(names.flatMap((nm) => nm.split('/').map((_, k, parts) => parts.slice(0, k + 1).join('/') + (k + 1 < parts.length ? '/' : ''))))], p);
      throw new AxonError('BAD_ARGUMENT', `no layer name in model "${model.name}" starts with ${JSON.stringify(p)}${near.length ? `; did you mean ${near.map((x) => JSON.stringify(x)).join(', ')}?` : ''}`, { near });
    }
    hit.forEach((i) => out.add(i));
  }
  if (!sel.layers?.length && !sel.prefix?.length) throw new AxonError('BAD_ARGUMENT', 'select layers with { layers: [names or indices] } and/or { prefix: "scope/" }');
  return [...out].sort((a, b) => a - b);
}

/**
 * Carries what a transformation must not lose from `from` to the new model `to`: the metadata
 * (`extra`: normalizer, tokenizer and labels, import provenance) and the compile settings, compiled
 * on `to` when they fit it, else kept as `inheritedCompile` for the next transformation.
 */
export function keepMetadata<M extends Model>(from: Model, to: M): M {
  if (from.extra) to.extra = { ...from.extra };
  const settings = from.compileOptions ?? from.inheritedCompile;
  if (settings) {
    try { to.compile(settings); } catch (e) {
      if (!(e instanceof AxonError && e.code === 'BAD_CONFIG')) throw e;
      to.inheritedCompile = settings;   // (not yet: a later replaceHead compiles with them)
    }
  }
  return to;
}

/** Applies changed trainable flags: a compiled model is re-compiled (its weights kept, optimizer state restarted). */
function apply<M extends Model>(model: M): M {
  if (model.compileOptions) model.compile(model.compileOptions);
  return model;
}

/** Marks layers 0 … upTo (inclusive), or exactly the selected layers, as not trainable. Returns the model. */
export function freeze<M extends Model>(model: M, upTo: LayerRef | LayerSelection = -1): M {
  const pick = picked(model, upTo, (i, end) => i <= end);
  model.layers.forEach((l, i) => { if (pick(i)) l.trainable = false; });
  return apply(model);
}

/**
 * Marks layers from … end (default: all), or exactly the selected layers, as trainable again.
 * Returns the model. Fixed layers (an importer's exact per-channel constants: BatchNormalization
 * with `fixed`) stay frozen.
 */
export function unfreeze<M extends Model>(model: M, from: LayerRef | LayerSelection = 0): M {
  const pick = picked(model, from, (i, start) => i >= start);
  model.layers.forEach((l, i) => { if (pick(i) && !isFixed(l)) l.trainable = true; });
  return apply(model);
}

const isFixed = (l: Layer) => l instanceof BatchNormalization && l.fixed;
function picked(model: Model, ref: LayerRef | LayerSelection, range: (i: number, k: number) => boolean): (i: number) => boolean {
  if (typeof ref === 'object') { const s = new Set(selectLayers(model, ref)); return (i) => s.has(i); }
  const k = layerIndex(model, ref);
  return (i) => range(i, k);
}

/** The names of the frozen layers. */
export const frozenLayers = (model: Model): string[] => model.layers.filter((l) => !l.trainable).map((l) => l.name);

/**
 * A new model of the same class with model's layers 0 … keep (default: all but the last) — copies
 * with the same names, wiring, trainable flags and weights — followed by `head` (a chain after keep).
 * New layers without a name get the next free `${type}_${k}`. The original model is left as it was; the new one keeps
 * its metadata (`extra`) and is compiled with its compile settings when it was compiled and they fit the new outputs.
 */
export function replaceHead<M extends Model>(model: M, head: Layer[], opts: { keep?: LayerRef; name?: string } = {}): M {
  const keep = layerIndex(model, opts.keep ?? -2);
  const out = new (model.constructor as new (o: ConstructorParameters<typeof Model>[0]) => M)({ inputs: model.inputs.map(inputSpec), seed: model.seed, name: opts.name ?? model.name, engine: model.engine });
  const kept = model.layers.slice(0, keep + 1), names = new Set(kept.map((l) => l.name));
  for (const l of kept) {
    out.add(recreate(l), { inputs: model.inputsOf(l.name) });   // earlier layers only: the kept ones are a prefix of a topological order
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
  return keepMetadata(model, out);
}
