// Model files in the browser: `loadModel(url or bytes)` fetches the file, loads the layer families it
// needs that this entry loads on demand (transformer, audio front end, augmentation: chunks of the
// app, src/layers/families.ts), then rebuilds the model (modelFromBytes).
import { AxonError } from '../../src/errors.js';
import { loadLayers, modelFromBytes, type ModelGraph } from '../../src/model/serialize.js';
import type { Limits } from '../../src/format/validate.js';
import type { Engine } from '../../src/runtime/engine.js';
import type { Model } from '../../src/model/model.js';

export interface LoadModelOptions {
  /** the engine the model runs on (default: the page's, loaded at the first predict or fit) */
  engine?: Engine;
  /** fetch options when `source` is a URL */
  init?: RequestInit;
  /** the name errors give the file (default: the URL, else "model") */
  name?: string;
  limits?: Partial<Limits>;
}

/**
 * Loads an Axon model file from a URL (fetched) or its bytes: the async twin of modelFromBytes,
 * which also loads the layer code the model needs (tf.loadLayersModel's place in Axon).
 */
export async function loadModel(source: string | URL | Uint8Array | ArrayBuffer, opts: LoadModelOptions = {}): Promise<{ model: Model; graph: ModelGraph }> {
  const isUrl = typeof source === 'string' || source instanceof URL;
  const name = opts.name ?? (isUrl ? String(source) : 'model');
  let bytes: Uint8Array;
  if (isUrl) {
    const res = await fetch(source, opts.init).catch((e: Error) => { throw new AxonError('IO', `${name}: fetch failed: ${e.message}`); });
    if (!res.ok) throw new AxonError('IO', `${name}: HTTP ${res.status} ${res.statusText}; check the model file's URL`);
    bytes = new Uint8Array(await res.arrayBuffer());
  } else bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
  await loadLayers(bytes, name);
  return modelFromBytes(bytes, name, opts.engine, { copy: !isUrl, limits: opts.limits });
}
