// ONNX → Axon Model (this file: decode, graph rewrites, limits, the probe runs and the model; the node
// walk: onnx_walk.ts). Takes graphs with one or more inputs and outputs (onnx_io.ts: names, dtypes,
// batch axes, open dimensions) whose activations flow through the ops in onnx_ops.ts and
// onnx_rnn.ts, and join in Add / Sum / Concat (onnx_merge.ts: residual and concatenating blocks)
// or recurrent nodes' initial states; initializers, Constant nodes and shape / mask arithmetic are
// constants (onnx_graph.ts, onnx_fold.ts). Opsets 13–17. Transformer encoders: layer norms
// (onnx_layernorm.ts), self-attention subgraphs (onnx_attention.ts, rewritten into one node before the
// walk), embedding and position lookups (onnx_embedding.ts). Anything else fails with one AxonError('UNSUPPORTED') that lists every offending node.
// A chain imports as a Sequential. QuantizeLinear / DequantizeLinear on constant weights (QDQ weight
// quantization) fold to f32 weights at import; quantized activations (QDQ, QOperator, dynamic)
// become int8 layers (onnx_quant.ts).
// Layout: the Axon model is channels-last. An ONNX (N, C, H, W) input becomes an Axon (N, H, W, C)
// input (use `toAxonInput` on NCHW data); outputs come in the Axon layout (`toOnnxOutput` undoes it).
// A graph whose input is NHWC followed by Transpose(0, 3, 1, 2) (TensorFlow exports) takes its input as is.
// Open dimensions (dim_param on a non-batch axis, e.g. a sequence length): the graph is converted at
// two lengths and must give the same layers (the Axon layers then rebuild for each length); a graph
// whose layers depend on the length (a Reshape to it, a constant of its size) is refused naming the node.
// Names: each layer is named after its node (the node name, else its first output), sanitized and
// made unique (model/names.ts); a node folded into an earlier layer (Conv + Add/Mul/BatchNormalization,
// MatMul + Add) leaves the name of the layer's own node (the Conv's, the MatMul's).
import { own } from '../format/validate.js';
import { AxonError } from '../errors.js';
import type { Engine } from '../runtime/engine.js';
import { Tensor } from '../runtime/tensor.js';
import { Model } from '../model/model.js';
import { Sequential } from '../model/sequential.js';
import { nameImported } from '../model/names.js';
import { decodeOnnx, tensorValues, toNum } from './onnx_proto.js';
import { fuseActivations } from './onnx_fuse_act.js';
import { graphProblems, Const, fuseHardSwish, nodeLabel } from './onnx_graph.js';
import { isIdentity } from './onnx_layout.js';
import { INPUT, Spec } from './onnx_convert.js';
import { MERGE_HANDLERS } from './onnx_merge.js';
import { HANDLERS } from './onnx_ops.js';
import { RECURRENT_HANDLERS } from './onnx_rnn.js';
import { QUANT_OPS, isQuantOp } from './onnx_quant.js';
import { fuseQuant } from './onnx_quant_fuse.js';
import { setWeightSource } from '../model/source_weights.js';
import { GraphInput, GraphOutput, OnnxData, graphInputs, toAxon, toOnnx } from './onnx_io.js';
import { fuseLayerNorm } from './onnx_layernorm.js';
import { ATTENTION_OP, finderInputs, fuseAttention } from './onnx_attention.js';
import { convert, handlerOf, type Converted } from './onnx_walk.js';
import { PositionEmbedding } from '../layers/sequence.js';
import { Budget, Limits, checkActivations, checkNodeCount, resolveLimits } from '../format/validate.js';

export interface OnnxImportOptions {
  name?: string; seed?: number; engine?: Engine; /** for messages */ file?: string;
  /** resource limits, enforced before allocation (defaults: DEFAULT_LIMITS, sized for a 128 MB Worker) */
  limits?: Partial<Limits>;
}

/** ONNX-layout data for one input: values, and its full ONNX dims (needed when it has open dimensions). */
export type OnnxFeed = OnnxData | { data: OnnxData; dims: number[] };

export interface OnnxImport {
  /** a Sequential when the graph is a chain */
  model: Model;
  opset: number;
  /** the graph's first input and output (the single-input API below) */
  inputName: string;
  outputName: string;
  /** ONNX names of every graph input and output, in graph order */
  inputNames: string[];
  outputNames: string[];
  /** per graph input: its Axon model input (`name`; model.inputs in the same order), dtype, batch axis, per-sample ONNX shape (null: open) */
  inputs: GraphInput[];
  /** per graph output: the Axon output (`ref`: a layer or `layer:k`; model.outputNames in the same order) */
  outputs: GraphOutput[];
  /** per-sample shapes of the first input and output in the ONNX graph (e.g. [3, 32, 32]; open dimensions at an example length) */
  onnxInputShape: number[];
  onnxOutputShape: number[];
  /** ONNX-layout data of the first input (N, ...onnxInputShape; `dims`: its full ONNX dims, needed for open dimensions) → the Axon model's input tensor */
  toAxonInput(data: OnnxData | Tensor, dims?: number[]): Tensor;
  /** the Axon model's (first) output → ONNX layout */
  toOnnxOutput(y: Tensor): Float32Array;
  /** ONNX-layout feeds by ONNX input name → the model's inputs by Axon name (for predict / fit) */
  toAxonInputs(feeds: Record<string, OnnxFeed>): Record<string, Tensor>;
  /** predict's answer (by output ref, or in order) → ONNX-layout outputs by ONNX output name */
  toOnnxOutputs(y: Tensor | Tensor[] | Record<string, Tensor>): Record<string, { data: Float32Array; dims: number[] }>;
  /** toAxonInputs → model.predict → toOnnxOutputs */
  run(feeds: Record<string, OnnxFeed>): Promise<Record<string, { data: Float32Array; dims: number[] }>>;
  /** Axon layer name → the ONNX node it came from (its name, else its first output's); layers are named after it (model/names.ts) */
  layerSources: Record<string, string>;
  /** Axon parameter (`layer.param`) → the ONNX initializer it came from (PyTorch's parameter name for torch exports) */
  paramSources: Record<string, string>;
}

export const ONNX_OPSETS = [13, 17] as const;
/** The ONNX ops the importer maps onto layers (constant-only shape arithmetic aside). */
export const supportedOnnxOps = (): string[] => [...new Set([...Object.keys(HANDLERS), ...Object.keys(RECURRENT_HANDLERS), ...Object.keys(MERGE_HANDLERS), ...QUANT_OPS])].sort();
/** Example lengths of open dimensions: the graph is converted at both and must give the same layers. */
const PROBES = [13, 17] as const;

export async function importOnnx(bytes: Uint8Array, opts: OnnxImportOptions = {}): Promise<OnnxImport> {
  const file = opts.file ?? 'model.onnx';
  const limits = resolveLimits(opts.limits, file);
  if (!(bytes instanceof Uint8Array)) throw new AxonError('BAD_ARGUMENT', `${file}: expected the bytes of a .onnx file as a Uint8Array`);
  const m = await decodeOnnx(bytes, file), g = m.graph!;
  checkNodeCount(limits, g.node.length + (g.initializer?.length ?? 0), file, 'nodes and initializers');
  const fail = (lines: string[]): never => {
    throw new AxonError('UNSUPPORTED', `${file}: cannot import ${lines.length} node${lines.length > 1 ? 's' : ''}:\n  ${lines.join('\n  ')}\nsupported ops: ${supportedOnnxOps().join(', ')}`, { problems: lines });
  };
  const opset = toNum((m.opset_import ?? []).find((o) => !o.domain || o.domain === 'ai.onnx')?.version);
  if (opset < ONNX_OPSETS[0] || opset > ONNX_OPSETS[1]) throw new AxonError('UNSUPPORTED', `${file}: ONNX opset ${opset} is not supported (${ONNX_OPSETS[0]}–${ONNX_OPSETS[1]}); re-export with opset_version=13 … 17`);

  const consts = new Map<string, Const>();
  const budget = new Budget(limits, file);
  for (const t of g.initializer ?? []) { const v = tensorValues(t, file, limits); budget.take(v.data.length, 4, `initializer "${String(t.name).slice(0, 80)}"`); consts.set(t.name!, v); }
  const outNames = (g.output ?? []).map((o) => o.name);
  const att = fuseAttention(fuseLayerNorm(fuseActivations(fuseHardSwish(g), consts, outNames), consts, outNames), consts, finderInputs((g.input ?? []).filter((v) => !consts.has(v.name))), outNames);
  const fused = fuseQuant(att.nodes, consts, outNames);
  if (att.problems.length || fused.problems.length) fail([...att.problems, ...fused.problems]);
  const nodes = fused.nodes;
  const gis = graphInputs((g.input ?? []).filter((v) => !consts.has(v.name)), nodes, file);
  if (!gis.length) throw new AxonError('UNSUPPORTED', `${file}: the graph has no non-constant input`);
  const merges = new Set(Object.keys(MERGE_HANDLERS));
  const problems = graphProblems(nodes, new Set(consts.keys()), gis.map((v) => v.onnx), (n) => handlerOf(n.op_type, true) !== undefined || merges.has(n.op_type) || isQuantOp(n.op_type) || n.op_type === ATTENTION_OP, merges);
  if (problems.length) fail(problems);

  const open = gis.some((gi) => gi.per.includes(null));
  const run = (probe: number) => convert(nodes, new Map(consts), gis, probe, g.output ?? [], fail, limits, file);
  const a = run(PROBES[0]);
  if (open) sameLayers(a, run(PROBES[1]), gis, fail);

  const { cv, keep, outs } = a;
  const specs = keep.map((k) => cv.specs[k]);
  const chain = gis.length === 1 && outs.length === 1 && !outs[0].port && keep.every((k, i) => cv.specs[k].inputs.length === 1 && !cv.specs[k].ports?.[0] && cv.specs[k].inputs[0] === (i ? keep[i - 1] : INPUT));
  // open sequence lengths are bounded by the shortest position table (a longer sequence has no positions)
  const maxLen = Math.min(...specs.map((s) => (s.layer instanceof PositionEmbedding ? s.layer.maxLength : Infinity)));
  const mopts = { inputs: gis.map((gi, k) => ({ name: gi.name, dtype: gi.dtype, shape: gi.per.every((d) => d !== null) ? a.inActs[k].axon : gi.per,
    ...(gi.per.includes(null) && maxLen < Infinity ? { maxShape: gi.per.map((d) => d ?? maxLen) } : {}) })), seed: opts.seed, name: opts.name ?? (g.name || 'onnx'), engine: opts.engine };
  const model = chain ? new Sequential(mopts) : new Model(mopts);
  const weights = new Map<string, Float32Array>(), layerSources: Record<string, string> = {}, paramSources: Record<string, string> = {};
  nameImported(specs.map((s) => ({ layer: s.layer, source: s.node, origin: s.origin })));
  for (const s of specs) if (gis.some((gi) => gi.name === s.layer.name)) s.layer.name = `${s.layer.name}_layer`;
  const refOf = (j: number, port = 0) => (j < 0 ? gis[INPUT - j].name : `${cv.specs[j].layer.name}${port ? `:${port}` : ''}`);
  for (const s of specs) {
    model.add(s.layer, chain ? {} : { inputs: s.inputs.map((j, i) => refOf(j, s.ports?.[i])) });
    layerSources[s.layer.name] = s.node;
    for (const [k, v] of Object.entries(s.w)) weights.set(`${s.layer.name}.${k}`, v);
    for (const [k, v] of Object.entries(s.from)) paramSources[`${s.layer.name}.${k}`] = v;
  }
  const outputs: GraphOutput[] = outs.map((o) => ({ ...o, ref: refOf(o.cur, o.port) }));
  const refs = [...new Set(outputs.map((o) => o.ref))];
  if (!chain) model.setOutputs(refs);
  checkActivations(model, limits, file);
  model.setWeights(weights);
  setWeightSource(model, 'torch', paramSources);
  const byRef = (y: Tensor | Tensor[] | Record<string, Tensor>): Record<string, Tensor> =>
    y instanceof Tensor ? { [refs[0]]: y } : Array.isArray(y) ? Object.fromEntries(refs.map((r, i) => [r, y[i]])) : y;
  const toAxonInputs = (feeds: Record<string, OnnxFeed>): Record<string, Tensor> => {
    const names = gis.map((gi) => gi.onnx);
    const extra = Object.keys(feeds).filter((k) => !names.includes(k)), missing = names.filter((k) => !(k in feeds));
    if (extra.length || missing.length) throw new AxonError('BAD_ARGUMENT', `toAxonInputs: ${extra.length ? `no graph input named ${extra.map((k) => `"${k}"`).join(', ')}` : `input ${missing.map((k) => `"${k}"`).join(', ')} is missing`} (the graph's inputs: ${names.join(', ')})`);
    return Object.fromEntries(gis.map((gi, k) => {
      const f = feeds[gi.onnx], fd = f && typeof f === 'object' && 'dims' in f && 'data' in f ? f : undefined;
      return [gi.name, toAxon(gi, a.inActs[k], fd ? fd.data : (f as OnnxData), fd?.dims)];
    }));
  };
  const toOnnxOutputs = (y: Tensor | Tensor[] | Record<string, Tensor>) => {
    const m = byRef(y);
    return Object.fromEntries(outputs.map((o) => {
      if (!m[o.ref]) throw new AxonError('BAD_ARGUMENT', `toOnnxOutputs: no tensor for output "${o.ref}" (graph output "${o.onnx}")`);
      return [o.onnx, toOnnx(o, m[o.ref])];
    }));
  };
  model.extra = { importedFrom: { format: 'onnx', file, opset, onnxInputShape: a.inActs[0].onnx, onnxOutputShape: outputs[0].act.onnx, layerSources, paramSources } };
  return {
    model, opset, inputName: gis[0].onnx, outputName: outputs[0].onnx, inputNames: gis.map((gi) => gi.onnx), outputNames: outputs.map((o) => o.onnx), inputs: gis, outputs,
    onnxInputShape: a.inActs[0].onnx, onnxOutputShape: outputs[0].act.onnx, layerSources, paramSources,
    toAxonInput: (data, dims) => {
      if (!(data instanceof Tensor)) return toAxon(gis[0], a.inActs[0], data, dims);
      if (gis[0].batchAxis !== 0) throw new AxonError('BAD_ARGUMENT', `toAxonInput: input "${gis[0].onnx}" has its batch on axis ${gis[0].batchAxis}; pass its raw values with their ONNX dims`);
      return toAxon(gis[0], a.inActs[0], tensorData(data, gis[0].per, a.inActs[0].axon), [...data.shape]);
    },
    toOnnxOutput: (y) => toOnnx(outputs[0], y).data,
    toAxonInputs, toOnnxOutputs,
    run: async (feeds) => toOnnxOutputs(await model.predict(toAxonInputs(feeds))),
  };
}

/**
 * The two conversions of a graph with open dimensions must give the same layers, wiring and
 * weights; outputs along open dimensions must be held in the ONNX order. Marks output dimensions
 * that follow the open ones (null in `per`).
 */
function sameLayers(a: Converted, b: Converted, gis: GraphInput[], fail: (lines: string[]) => never): void {
  const sig = (c: Converted, k: number) => {
    const s = c.cv.specs[k];
    return `${s.layer.constructor.name}|${JSON.stringify(s.layer.config())}|${s.inputs}|${s.ports}|${Object.entries(s.w).map(([n, v]) => `${n}:${v.length}`)}`;
  };
  const sameWeights = (p: Spec, q: Spec) => Object.entries(p.w).every(([n, v]) => v.every((x, i) => Object.is(x, q.w[n][i])));
  const lens = gis.filter((gi) => gi.per.includes(null)).map((gi) => `"${gi.onnx}" [${gi.per.map((d) => d ?? '?')}]`).join(', ');
  const why = `its layers depend on the length of an open dimension of input ${lens} (they differ between lengths ${PROBES.join(' and ')}); export the graph with that dimension fixed`;
  const n = Math.max(a.keep.length, b.keep.length);
  for (let i = 0; i < n; i++) {
    if (a.keep[i] === b.keep[i] && a.keep[i] !== undefined && sig(a, a.keep[i]) === sig(b, b.keep[i]) && sameWeights(a.cv.specs[a.keep[i]], b.cv.specs[b.keep[i]])) continue;
    const s = a.cv.specs[a.keep[i] ?? a.keep[a.keep.length - 1]];
    fail([`${nodeLabel(s.origin)}: ${why}`]);
  }
  a.outs.forEach((o, k) => {
    const q = b.outs[k];
    if (o.per.length !== q.per.length || o.batchAxis !== q.batchAxis) fail([`the graph output "${o.onnx}": ${why}`]);
    const per = o.per.map((d, i) => (d === q.per[i] ? d : null));
    if (per.includes(null) && (!isIdentity(o.act.order) || !isIdentity(q.act.order))) fail([`the graph output "${o.onnx}" varies with an open dimension but Axon holds it transposed; end the graph on the layout it computes (no Transpose of the open axis)`]);
    o.per = per;
  });
}

/** A Tensor given to toAxonInput: its values, once its shape is (N, ...the ONNX per-sample shape; open dimensions any length). */
function tensorData(t: Tensor, per: Array<number | null>, axon: number[]): ArrayLike<number> {
  if (t.dtype !== 'f32') throw new AxonError('BAD_ARGUMENT', `toAxonInput: the tensor is ${t.dtype}; the ONNX input is float32`);
  if (t.shape.length === per.length + 1 && t.shape.slice(1).every((d, i) => per[i] === null || d === per[i])) return t.data;
  const hint = t.shape.slice(1).join() === axon.join() ? '; it is already in the Axon layout: pass it to model.predict as it is' : '';
  throw new AxonError('BAD_SHAPE', `toAxonInput: the tensor has shape [${t.shape}] but the ONNX input is (N, ${per})${hint}`);
}
