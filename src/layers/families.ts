// Layer families that a model-file loader reaches only on demand, so that an app bundled from the
// shakeable `axon/browser` entry for a classic model ships none of their code: the transformer
// layers, the recurrent layers, the audio front end and the augmentation layers. Their classes register themselves here
// when their module loads (TF.js-style registration), so whichever way a class arrives (the app
// imported it, an entry that exports everything, or loadLayerFamilies fetching its chunk) its type
// is known to the loader; the classic families are listed statically in registry.ts. The entry that
// leaves families out installs loaders (setLayerFamilyLoaders: `import()`s, which a bundler turns into
// chunks); the Node and Workers entries install static ones (all_families.ts).
// NOTE: nothing an app reaches when it loads a model file may import these families' modules, and
// src/index.ts exports their classes only inside the `layers` namespace: esbuild's code splitting puts
// every module that a live module re-exports by name into the start chunks (the int8 classes, which
// src/index.ts exports by name, stay classic for that reason). tests/targets/browser/lazy_layers.test.ts
// checks a classic app's start chunks.
import { AxonError } from '../errors.js';
import { own } from '../format/validate.js';
import type { Layer } from './layer.js';

/** A layer's constructor from its saved config. */
export type LayerMaker = (config: Record<string, unknown>) => Layer;

/** name → the layer types the family holds. */
export const LAYER_FAMILIES: Readonly<Record<string, readonly string[]>> = {
  transformer: ['embedding', 'layerNormalization', 'multiHeadAttention', 'attentionMemory', 'positionEmbedding', 'maskedMeanPooling', 'qmultiHeadAttentionDynamic'],
  audio: ['melSpectrogram'],
  recurrent: ['simpleRnn', 'lstm', 'gru', 'bidirectional'],
  augment: ['randomFlip', 'randomTranslation', 'randomRotation', 'gaussianNoise', 'randomBrightnessContrast', 'sequenceJitter'],
};

/** How an entry that leaves families out loads each (an `import()` of its module: a chunk of the app). */
type Loaders = Record<string, () => Promise<unknown>>;
const loaders: Loaders = Object.create(null);

/** Set by an entry that loads families on demand (targets/browser/index.ts); others carry every family. */
export function setLayerFamilyLoaders(l: Loaders): void {
  Object.assign(loaders, l);
}

const registered: Record<string, LayerMaker> = Object.create(null);

/** Makes layer types loadable from model files (called by each family module as it loads). */
export function registerLayerTypes(makers: Record<string, LayerMaker>): void {
  Object.assign(registered, makers);
}

/** The constructor of a registered family's layer type, if its module has loaded. */
export const registeredLayerType = (type: string): LayerMaker | undefined => own(registered, type);

/** The family types registered so far. */
export const registeredLayerTypes = (): string[] => Object.keys(registered);

/** The family a layer type belongs to (undefined: a classic type, or unknown). */
export function familyOf(type: string): string | undefined {
  return Object.keys(LAYER_FAMILIES).find((f) => LAYER_FAMILIES[f].includes(type));
}

/**
 * Loads the families of the given layer types (or family names) that have not loaded yet; unknown
 * names are left to the loader to report. With no argument, every family.
 */
export async function loadLayerFamilies(typesOrFamilies?: Iterable<string>): Promise<void> {
  const want = new Set<string>();
  for (const t of typesOrFamilies ?? Object.keys(LAYER_FAMILIES)) {
    const f = own(LAYER_FAMILIES, t) ? t : familyOf(t);
    if (f && LAYER_FAMILIES[f].some((k) => !registeredLayerType(k))) want.add(f);
  }
  await Promise.all([...want].map(async (f) => {
    const load = own(loaders, f);
    if (!load) throw new AxonError('NOT_LOADED', `the ${f} layers are not loaded and this entry has no loader for them`);
    try { await load(); } catch (e) {
      throw new AxonError('IO', `could not load the ${f} layers (a chunk of the app: serve it beside the app): ${(e as Error).message}`);
    }
  }));
}

/** The error for a model-file layer whose family has not loaded (sync loaders: modelFromBytes). */
export function notLoaded(file: string, types: readonly string[]): AxonError {
  const families = [...new Set(types.map((t) => familyOf(t) ?? t))], unique = [...new Set(types)];
  return new AxonError('NOT_LOADED', `${file}: the model has ${families.join(' and ')} layers (${unique.join(', ')}), which this entry (axon/browser) loads on demand and has not loaded yet: ` +
    'load the model with `await loadModel(url or bytes)`, or call `await loadLayers(bytes)` before modelFromBytes', { families, types: unique });
}
