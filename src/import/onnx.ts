// ONNX → Axon Model. Takes graphs with one or more inputs and outputs (onnx_io.ts: names, dtypes,
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
import { Cast } from '../layers/cast.js';
import { nameImported } from '../model/names.js';
import { decodeOnnx, tensorValues, toNum } from './onnx_proto.js';
import { fuseActivations } from './onnx_fuse_act.js';
import { Attrs, BATCH, graphProblems, Const, constantNode, foldNode, fuseHardSwish, nodeLabel, shapeOf } from './onnx_graph.js';
import { Act, channelsLastOrder, channelsLastShape, isIdentity } from './onnx_layout.js';
import type { OnnxNode, OnnxValueInfo } from './onnx_proto.js';
import { Converter, INPUT, Spec, ValueState } from './onnx_convert.js';
import { MERGE_HANDLERS } from './onnx_merge.js';
import { ELEMENTWISE, HANDLERS } from './onnx_ops.js';
import { RECURRENT_HANDLERS, RECURRENT_OPS, SEQ_HANDLERS, fullShape } from './onnx_rnn.js';
import { QUANT_OPS, isQuantOp, quantHandler, quantOutputProblem } from './onnx_quant.js';
import { fuseQuant } from './onnx_quant_fuse.js';
import { setWeightSource } from '../model/source_weights.js';
import { GraphInput, GraphOutput, OnnxData, graphInputs, toAxon, toOnnx } from './onnx_io.js';
import { SEQ_MERGE_HANDLERS, stateShape } from './onnx_rnn_state.js';
import { fuseLayerNorm } from './onnx_layernorm.js';
import { ATTENTION_OP, attentionNode, finderInputs, fuseAttention } from './onnx_attention.js';
import { embeddingGather, tagRows } from './onnx_embedding.js';
import { PositionEmbedding } from '../layers/sequence.js';
import { Budget, Limits, checkActivations, checkNodeCount, checkTensorSize, numel, resolveLimits } from '../format/validate.js';

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
const handlerOf = (op: string, seq: boolean) => (seq && own(SEQ_HANDLERS, op)) || own(HANDLERS, op) || own(RECURRENT_HANDLERS, op);
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

interface Converted { cv: Converter; keep: number[]; outs: Array<Omit<GraphOutput, 'ref'> & { cur: number; port: number }>; inActs: Act[] }

/** Converts the graph with open input dimensions at length `probe`; `fail` throws the problems found. */
function convert(nodes: OnnxNode[], consts: Map<string, Const>, gis: GraphInput[], probe: number, graphOuts: OnnxValueInfo[], fail: (lines: string[]) => never, limits: Limits, file: string): Converted {
  const seqGraph = nodes.some((n) => RECURRENT_OPS.has(n.op_type));   // (N, T, I) sequences: taken as they are
  const inActs = gis.map((gi): Act => {
    // channels-first unless the graph transposes NHWC itself
    const per = gi.per.map((d) => d ?? probe), first = nodes.find((n) => n.input.includes(gi.onnx));
    const nhwcGraph = first?.op_type === 'Transpose' && new Attrs(first).ints('perm', []).join() === [0, per.length, ...per.slice(0, -1).map((_, i) => i + 1)].join();
    // (an input with open dimensions is taken as it is: ops that need a channels-last map say so)
    const spatial = gi.dtype === 'f32' && gi.batchAxis === 0 && per.length >= 2 && per.length <= 3 && !nhwcGraph && !seqGraph && !gi.per.includes(null);
    checkTensorSize(limits, numel(per), 4, `${file}: input "${gi.onnx}" of shape [${per}] per sample`);
    return spatial ? { onnx: per, axon: channelsLastShape(per), order: channelsLastOrder(per) } : { onnx: per, axon: per, order: null };
  });
  const cv = new Converter({ ...inActs[0] }, consts);
  cv.limits = limits;
  const sb = gis.find((gi) => gi.staticBatch !== undefined)?.staticBatch;
  if (sb !== undefined) cv.staticBatch = sb;
  cv.seq = seqGraph;
  const uses = cv.used, use = (v: string) => uses.set(v, (uses.get(v) ?? 0) + 1);
  for (const n of nodes) for (const i of n.input) if (i) use(i);
  for (const o of graphOuts) use(o.name);
  const actShapes = new Map<string, number[]>();   // full shapes, BATCH at the batch axis
  const states = new Map<string, ValueState>();
  gis.forEach((gi, k) => {
    states.set(gi.onnx, { act: inActs[k], tip: null, cur: INPUT - k, fence: INPUT, batchAxis: gi.batchAxis, port: 0, ...(gi.dtype === 'i32' ? { int: true } : {}) });
    actShapes.set(gi.onnx, stateShape(states.get(gi.onnx)!));
  });
  cv.valueState = (name) => states.get(name);
  const poisoned = new Set<string>();   // outputs of nodes that failed: later readers are not checked again
  const errs: string[] = [];
  for (const n of nodes) {
    const label = nodeLabel(n);
    const acts = n.input.filter((i) => i && !consts.has(i));
    if (acts.some((i) => poisoned.has(i))) { n.output.forEach((o) => poisoned.add(o)); continue; }
    try {
      if (n.op_type === 'Constant') { consts.set(n.output[0], constantNode(n)); continue; }
      if (n.op_type === 'Shape' && actShapes.has(n.input[0])) { consts.set(n.output[0], shapeOf(n, actShapes.get(n.input[0])!)); continue; }
      if (n.op_type === 'Shape' && consts.has(n.input[0])) { consts.set(n.output[0], shapeOf(n, consts.get(n.input[0])!.dims)); continue; }
      if (acts.length === 0) {
        const v = foldNode(n, (i) => (n.input[i] ? consts.get(n.input[i]) : undefined));
        if (!v) throw new AxonError('UNSUPPORTED', 'cannot be evaluated on constants here');
        consts.set(n.output[0], tagRows(n, v, consts));
        continue;
      }
      const ins = acts.map((i) => states.get(i) ?? unknownValue(i));
      cv.next = undefined;
      cv.produced = [];
      const qh = quantHandler(cv, n);   // quantization ops, and any node reading a quantized activation
      const seqMerge = cv.seq && ins.some((v) => v.batchAxis !== 0) ? own(SEQ_MERGE_HANDLERS, n.op_type) : undefined;
      if (n.op_type === ATTENTION_OP) attentionNode(cv, n, ins);
      else if (acts.length > 1 && !qh && !RECURRENT_OPS.has(n.op_type)) {
        if (ins.some((v) => v.int)) throw new AxonError('UNSUPPORTED', `reads an integer input directly; Cast it to float first`);
        const h = seqMerge ?? own(MERGE_HANDLERS, n.op_type);
        if (!h) throw new AxonError('UNSUPPORTED', `joins ${acts.length} activations; only ${Object.keys(MERGE_HANDLERS).join(', ')} can`);
        h(cv, n, ins);
      } else if (ins.some((v) => v.int)) {
        cv.load(ins[0], true);
        castInt(cv, n, acts[0]);
      } else {
        const h = qh ?? handlerOf(n.op_type, cv.seq);
        if (!h) throw new AxonError('UNSUPPORTED', 'op not supported on activations');
        cv.load(ins[0], (uses.get(acts[0]) ?? 0) > 1);
        if (cv.batchAxis !== 0 && !own(SEQ_HANDLERS, n.op_type) && !RECURRENT_OPS.has(n.op_type)) throw new AxonError('UNSUPPORTED', `its input has the batch at axis ${cv.batchAxis}; only Transpose, Squeeze, Unsqueeze, Reshape, Gather and Slice are supported there (move the batch axis first)`);
        h(cv, n, new Attrs(n));
      }
      const out = cv.next ?? n.output[0];
      states.set(out, cv.state());
      actShapes.set(out, fullShape(cv));
      for (const [o, st] of cv.produced) { states.set(o, st); actShapes.set(o, stateShape(st)); }
    } catch (e) {
      if (!(e instanceof AxonError)) throw e;
      if (e.code === 'OUT_OF_MEMORY' || e.code === 'BAD_MODEL_FILE') throw new AxonError(e.code, `${file}: ${label}: ${e.message}`);
      errs.push(`${label}: ${e.message}`);
      // an elementwise node keeps its input's shape: readers of its output can still be checked
      const st = ELEMENTWISE.has(n.op_type) && acts.length === 1 ? states.get(acts[0]) : undefined;
      if (st) states.set(n.output[0], st); else n.output.forEach((o) => poisoned.add(o));
    }
  }
  if (!graphOuts.length) errs.push('the graph has no outputs');
  const outs: Converted['outs'] = [];
  for (const o of graphOuts) {
    if (errs.length) break;
    const st = states.get(o.name);
    if (!st || st.cur < 0) { errs.push(`the graph output "${o.name}" is not computed by any layer from the inputs`); continue; }
    const qo = quantOutputProblem(cv, o.name);
    if (qo) { errs.push(qo); continue; }
    outs.push({ onnx: o.name, act: st.act, batchAxis: st.batchAxis, per: st.act.onnx, cur: st.cur, port: st.port ?? 0 });
  }
  if (errs.length) fail(errs);
  return { cv, keep: reachable(cv.specs, outs.map((o) => o.cur)), outs, inActs };
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

/** A node reading an integer graph input: Cast (to float: a Cast layer; to an integer type: nothing to do), or Gather in a constant table (an embedding). */
function castInt(cv: Converter, n: OnnxNode, name: string): void {
  const to = new Attrs(n).int('to', 1);
  if (n.op_type === 'Gather' && cv.isConst(n.input[0]) && n.input[1] === name) return embeddingGather(cv, n);
  if (n.op_type === 'Identity' || (n.op_type === 'Cast' && (to === 6 || to === 7))) return;
  if (n.op_type !== 'Cast' || to !== 1) throw new AxonError('UNSUPPORTED', `reads the integer input "${name}"; only Cast to float (masks, ids read as numbers) is supported on integer inputs`);
  cv.emit(new Cast(), {}, n);
}

/** A Tensor given to toAxonInput: its values, once its shape is (N, ...the ONNX per-sample shape; open dimensions any length). */
function tensorData(t: Tensor, per: Array<number | null>, axon: number[]): ArrayLike<number> {
  if (t.dtype !== 'f32') throw new AxonError('BAD_ARGUMENT', `toAxonInput: the tensor is ${t.dtype}; the ONNX input is float32`);
  if (t.shape.length === per.length + 1 && t.shape.slice(1).every((d, i) => per[i] === null || d === per[i])) return t.data;
  const hint = t.shape.slice(1).join() === axon.join() ? '; it is already in the Axon layout: pass it to model.predict as it is' : '';
  throw new AxonError('BAD_SHAPE', `toAxonInput: the tensor has shape [${t.shape}] but the ONNX input is (N, ${per})${hint}`);
}

/** An activation the walk has not produced: a node reads a value from later in the file (the graph is not topologically sorted). */
function unknownValue(name: string): never {
  throw new AxonError('UNSUPPORTED', `reads "${name}", which no earlier node produces (the nodes must be in topological order, as ONNX requires)`);
}

/** Indices of the specs the outputs depend on, in order (layers on branches nothing reads are dropped). */
function reachable(specs: Spec[], outs: number[]): number[] {
  const keep = new Set<number>(), stack = [...outs];
  while (stack.length) { const k = stack.pop()!; if (k < 0 || keep.has(k)) continue; keep.add(k); stack.push(...specs[k].inputs); }
  return [...keep].sort((a, b) => a - b);
}
