// WASI weights back into a model file: the weights a device's `axon.wasi.wasm finetune` wrote (f32
// LE, the bundle's parameters concatenated in its PARAMS order) replace the parameters of the model
// file the bundle was compiled from; its graph, metadata (normalizer, labels) and compile settings
// stay. Node-free (any target can merge); `axon merge` is the CLI for it.
import { AxonError } from '../errors.js';
import { modelFromBytes, modelToBytes } from '../model/serialize.js';
import type { Engine } from '../runtime/engine.js';
import type { Bundle } from './bundle_format.js';
import { parseBundle } from './bundle_read.js';

/**
 * The model file with the device's weights: `model` the .axon bytes the bundle was compiled from,
 * `bundle` that bundle (bytes or parsed), `weights` the weights file. Every parameter of the bundle
 * must be a parameter of the model with the same size; AxonError('BAD_DATA') says which is not.
 */
export function mergeBundleWeights(model: Uint8Array, bundle: Uint8Array | Bundle, weights: Uint8Array, opts: { file?: string; engine?: Engine } = {}): Uint8Array {
  const file = opts.file ?? 'model.axon';
  const b = bundle instanceof Uint8Array ? parseBundle(bundle) : bundle;
  const { model: m } = modelFromBytes(model, file, opts.engine);
  const total = b.params.reduce((a, p) => a + p.bytes, 0);
  if (weights.length !== total) throw new AxonError('BAD_DATA', `weights file has ${weights.length} bytes; the bundle's ${b.params.length} parameters take ${total} (is it the weights of another bundle?)`);
  const defs = new Map<string, (typeof m.layers)[number]["params"][number]>(m.layers.flatMap((l) => l.params.map((p) => [`${l.name}.${p.name}`, p] as [string, typeof p])));
  const out = new Map<string, ArrayLike<number>>();
  let at = 0;
  for (const p of b.params) {
    const def = defs.get(p.name), bytes = weights.slice(at, at + p.bytes).buffer;
    at += p.bytes;
    if (!def) throw new AxonError('BAD_DATA', `the bundle has parameter "${p.name}", which ${file} does not: the bundle was compiled from another model`);
    const dtype = def.dtype ?? 'f32', data = dtype === 'i8' ? new Int8Array(bytes) : dtype === 'i32' ? new Int32Array(bytes) : new Float32Array(bytes);
    if (data.length !== def.shape.reduce((a, d) => a * d, 1)) throw new AxonError('BAD_DATA', `parameter "${p.name}": the bundle holds ${data.length} values, ${file} [${def.shape}] (${dtype}): the bundle was compiled from another model`);
    if (data instanceof Float32Array) for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) throw new AxonError('NOT_FINITE', `weights file: parameter "${p.name}" has a non-finite value at ${i}`);
    out.set(p.name, data);
  }
  m.setWeights(out);
  return modelToBytes(m);
}
