// Sequential ⇄ Axon model file (DESIGN.md §4): weights as F32 safetensors tensors named
// `${layer}.${param}`, the graph (input shape, layers with their configs, compile settings,
// normalization) as JSON in __metadata__.
import { AxonError } from '../errors.js';
import { encodeAxonModelFile, readAxonModelFile, StTensorIn } from '../format/safetensors.js';
import { layerFromConfig } from '../layers/index.js';
import { size } from '../layers/layer.js';
import type { Engine } from '../runtime/engine.js';
import { Sequential, CompileOptions } from './sequential.js';

export interface ModelGraph {
  kind: 'sequential';
  name: string;
  seed: number;
  inputShape: number[];
  layers: Array<{ type: string; name: string; trainable: boolean; config: Record<string, unknown> }>;
  compile?: CompileOptions;
  /** extra JSON the application keeps with the model (e.g. the input normalization) */
  extra?: Record<string, unknown>;
}

export function modelGraph(m: Sequential, compile?: CompileOptions, extra?: Record<string, unknown>): ModelGraph {
  return {
    kind: 'sequential', name: m.name, seed: m.seed, inputShape: m.inputShape,
    layers: m.layers.map((l) => ({ type: l.type, name: l.name, trainable: l.trainable, config: l.config() })),
    ...(compile ? { compile } : {}), ...(extra ? { extra } : {}),
  };
}

/** The model file bytes. */
export function modelToBytes(m: Sequential, opts: { compile?: CompileOptions; extra?: Record<string, unknown> } = {}): Uint8Array {
  const tensors: Record<string, StTensorIn> = {};
  const w = m.getWeights();
  for (const l of m.layers) for (const p of l.params) {
    const key = `${l.name}.${p.name}`;
    tensors[key] = { dtype: 'F32', shape: p.shape, data: w.get(key)! };
  }
  return encodeAxonModelFile({ graph: modelGraph(m, opts.compile ?? m.compileOptions, opts.extra) as unknown as object, tensors });
}

/** Rebuilds a Sequential (layers, weights, and compile settings when saved) from model file bytes. */
export function modelFromBytes(bytes: Uint8Array, name = 'model', engine?: Engine): { model: Sequential; graph: ModelGraph } {
  const file = readAxonModelFile(bytes, name);
  const g = file.graph as unknown as ModelGraph;
  const bad = (msg: string): never => { throw new AxonError('BAD_MODEL_FILE', `${name}: ${msg}`); };
  if (g.kind !== 'sequential') bad(`graph kind ${JSON.stringify(g.kind)} is not supported by this loader (expected "sequential")`);
  if (!Array.isArray(g.inputShape) || !Array.isArray(g.layers)) bad('graph has no inputShape or layers');
  let model: Sequential;
  try {
    model = new Sequential({ inputShape: g.inputShape, seed: g.seed, name: g.name, engine });
    for (const l of g.layers) {
      const layer = layerFromConfig(l.type, l.config ?? {}, l.name);
      layer.trainable = l.trainable !== false;
      model.add(layer);
    }
  } catch (e) {
    if (e instanceof AxonError && e.code !== 'BAD_MODEL_FILE') bad(`the graph does not describe a valid model: ${e.message}`);
    throw e;
  }
  const weights = new Map<string, Float32Array>();
  for (const l of model.layers) for (const p of l.params) {
    const key = `${l.name}.${p.name}`;
    const t = file.tensors.get(key);
    if (!t) bad(`tensor "${key}" is missing`);
    if (t!.dtype !== 'F32') bad(`tensor "${key}" is ${t!.dtype}; this loader reads F32 weights (quantized files load through the int8 loader)`);
    if (t!.shape.join() !== p.shape.join()) bad(`tensor "${key}" has shape [${t!.shape}] but the graph expects [${p.shape}]`);
    if (t!.data.length !== size(p.shape)) bad(`tensor "${key}" has ${t!.data.length} values, expected ${size(p.shape)}`);
    weights.set(key, t!.data as Float32Array);
  }
  model.setWeights(weights);
  if (g.compile) model.compile(g.compile);
  return { model, graph: g };
}
