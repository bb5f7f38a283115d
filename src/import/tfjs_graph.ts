// TensorFlow.js graph models (model.json with format "graph-model": a frozen TF GraphDef plus
// weight shards, as tensorflowjs_converter writes them; uint8/uint16/float16-quantized weights
// included) → an Axon Model (a DAG: residual AddV2 → Add, ConcatV2 → Concatenate; one or several
// outputs: `outputs: [...]`, or all of the signature's). The ops are in
// tfjs_graph_ops.ts; shape arithmetic on constants folds away (tfjs_graph_nodes.ts). TF is NHWC like
// Axon, so nothing is transposed; NCHW graphs are refused. The part of the graph the output needs is
// converted; every op or setting it cannot take is listed in one AxonError('UNSUPPORTED').
// Names: each layer is named after its node, sanitized and made unique (model/names.ts); a node
// folded into the layer before it (BiasAdd, Mul/Add by constants) leaves the layer its own node's
// name, and a fused node's layer is named after its convolution or matmul (fusedSource).
import { own } from '../format/validate.js';
import { Fields, Limits, checkActivations, checkTensorSize, numel, parseJson, resolveLimits } from '../format/validate.js';
import { AxonError } from '../errors.js';
import type { Engine } from '../runtime/engine.js';
import { Model, MODEL_INPUT } from '../model/model.js';
import { nameImported } from '../model/names.js';
import { BATCH } from './onnx_graph.js';
import { readTfjsWeights, TfjsWeightSource } from './tfjs_weights.js';
import { Attrs, constValue, FOLD_ONLY, foldNode, nodeLabel, TfNode } from './tfjs_graph_nodes.js';
import { GraphConverter, Spec, tensorName, Val } from './tfjs_graph_convert.js';
import { HANDLERS, precheck } from './tfjs_graph_ops.js';
import { setWeightSource } from '../model/source_weights.js';

export interface TfjsGraphJson extends TfjsWeightSource {
  format?: string;
  modelTopology: { node?: TfNode[]; library?: unknown; versions?: unknown } | unknown;
  signature?: { outputs?: Record<string, { name?: string }> };
}
export interface TfjsGraphImportOptions {
  /** bytes of a shard named in weightsManifest (paths relative to model.json) */
  loadShard?: (path: string) => Promise<Uint8Array> | Uint8Array;
  /** the node whose value is the model output (default: the signature's outputs, else the one node nothing reads) */
  output?: string;
  /** several outputs, in order (a multi-head graph); the model returns them in this order */
  outputs?: string[];
  /** per-sample input shape (H, W, C) when the Placeholder leaves sizes open (-1) */
  inputShape?: number[];
  engine?: Engine; seed?: number; name?: string; file?: string;
  /** resource limits, enforced before allocation (defaults: DEFAULT_LIMITS, sized for a 128 MB Worker) */
  limits?: Partial<Limits>;
}
export interface TfjsGraphImport {
  model: Model;
  inputName: string;
  /** the first output node; `outputNames`: all, in order */
  outputName: string;
  outputNames: string[];
  /** per output node: the Axon output it is (model.outputNames in the same order) */
  outputs: Array<{ node: string; ref: string }>;
  /** Axon layer name → the TF node it came from */
  layerSources: Record<string, string>;
  /** Axon parameter (`layer.param`) → the Const node it came from */
  paramSources: Record<string, string>;
}

/** The TF ops the graph-model importer maps onto layers (constant-only shape arithmetic aside). */
export const supportedTfjsGraphOps = (): string[] => ['Placeholder', 'Const', ...Object.keys(HANDLERS)].sort();

export async function importTfjsGraph(json: TfjsGraphJson | string, opts: TfjsGraphImportOptions = {}): Promise<TfjsGraphImport> {
  const file = opts.file ?? 'model.json';
  const bad = (msg: string): never => { throw new AxonError('BAD_MODEL_FILE', `${file}: ${msg}`); };
  const limits = resolveLimits(opts.limits, file), f = new Fields(file);
  const mj = f.object(typeof json === 'string' ? parseJson(json, file, 'model.json') : json, 'model.json') as unknown as TfjsGraphJson;
  const topo = f.optional(mj.modelTopology, (v) => f.object(v, 'modelTopology')) as { node?: TfNode[]; class_name?: string } | undefined;
  f.optional(mj.format, (v) => f.string(v, 'format'));
  if (Array.isArray(topo?.node)) f.array(topo!.node, 'modelTopology.node', limits.maxNodes).forEach((raw, i) => {
    const n = f.object(raw, `node ${i}`);
    f.string(n.name, `node ${i} name`); f.string(n.op, `node ${i} (${String(n.name).slice(0, 60)}) op`);
    f.optional(n.input, (v) => f.strings(v, `node ${i} (${n.name}) input`));
    f.optional(n.attr, (v) => f.object(v, `node ${i} (${n.name}) attr`));
  });
  if (mj.signature !== undefined) {
    const outs = f.object(mj.signature, 'signature').outputs;
    if (outs !== undefined) for (const [k, v] of Object.entries(f.object(outs, 'signature.outputs'))) f.optional(f.object(v, `signature.outputs.${k}`).name, (x) => f.string(x, `signature.outputs.${k}.name`));
  }
  if (topo?.class_name) bad('this is a TensorFlow.js layers model; import it with importTfjsLayers');
  if (!Array.isArray(topo?.node) || (mj.format !== undefined && mj.format !== 'graph-model')) bad(`format "${mj.format}" with no modelTopology.node list: not a TensorFlow.js graph model`);
  const byName = new Map<string, TfNode>(topo!.node!.map((n) => [n.name, n]));
  const ins = (n: TfNode) => (n.input ?? []).map(tensorName).filter((s): s is string => s !== undefined);
  const nodeOf = (t: string) => byName.get(t.replace(/:\d+$/, ''));

  // the output, and the nodes it needs in a topological order
  const sinks = () => {
    const read = new Set(topo!.node!.flatMap((n) => ins(n).map((t) => t.replace(/:\d+$/, ''))));
    return topo!.node!.filter((n) => !read.has(n.name) && !['Const', 'Placeholder', 'NoOp'].includes(n.op)).map((n) => n.name);
  };
  if (opts.outputs !== undefined && (!Array.isArray(opts.outputs) || !opts.outputs.length || new Set(opts.outputs).size !== opts.outputs.length || opts.output !== undefined))
    throw new AxonError('BAD_ARGUMENT', `${file}: outputs must be a non-empty list of distinct node names (and not given with output), got ${JSON.stringify(opts.outputs)}`);
  const given = opts.outputs ?? (opts.output ? [opts.output] : Object.values(mj.signature?.outputs ?? {}).map((o) => tensorName(o.name ?? '')!).filter(Boolean));
  const outNames = given.length ? given : sinks();
  if (!given.length && outNames.length !== 1) throw new AxonError('BAD_ARGUMENT', `${file}: the graph has ${outNames.length} outputs (${outNames.join(', ')}); pass { output: <node name> } (CLI: --output <node>) to choose one, or { outputs: [...] } for several`);
  for (const o of outNames) if (!nodeOf(o)) throw new AxonError('BAD_ARGUMENT', `${file}: no node "${o}" in the graph`);
  const outputName = outNames[0];
  const order: TfNode[] = [], state = new Map<string, 1 | 2>(), stack: Array<[TfNode, number]> = [];
  for (const o of outNames) {
    if (!state.has(nodeOf(o)!.name)) stack.push([nodeOf(o)!, 0]);
    while (stack.length) {
      const top = stack[stack.length - 1], [n, i] = top, deps = ins(n);
      if (i === 0) state.set(n.name, 1);
      if (i < deps.length) {
        top[1]++;
        const d = nodeOf(deps[i]);
        if (!d) bad(`node ${nodeLabel(n)} reads "${deps[i]}", which no node computes`);
        if (state.get(d!.name) === 1) bad(`the graph has a cycle through ${nodeLabel(d!)} (control flow is not supported)`);
        if (!state.has(d!.name)) stack.push([d!, 0]);
      } else { state.set(n.name, 2); order.push(n); stack.pop(); }
    }
  }

  // everything visible before converting: unknown ops, layouts, fused ops, the input
  const problems: string[] = [];
  for (const n of order) {
    const known = n.op === 'Placeholder' || n.op === 'Const' || own(HANDLERS, n.op) !== undefined || FOLD_ONLY.has(n.op);
    const p = known ? precheck(n, new Attrs(n.attr)) : 'op not supported';
    if (p) problems.push(`${nodeLabel(n)}: ${p}`);
  }
  const fail = (lines: string[]): never => {
    throw new AxonError('UNSUPPORTED', `${file}: cannot import ${lines.length} node${lines.length > 1 ? 's' : ''}:\n  ${lines.join('\n  ')}\nsupported ops: ${supportedTfjsGraphOps().join(', ')} (and shape arithmetic on constants)`, { problems: lines });
  };
  const phs = order.filter((n) => n.op === 'Placeholder');
  if (phs.length !== 1) problems.push(`the output needs ${phs.length} Placeholder inputs (${phs.map((n) => n.name).join(', ')}); exactly one is supported`);
  if (problems.length) fail(problems);
  const ph = phs[0], pa = new Attrs(ph.attr), full = pa.shape('shape');
  if ((pa.type('dtype') ?? 'DT_FLOAT') !== 'DT_FLOAT') fail([`${nodeLabel(ph)}: the input is ${pa.type('dtype')}; only float32 inputs are supported`]);
  const inputShape = opts.inputShape ?? full?.slice(1) ?? [];
  if (!inputShape.length || inputShape.some((d) => !(Number.isInteger(d) && d > 0)))
    throw new AxonError('BAD_ARGUMENT', `${file}: the input "${ph.name}" has shape [${full ?? '?'}]; the importer needs fixed per-sample sizes: pass { inputShape: [h, w, c] } (CLI: --input-shape h,w,c)`);
  checkTensorSize(limits, numel(inputShape), 4, `${file}: the input "${ph.name}" of shape [${inputShape}] per sample`);
  const staticBatch = full && full[0] > 0 ? full[0] : undefined;

  // convert
  const weights = await readTfjsWeights(mj, opts.loadShard, file, limits);
  const uses = new Map<string, number>();
  for (const n of order) for (const t of ins(n)) uses.set(t, (uses.get(t) ?? 0) + 1);
  for (const o of outNames) uses.set(o, (uses.get(o) ?? 0) + 1);   // (an output read by another node is not folded into)
  const cv = new GraphConverter(uses, outputName, staticBatch);
  const poisoned = new Set<string>();
  for (const n of order) {
    if (ins(n).some((t) => poisoned.has(t.replace(/:\d+$/, '')))) { poisoned.add(n.name); continue; }
    try {
      cv.vals.set(n.name, convertNode(cv, n, weights, ph, inputShape));
    } catch (e) {
      if (!(e instanceof AxonError)) throw e;
      if (e.code === 'OUT_OF_MEMORY' || e.code === 'BAD_MODEL_FILE') throw new AxonError(e.code, `${file}: ${nodeLabel(n)}: ${e.message}`);
      problems.push(`${nodeLabel(n)}: ${e.message}`);
      poisoned.add(n.name);
    }
  }
  if (problems.length) fail(problems);
  const outSpecs = outNames.map((o) => {
    const out = cv.vals.get(o)!;
    return out.act?.spec ?? fail([`the output "${o}" is ${out.c ? 'a constant' : 'the model input itself'}; no layers compute it`]);
  });

  // the layers the outputs need, in order
  const live = new Set<Spec>(), todo: Spec[] = [...outSpecs];
  while (todo.length) { const s = todo.pop()!; if (!live.has(s)) { live.add(s); for (const i of s.inputs) if (i) todo.push(i); } }
  const specs = cv.specs.filter((s) => live.has(s));
  const model = new Model({ inputShape, seed: opts.seed, engine: opts.engine, name: opts.name ?? 'tfjs_graph' });
  const w = new Map<string, Float32Array>(), layerSources: Record<string, string> = {}, paramSources: Record<string, string> = {};
  nameImported(specs.map((s) => ({ layer: s.layer, source: s.source ?? s.node })));
  for (const s of specs) {
    model.add(s.layer, { inputs: s.inputs.map((i) => i?.layer ?? MODEL_INPUT) });
    layerSources[s.layer.name] = s.node;
    for (const [k, v] of Object.entries(s.w)) w.set(`${s.layer.name}.${k}`, v);
    for (const [k, v] of Object.entries(s.from)) paramSources[`${s.layer.name}.${k}`] = v;
  }
  const refs = outSpecs.map((s) => s.layer.name);
  if (new Set(refs).size !== refs.length) fail([`outputs ${outNames.join(', ')} are the same tensor more than once; list each once`]);
  if (refs.length > 1 || refs[0] !== specs[specs.length - 1].layer.name) model.setOutputs(refs);
  checkActivations(model, limits, file);
  model.setWeights(w);
  setWeightSource(model, 'keras', paramSources);
  model.extra = { importedFrom: { format: 'tfjs-graph', file, layerSources, paramSources } };
  return { model, inputName: ph.name, outputName, outputNames: outNames, outputs: outNames.map((node, k) => ({ node, ref: refs[k] })), layerSources, paramSources };
}

/** The value of node n (its first output). */
function convertNode(cv: GraphConverter, n: TfNode, weights: Map<string, { dims: number[]; data: Float32Array }>, ph: TfNode, inputShape: number[]): Val {
  if (n === ph) return { act: { spec: null, shape: inputShape } };
  if (n.op === 'Const') {
    const c = constValue(n, weights.get(n.name));
    if (!c) throw new AxonError('UNSUPPORTED', `no value: "${n.name}" is not in the weights manifest and has no inline tensor; is a weight shard missing?`);
    return { c };
  }
  const vals = cv.inputs(n).map((_, i) => cv.val(n, i));
  if (n.op === 'Shape' && vals[0].act) return { c: { dims: [vals[0].act.shape.length + 1], data: Float64Array.from([cv.staticBatch ?? BATCH, ...vals[0].act.shape]), float: false } };
  if (vals.length && vals.every((v) => v.c)) {
    const v = foldNode(n, (i) => vals[i].c!);
    if (!v) throw new AxonError('UNSUPPORTED', 'cannot be evaluated on these constants');
    return { c: v };
  }
  const h = own(HANDLERS, n.op);
  if (!h) throw new AxonError('UNSUPPORTED', 'supported on constants only (shape arithmetic), not on activations');
  return h(cv, n, new Attrs(n.attr));
}
