// TensorFlow.js layers models (model.json + weight shards, as tfjs `model.save` or tfjs-converter
// write them; uint8/uint16/float16-quantized weights included) → an Axon model: Sequential topologies
// become a Sequential, functional (Model / Functional) ones a graph Model wired from inbound_nodes
// (residual Add, Concatenate, fan-out). One input, one or more outputs (a recurrent layer's return_state
// outputs are its `layer:1`, `layer:2`), each layer called once. Axon layers
// keep the Keras layer names (sanitized and made unique as model/names.ts says). The per-layer
// mapping is in tfjs_layers.ts.
import { Fields, Limits, checkActivations, checkTensorSize, numel, parseJson, resolveLimits } from '../format/validate.js';
import { AxonError } from '../errors.js';
import type { Engine } from '../runtime/engine.js';
import { Model, MODEL_INPUT } from '../model/model.js';
import { Sequential } from '../model/sequential.js';
import { sanitizeName, uniqueName } from '../model/names.js';
import { parseRef } from '../model/wiring.js';
import { readTfjsWeights, TfjsWeightSpec, TfjsWeights } from './tfjs_weights.js';
import { KLayer, mapKerasLayer } from './tfjs_layers.js';
import { setWeightSource } from '../model/source_weights.js';

export interface TfjsModelJson {
  modelTopology: unknown;
  /** model.json */
  weightsManifest?: { paths: string[]; weights: TfjsWeightSpec[] }[];
  /** tfjs ModelArtifacts (an IOHandler's save/load) */
  weightSpecs?: TfjsWeightSpec[];
  weightData?: ArrayBuffer | ArrayBuffer[];
}
export interface TfjsImportOptions {
  /** bytes of a shard named in weightsManifest (paths relative to model.json) */
  loadShard?: (path: string) => Promise<Uint8Array> | Uint8Array;
  engine?: Engine; seed?: number; name?: string; file?: string;
  /** resource limits, enforced before allocation (defaults: DEFAULT_LIMITS, sized for a 128 MB Worker) */
  limits?: Partial<Limits>;
}
/** model: a Sequential for Sequential topologies and functional chains, else a graph Model. */
export interface TfjsImport { model: Model; paramSources: Record<string, string> }

type Topo = { class_name?: string; config?: unknown; model_config?: unknown };
type FuncConfig = { layers?: KLayer[]; name?: string; input_layers?: unknown; output_layers?: unknown };

export async function importTfjsLayers(json: TfjsModelJson | string, opts: TfjsImportOptions = {}): Promise<TfjsImport> {
  const file = opts.file ?? 'model.json';
  const bad = (msg: string): never => { throw new AxonError('BAD_MODEL_FILE', `${file}: ${msg}`); };
  const limits = resolveLimits(opts.limits, file), f = new Fields(file);
  const mj = f.object(typeof json === 'string' ? parseJson(json, file, 'model.json') : json, 'model.json') as unknown as TfjsModelJson;
  let topo = f.optional(mj.modelTopology, (v) => f.object(v, 'modelTopology')) as Topo | undefined;
  if (topo?.model_config) topo = f.object(topo.model_config, 'modelTopology.model_config') as Topo;
  f.optional(topo?.class_name, (v) => f.string(v, 'modelTopology.class_name'));
  if (!topo?.class_name) bad('no modelTopology.class_name; is this a TensorFlow.js layers model (not a graph model)?');
  if (!['Sequential', 'Model', 'Functional'].includes(topo!.class_name!)) bad(`class_name ${topo!.class_name} is not a layers model`);
  const cfg = topo!.config as FuncConfig | KLayer[];
  const klayers = Array.isArray(cfg) ? cfg : (f.object(cfg, 'modelTopology.config').layers as KLayer[] | undefined) ?? bad('modelTopology has no layers');
  f.array(klayers, 'modelTopology layers', limits.maxNodes).forEach((kl, i) => {
    const l = f.object(kl, `layer ${i}`);
    f.string(l.class_name, `layer ${i} class_name`);
    f.optional(l.name, (v) => f.string(v, `layer ${i} name`));
    const c = f.object(l.config, `layer ${i} config`);
    f.optional(c?.name, (v) => f.string(v, `layer ${i} config.name`));
    f.optional(l.inbound_nodes, (v) => f.array(v, `layer ${i} inbound_nodes`));
  });
  if (!Array.isArray(cfg)) { f.optional(cfg.input_layers, (v) => f.array(v, 'input_layers')); f.optional(cfg.output_layers, (v) => f.array(v, 'output_layers')); }
  const graph = topo!.class_name === 'Sequential' ? sequentialGraph(klayers) : functionalGraph(cfg as FuncConfig, file);

  const weights = await readTfjsWeights(mj, opts.loadShard, file, limits);
  const find = (layer: string, w: string): TfjsWeights | undefined => {
    for (const [k, v] of weights) if (k === `${layer}/${w}` || k.endsWith(`/${layer}/${w}`)) return v;
    return undefined;
  };

  const first = graph.input.config, bis = (first.batch_input_shape ?? first.batch_shape) as (number | null)[] | undefined;
  if (!bis) bad(`the input layer ${nameOf(graph.input)} has no batch_input_shape; the input shape is unknown`);
  f.array(bis, 'batch_input_shape', 9);
  const inputShape = bis!.slice(1) as number[];
  if (inputShape.some((d) => !(Number.isSafeInteger(d) && d > 0))) bad(`the input shape [${bis}] has unknown per-sample sizes`);
  checkTensorSize(limits, numel(inputShape), 4, `${file}: the input [${inputShape}] per sample`);
  const multi = (graph.outputs?.length ?? 1) > 1 || [...(graph.reads?.values() ?? [])].some((r) => r.some((x) => x.includes(':')));
  const chain = !multi && graph.order.every((kl, i) => { const s = graph.inputs.get(nameOf(kl))!; return i === 0 ? s.length === 0 : s.length === 1 && s[0] === nameOf(graph.order[i - 1]); });
  const mopts = { inputShape, seed: opts.seed, engine: opts.engine, name: opts.name ?? ((Array.isArray(cfg) ? undefined : cfg.name) || 'tfjs') };
  const model = chain ? new Sequential(mopts) : new Model(mopts);

  // walk in topological order: each Keras layer's Axon output layer (MODEL_INPUT for the input)
  const outOf = new Map<string, string>(), used = new Set<string>([MODEL_INPUT]), problems: string[] = [];
  const w = new Map<string, Float32Array>(), paramSources: Record<string, string> = {};
  for (const kl of graph.order) {
    const kname = nameOf(kl), srcs = (graph.reads ?? graph.inputs).get(kname)!.map((s) => axonRef(outOf, s));
    if (kl === graph.input) { outOf.set(kname, MODEL_INPUT); continue; }
    const built = !problems.length, inRank = built && srcs.length === 1 ? model.refShape(srcs[0]).length + 1 : undefined;
    const mapped = mapKerasLayer(kl, { find, bad, inRank }, problems);
    outOf.set(kname, srcs[0]);   // a layer that maps to nothing passes its input through
    if (problems.length) continue;   // keep listing problems; build nothing more
    let inputs = srcs;
    for (const m of mapped) {
      uniqueName(m.layer, sanitizeName(m.suffix ? `${kname}_${m.suffix}` : kname) || m.layer.type, used);
      model.add(m.layer, { inputs });
      inputs = [m.layer.name];
      outOf.set(kname, m.layer.name);
      for (const [k, v] of Object.entries(m.w)) w.set(`${m.layer.name}.${k}`, v);
      for (const [k, v] of Object.entries(m.from)) paramSources[`${m.layer.name}.${k}`] = v;
    }
  }
  if (problems.length) throw new AxonError('UNSUPPORTED', `${file}: cannot import ${problems.length} layer${problems.length > 1 ? 's' : ''}:\n  ${problems.join('\n  ')}`, { problems });
  if (!model.layers.length) bad('the model has no layers after its input');
  if (multi) model.setOutputs(graph.outputs!.map((o) => axonRef(outOf, o)));
  checkActivations(model, limits, file);
  model.setWeights(w);
  setWeightSource(model, 'keras', paramSources);
  model.extra = { importedFrom: { format: 'tfjs-layers', file, paramSources } };
  return { model, paramSources };
}

/** A Keras ref (`layer` or `layer:k`) as the Axon ref of the layer it became. */
const axonRef = (outOf: Map<string, string>, ref: string): string => {
  const { name, k } = parseRef(ref);
  return k ? `${outOf.get(name)}:${k}` : outOf.get(name)!;
};
const nameOf = (kl: KLayer): string => kl.config?.name ?? kl.name ?? kl.class_name;
/** Keras layers in a topological order, what each reads (Keras names), and the input layer. */
interface KGraph {
  order: KLayer[]; inputs: Map<string, string[]>; input: KLayer;
  /** functional models: what each layer reads with output indices (`lstm:1`), and the model's outputs */
  reads?: Map<string, string[]>; outputs?: string[];
}

/** Sequential: a chain; the first layer (an InputLayer, or a layer with batch_input_shape) gives the input. */
function sequentialGraph(ls: KLayer[]): KGraph {
  const inputs = new Map<string, string[]>();
  ls.forEach((l, i) => inputs.set(nameOf(l), i ? [nameOf(ls[i - 1])] : []));
  if (ls[0]?.class_name === 'InputLayer') return { order: ls, inputs, input: ls[0] };
  // no InputLayer: the input is virtual; the first layer reads it
  const input: KLayer = { class_name: 'InputLayer', config: { ...(ls[0]?.config ?? {}), name: `${MODEL_INPUT}\u0000` } };
  inputs.set(nameOf(input), []);
  if (ls.length) inputs.set(nameOf(ls[0]), [nameOf(input)]);
  return { order: [input, ...ls], inputs, input };
}

/**
 * Functional: wiring from inbound_nodes (Keras 2 / tfjs: [[[name, node, tensor, kwargs], …]];
 * Keras 3: [{ args: [keras tensors with keras_history [name, node, tensor]] }]). Layers that do not
 * lead to the output are dropped; one input, one output, each layer called once.
 */
function functionalGraph(cfg: FuncConfig, file: string): KGraph {
  const unsupported = (msg: string): never => { throw new AxonError('UNSUPPORTED', `${file}: ${msg}`); };
  const ls = cfg.layers ?? [], byName = new Map(ls.map((l) => [nameOf(l), l]));
  const ends = (v: unknown): [string, number, number][] => {
    const a = (Array.isArray(v) ? v : []) as unknown[];
    const list = (typeof a[0] === 'string' ? [a] : a) as [string, number, number][];   // Keras 3 writes a single one unnested
    for (const e of list) if (!Array.isArray(e) || typeof e[0] !== 'string') throw new AxonError('BAD_MODEL_FILE', `${file}: input_layers/output_layers entries must be [layer name, node, tensor], got ${JSON.stringify(e)?.slice(0, 60)}`);
    return list;
  };
  const ins = ends(cfg.input_layers), outs = ends(cfg.output_layers);
  if (ins.length !== 1 || outs.length < 1) unsupported(`the model has ${ins.length} inputs (${ins.map((e) => e[0]).join(', ')}) and ${outs.length} outputs; only one input imports`);
  const inputs = new Map<string, string[]>(), reads = new Map<string, string[]>(), shared: string[] = [];
  for (const l of ls) {
    const nodes = Array.isArray(l.inbound_nodes) ? l.inbound_nodes : [];
    if (nodes.length > 1) shared.push(`${l.class_name} (${nameOf(l)}) is called ${nodes.length} times`);
    const refs = nodes.length ? history(nodes[0]) : [];
    for (const [src, node] of refs) {
      if (!byName.has(src)) throw new AxonError('BAD_MODEL_FILE', `${file}: layer ${nameOf(l)} reads "${src}", which is not a layer of the model`);
      if (node) shared.push(`${l.class_name} (${nameOf(l)}) reads call ${node} of ${src}`);
    }
    inputs.set(nameOf(l), refs.map((r) => r[0]));
    reads.set(nameOf(l), refs.map(([src, , tensor]) => (tensor ? `${src}:${tensor}` : src)));   // (output k of a layer with several: return_state)
  }
  if (shared.length) unsupported(`shared layers (one layer applied to several inputs) are not supported; use a separate layer per call:\n  ${shared.join('\n  ')}`);
  const input = byName.get(ins[0][0]) ?? unsupported(`the input layer ${ins[0][0]} is not in the layer list`);
  if (input.class_name !== 'InputLayer' || inputs.get(nameOf(input))!.length) unsupported(`the model input ${nameOf(input)} is a ${input.class_name}, not an InputLayer`);
  const stray = ls.filter((l) => l !== input && !inputs.get(nameOf(l))!.length);
  if (stray.length) unsupported(`layers ${stray.map(nameOf).join(', ')} read nothing (a second input?); only one input imports`);
  // ancestors of the outputs, then Kahn's algorithm in file order
  const keep = new Set<string>(), stack = outs.map((o) => o[0]);
  for (const o of stack) if (!byName.has(o)) unsupported(`the output layer ${o} is not in the layer list`);
  while (stack.length) { const n = stack.pop()!; if (!keep.has(n)) { keep.add(n); stack.push(...inputs.get(n)!); } }
  const order: KLayer[] = [], done = new Set<string>();
  const pending = ls.filter((l) => keep.has(nameOf(l)));
  while (pending.length) {
    const k = pending.findIndex((l) => inputs.get(nameOf(l))!.every((s) => done.has(s)));
    if (k < 0) throw new AxonError('BAD_MODEL_FILE', `${file}: the layers ${pending.map(nameOf).join(', ')} form a cycle`);
    const [l] = pending.splice(k, 1);
    order.push(l);
    done.add(nameOf(l));
  }
  return { order, inputs, input, reads, outputs: outs.map(([n, , t]) => (t ? `${n}:${t}` : n)) };
}

/** The [layer, node, tensor] references of one inbound node, in either format. */
function history(node: unknown): [string, number, number][] {
  const out: [string, number, number][] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      if (typeof v[0] === 'string' && typeof v[1] === 'number') out.push([v[0], v[1], (v[2] as number) ?? 0]);
      else v.forEach(walk);
    } else if (v && typeof v === 'object') {
      const o = v as { args?: unknown; config?: { keras_history?: unknown } };
      if (o.config?.keras_history) walk(o.config.keras_history);
      else if (o.args) walk(o.args);
    }
  };
  walk(node);
  return out;
}
