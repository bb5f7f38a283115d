// Model ⇄ Axon model file (DESIGN.md §4): weights as safetensors tensors named
// `${layer}.${param}` (F32; int8 layers: I8 weights with `.scale` F32 and `.zero_point` beside them,
// I32 biases), the graph (input shape, layers with their configs, compile settings, normalization)
// as JSON in __metadata__, and int8 layers' activation parameters in __metadata__.quant.
import { AxonError } from '../errors.js';
import { encodeAxonModelFile, readAxonModelFile, StTensorIn } from '../format/safetensors.js';
import { validateModelGraph } from '../format/model_graph.js';
import { Budget, Limits, checkActivations, resolveLimits } from '../format/validate.js';
import { layerFromConfig, unloadedLayerTypes } from '../layers/registry.js';
import { loadLayerFamilies, notLoaded } from '../layers/families.js';
import { Layer, size, ParamDef, ParamDtype } from '../layers/layer.js';
import { BatchNormalization } from '../layers/norm.js';
import type { Engine } from '../runtime/engine.js';
import { Model, CompileOptions, MODEL_INPUT } from './model.js';
import { Sequential } from './sequential.js';
import { InputSpec, inputSpec } from './inputs.js';

export interface ModelGraph {
  /** 'sequential': each layer reads the one before; 'graph': layers list the layers they read in `inputs` */
  kind: 'sequential' | 'graph';
  name: string;
  seed: number;
  /** a single f32 input named "input" (files of every version) */
  inputShape?: number[];
  /** named, typed inputs with open dimensions (instead of inputShape) */
  inputs?: InputSpec[];
  /** what the model returns, when not its last layer (layer names or `layer:k`) */
  outputs?: string[];
  layers: Array<{ type: string; name: string; trainable: boolean; config: Record<string, unknown>; inputs?: string[] }>;
  compile?: CompileOptions;
  /** extra JSON the application keeps with the model (e.g. the input normalization) */
  extra?: Record<string, unknown>;
}

export function modelGraph(m: Model, compile?: CompileOptions, extra?: Record<string, unknown>): ModelGraph {
  const chain = m.isChain, plain = m.inputs.length === 1 && m.inputs[0].name === MODEL_INPUT && m.inputs[0].dtype === 'f32' && !m.hasOpenAxes;
  const last = m.layers.length ? m.layers[m.layers.length - 1].name : undefined;
  return {
    kind: chain ? 'sequential' : 'graph', name: m.name, seed: m.seed, ...(plain ? { inputShape: m.inputShape } : { inputs: m.inputs.map(inputSpec) }),
    ...(m.outputNames.length === 1 && m.outputNames[0] === last ? {} : { outputs: m.outputNames }),
    layers: m.layers.map((l) => ({ type: l.type, name: l.name, trainable: l.trainable, config: l.config(), ...(chain ? {} : { inputs: m.inputsOf(l.name) }) })),
    ...(compile ? { compile } : {}), ...(extra ? { extra } : {}),
  };
}

/** The model file bytes: the model's compile settings and metadata (`extra`) unless given here. */
export function modelToBytes(m: Model, opts: { compile?: CompileOptions; extra?: Record<string, unknown> } = {}): Uint8Array {
  const tensors: Record<string, StTensorIn> = {};
  const w = m.getParams();
  for (const l of m.layers) for (const p of l.params) {
    const key = `${l.name}.${p.name}`;
    tensors[key] = { dtype: ST_DTYPE[p.dtype ?? 'f32'], shape: p.shape, data: w.get(key)! };
  }
  const q = m.layers.filter((l) => l.quantParams).map((l) => [l.name, l.quantParams!()] as const);
  const quant = q.length ? { scheme: QUANT_SCHEME, layers: Object.fromEntries(q) } : undefined;
  return encodeAxonModelFile({ graph: modelGraph(m, opts.compile ?? m.compileOptions, opts.extra ?? m.extra) as unknown as object, tensors, quant });
}

const ST_DTYPE = { f32: 'F32', i8: 'I8', i32: 'I32' } as const satisfies Record<ParamDtype, string>;
/** __metadata__.quant.scheme: how to read the int8 tensors (DESIGN.md §5). */
export const QUANT_SCHEME = {
  weights: 'int8 symmetric per output channel: w = weight * weight.scale[oc] (weight.zero_point = 0); oc is axis 0, or the last axis for depthwise',
  activations: 'int8 asymmetric per tensor: x = (q - zeroPoint) * scale',
  bias: 'int32 at scale input.scale * weight.scale[oc] (f32 in dynamic layers)',
};

/**
 * Rebuilds a model (layers, wiring, weights, and compile settings when saved) from model file
 * bytes: a Sequential for chains. `copy: false`: the model takes its weights as views of `bytes`
 * (where aligned) until its first session, instead of copies; `bytes` must not change meanwhile.
 */
export function modelFromBytes(bytes: Uint8Array, name = 'model', engine?: Engine, opts: { copy?: boolean; limits?: Partial<Limits> } = {}): { model: Model; graph: ModelGraph } {
  const limits = resolveLimits(opts.limits, name);
  const file = readAxonModelFile(bytes, name);   // (tensors are views: the limits apply just below)
  const budget = new Budget(limits, name);
  for (const [k, t] of file.tensors) budget.take(t.data.byteLength, 1, `tensor "${k}"`);
  validateModelGraph(file.graph, file.quant, name, limits);
  const g = file.graph as unknown as ModelGraph;
  const bad = (msg: string): never => { throw new AxonError('BAD_MODEL_FILE', `${name}: ${msg}`); };
  if (g.kind !== 'sequential' && g.kind !== 'graph') bad(`graph kind ${JSON.stringify(g.kind)} is not supported by this loader (expected "sequential" or "graph")`);
  if (!(Array.isArray(g.inputShape) || Array.isArray(g.inputs)) || !Array.isArray(g.layers)) bad('graph has no inputShape (or inputs) or layers');
  if (g.outputs !== undefined && g.kind !== 'graph') bad('only a graph model lists outputs');
  const unloaded = unloadedLayerTypes(g.layers.map((l) => l.type));
  if (unloaded.length > 0) throw notLoaded(name, unloaded);
  // each parameter against its tensor, before the model allocates anything for it
  const check = (key: string, p: ParamDef) => {
    const t = file.tensors.get(key);
    if (!t) bad(`tensor "${key}" is missing`);
    const want = ST_DTYPE[p.dtype ?? 'f32'];
    if (t!.dtype !== want) bad(`tensor "${key}" is ${t!.dtype} but the graph stores it as ${want}`);
    if (t!.shape.join() !== p.shape.join()) bad(`tensor "${key}" has shape [${t!.shape}] but the graph expects [${p.shape}]`);
    if (t!.data.length !== size(p.shape)) bad(`tensor "${key}" has ${t!.data.length} values, expected ${size(p.shape)}`);
  };
  let model: Model;
  try {
    const opts = { ...(g.inputs ? { inputs: g.inputs } : { inputShape: g.inputShape }), seed: g.seed, name: g.name, engine };
    model = g.kind === 'graph' ? new Model(opts) : new Sequential(opts);
    for (const l of g.layers) {
      if (g.kind === 'graph' && !(Array.isArray(l.inputs) && l.inputs.length > 0 && l.inputs.every((n) => typeof n === 'string')))
        bad(`layer "${l.name}" of a graph model needs "inputs": a non-empty list of names of earlier layers or "${MODEL_INPUT}", got ${JSON.stringify(l.inputs) ?? 'none'}`);
      const q = (file.quant?.layers as Record<string, unknown> | undefined)?.[l.name];
      const layer = layerFromConfig(l.type, q === undefined ? l.config ?? {} : { ...l.config, quant: q }, l.name);
      layer.trainable = l.trainable !== false;
      if (legacyAffine(layer)) layer.fixed = true;
      model.add(layer, { checkParam: check, inputs: g.kind === 'graph' ? l.inputs : undefined });
    }
    if (g.outputs !== undefined) model.setOutputs(g.outputs);
    checkActivations(model, limits, name);
    model.unitGraph();   // every layer feeds another or is an output (else the file fails here, not at its first predict)
  } catch (e) {
    if (e instanceof AxonError && e.code !== 'BAD_MODEL_FILE' && e.code !== 'OUT_OF_MEMORY' && e.code !== 'NOT_LOADED') bad(`the graph does not describe a valid model: ${e.message}`);
    throw e;
  }
  const weights = new Map<string, ArrayLike<number>>();
  for (const l of model!.layers) for (const p of l.params) weights.set(`${l.name}.${p.name}`, file.tensors.get(`${l.name}.${p.name}`)!.data as ArrayLike<number>);
  model.setWeights(weights, opts);
  if (g.extra) model.extra = g.extra;
  if (g.compile) model.compile(g.compile);
  return { model, graph: g };
}

/**
 * Loads the layer families a model file needs that the entry loads on demand (the `axon/browser`
 * entry: transformer, audio front end and augmentation layers; they arrive as chunks of the app),
 * so that modelFromBytes can then rebuild the model synchronously. Given layer types or family
 * names ('transformer', 'audio', 'augment') instead of a file, those; with nothing, every family.
 * Other entries (Node, Workers, dist/browser/axon.js) carry every layer: there it returns at once.
 */
export async function loadLayers(source?: Uint8Array | readonly string[], name = 'model'): Promise<void> {
  if (!(source instanceof Uint8Array)) return loadLayerFamilies(source);
  const layers = (readAxonModelFile(source, name).graph as { layers?: unknown }).layers;
  await loadLayerFamilies(Array.isArray(layers) ? layers.map((l) => String((l as { type?: unknown })?.type)) : []);
}

/**
 * Files written before BatchNormalization had `fixed`: importers named their exact per-channel
 * affine constants onnx_affine_<k> and froze them. Such a layer loads as fixed (and is saved so).
 */
const legacyAffine = (l: Layer): l is BatchNormalization => l instanceof BatchNormalization && !l.fixed && !l.trainable && /^onnx_affine_\d+$/.test(l.name);
