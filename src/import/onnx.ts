// ONNX → Axon Model. Takes graphs with one input and one output whose activations flow through the
// ops in onnx_ops.ts and onnx_rnn.ts, and join in Add / Sum / Concat (onnx_merge.ts: residual and
// concatenating blocks); initializers, Constant nodes and shape arithmetic are constants. Opsets
// 13–17. Anything else fails with one AxonError('UNSUPPORTED') that lists every offending node.
// A chain imports as a Sequential. QuantizeLinear / DequantizeLinear on constant weights (QDQ weight
// quantization) fold to f32 weights at import; quantized activations (QDQ, QOperator, dynamic)
// become int8 layers (onnx_quant.ts).
// Layout: the Axon model is channels-last. An ONNX (N, C, H, W) input becomes an Axon (N, H, W, C)
// input (use `toAxonInput` on NCHW data); outputs come in the Axon layout (`toOnnxOutput` undoes it).
// A graph whose input is NHWC followed by Transpose(0, 3, 1, 2) (TensorFlow exports) takes its input as is.
// Names: each layer is named after its node (the node name, else its first output), sanitized and
// made unique (model/names.ts); a node folded into an earlier layer (Conv + Add/Mul/BatchNormalization,
// MatMul + Add) leaves the name of the layer's own node (the Conv's, the MatMul's).
import { own } from '../format/validate.js';
import { AxonError } from '../errors.js';
import type { Engine } from '../runtime/engine.js';
import { Tensor } from '../runtime/tensor.js';
import { Model, MODEL_INPUT } from '../model/model.js';
import { Sequential } from '../model/sequential.js';
import { nameImported } from '../model/names.js';
import { decodeOnnx, tensorValues, toNum } from './onnx_proto.js';
import { Attrs, BATCH, graphProblems, Const, constantNode, foldNode, fuseHardSwish, nodeLabel, shapeOf } from './onnx_graph.js';
import { Act, applyOrder, channelsLastOrder, channelsLastShape, isIdentity, orderOf } from './onnx_layout.js';
import { Converter, INPUT, Spec, ValueState } from './onnx_convert.js';
import { MERGE_HANDLERS } from './onnx_merge.js';
import { ELEMENTWISE, HANDLERS } from './onnx_ops.js';
import { RECURRENT_HANDLERS, RECURRENT_OPS, SEQ_HANDLERS, fullShape } from './onnx_rnn.js';
import { QUANT_OPS, isQuantOp, quantHandler, quantOutputProblem } from './onnx_quant.js';
import { fuseQuant } from './onnx_quant_fuse.js';
import { Budget, Limits, checkActivations, checkNodeCount, checkTensorSize, numel, resolveLimits } from '../format/validate.js';

export interface OnnxImportOptions {
  name?: string; seed?: number; engine?: Engine; /** for messages */ file?: string;
  /** resource limits, enforced before allocation (defaults: DEFAULT_LIMITS, sized for a 128 MB Worker) */
  limits?: Partial<Limits>;
}

export interface OnnxImport {
  /** a Sequential when the graph is a chain */
  model: Model;
  opset: number;
  inputName: string;
  outputName: string;
  /** per-sample shapes in the ONNX graph (e.g. [3, 32, 32]) and in the Axon model (e.g. [32, 32, 3]) */
  onnxInputShape: number[];
  onnxOutputShape: number[];
  /** ONNX-layout batch (N, ...onnxInputShape) → the Axon model's input tensor */
  toAxonInput(data: ArrayLike<number>): Tensor;
  /** the Axon model's output → ONNX layout (N, ...onnxOutputShape) */
  toOnnxOutput(y: Tensor): Float32Array;
  /** Axon layer name → the ONNX node it came from (its name, else its first output's); layers are named after it (model/names.ts) */
  layerSources: Record<string, string>;
  /** Axon parameter (`layer.param`) → the ONNX initializer it came from (PyTorch's parameter name for torch exports) */
  paramSources: Record<string, string>;
}

export const ONNX_OPSETS = [13, 17] as const;
/** The ONNX ops the importer maps onto layers (constant-only shape arithmetic aside). */
export const supportedOnnxOps = (): string[] => [...new Set([...Object.keys(HANDLERS), ...Object.keys(RECURRENT_HANDLERS), ...Object.keys(MERGE_HANDLERS), ...QUANT_OPS])].sort();
const handlerOf = (op: string, seq: boolean) => (seq && own(SEQ_HANDLERS, op)) || own(HANDLERS, op) || own(RECURRENT_HANDLERS, op);

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
  const fused = fuseQuant(fuseHardSwish(g), consts, (g.output ?? []).map((o) => o.name));
  if (fused.problems.length) fail(fused.problems);
  const nodes = fused.nodes;
  const inputs = (g.input ?? []).filter((v) => !consts.has(v.name));
  const merges = new Set(Object.keys(MERGE_HANDLERS));
  const problems = graphProblems(nodes, new Set(consts.keys()), inputs.map((v) => v.name), (n) => handlerOf(n.op_type, true) !== undefined || merges.has(n.op_type) || isQuantOp(n.op_type), merges);
  if (problems.length) fail(problems);

  // the input: (N, ...per-sample), channels-first unless the graph transposes NHWC itself
  const vi = inputs[0], dims = vi.type?.tensor_type?.shape?.dim ?? [];
  if ((vi.type?.tensor_type?.elem_type ?? 1) !== 1) fail([`input "${vi.name}" is not float32`]);
  const full = dims.map((d, i) => (d.dim_value !== undefined && toNum(d.dim_value) > 0 ? toNum(d.dim_value) : i === 0 ? BATCH : -1));
  if (full.length < 2 || full.slice(1).some((d) => d < 1)) fail([`input "${vi.name}" has shape [${dims.map((d) => d.dim_param || toNum(d.dim_value))}]; the importer needs a batch axis and fixed per-sample sizes`]);
  checkTensorSize(limits, numel(full.slice(1)), 4, `${file}: input "${vi.name}" of shape [${full}] per sample`);
  const per = full.slice(1), first = nodes.find((n) => n.input.includes(vi.name));
  const nhwcGraph = first?.op_type === 'Transpose' && new Attrs(first).ints('perm', []).join() === [0, per.length, ...per.slice(0, -1).map((_, i) => i + 1)].join();
  const seqGraph = nodes.some((n) => RECURRENT_OPS.has(n.op_type));   // (N, T, I) sequences: taken as they are
  const spatial = per.length >= 2 && per.length <= 3 && !nhwcGraph && !seqGraph;
  const inAct: Act = spatial ? { onnx: per, axon: channelsLastShape(per), order: channelsLastOrder(per) } : { onnx: per, axon: per, order: null };

  const cv = new Converter({ ...inAct }, consts);
  cv.limits = limits;
  if (full[0] !== BATCH) cv.staticBatch = full[0];
  cv.seq = seqGraph;
  const uses = cv.used, use = (v: string) => uses.set(v, (uses.get(v) ?? 0) + 1);
  for (const n of nodes) for (const i of n.input) if (i) use(i);
  for (const o of g.output ?? []) use(o.name);
  const actShapes = new Map<string, number[]>([[vi.name, [BATCH, ...per]]]);   // full shapes, BATCH at the batch axis
  const states = new Map<string, ValueState>([[vi.name, cv.state()]]);
  const poisoned = new Set<string>();   // outputs of nodes that failed: later readers are not checked again
  const errs: string[] = [];
  for (const n of nodes) {
    const label = nodeLabel(n);
    const acts = n.input.filter((i) => i && !consts.has(i));
    if (acts.some((i) => poisoned.has(i))) { n.output.forEach((o) => poisoned.add(o)); continue; }
    try {
      if (n.op_type === 'Constant') { consts.set(n.output[0], constantNode(n)); continue; }
      if (n.op_type === 'Shape' && actShapes.has(n.input[0])) { consts.set(n.output[0], shapeOf(n, actShapes.get(n.input[0])!)); continue; }
      if (acts.length === 0) {
        const v = foldNode(n, (i) => (n.input[i] ? consts.get(n.input[i]) : undefined));
        if (!v) throw new AxonError('UNSUPPORTED', 'cannot be evaluated on constants here');
        consts.set(n.output[0], v);
        continue;
      }
      const ins = acts.map((i) => states.get(i) ?? unknownValue(i));
      cv.next = undefined;
      const qh = quantHandler(cv, n);   // quantization ops, and any node reading a quantized activation
      if (acts.length > 1 && !qh) {
        const h = own(MERGE_HANDLERS, n.op_type);
        if (!h) throw new AxonError('UNSUPPORTED', `joins ${acts.length} activations; only ${Object.keys(MERGE_HANDLERS).join(', ')} can`);
        h(cv, n, ins);
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
    } catch (e) {
      if (!(e instanceof AxonError)) throw e;
      if (e.code === 'OUT_OF_MEMORY' || e.code === 'BAD_MODEL_FILE') throw new AxonError(e.code, `${file}: ${label}: ${e.message}`);
      errs.push(`${label}: ${e.message}`);
      // an elementwise node keeps its input's shape: readers of its output can still be checked
      const st = ELEMENTWISE.has(n.op_type) && acts.length === 1 ? states.get(acts[0]) : undefined;
      if (st) states.set(n.output[0], st); else n.output.forEach((o) => poisoned.add(o));
    }
  }
  const outs = g.output ?? [];
  const outName = outs[0]?.name, outState = outName !== undefined ? states.get(outName) : undefined;
  if (!errs.length && outs.length !== 1) errs.push(`the graph has ${outs.length} outputs [${outs.map((o) => o.name)}]; exactly one is supported`);
  else if (!errs.length && (!outState || outState.cur === INPUT)) errs.push(`the graph output "${outName}" is not computed by any layer from the input`);
  else if (!errs.length && outState!.batchAxis !== 0) errs.push(`the graph output "${outName}" has the batch at axis ${outState!.batchAxis}; it must be first`);
  const qo = errs.length ? undefined : quantOutputProblem(cv, outName!);
  if (qo) errs.push(qo);
  if (errs.length) fail(errs);
  cv.load(outState!, false);

  const keep = reachable(cv.specs, outState!.cur), specs = keep.map((k) => cv.specs[k]);
  const chain = keep.every((k, i) => cv.specs[k].inputs.length === 1 && cv.specs[k].inputs[0] === (i ? keep[i - 1] : INPUT));
  const mopts = { inputShape: inAct.axon, seed: opts.seed, name: opts.name ?? (g.name || 'onnx'), engine: opts.engine };
  const model = chain ? new Sequential(mopts) : new Model(mopts);
  const weights = new Map<string, Float32Array>(), layerSources: Record<string, string> = {}, paramSources: Record<string, string> = {};
  nameImported(specs.map((s) => ({ layer: s.layer, source: s.node, origin: s.origin })));
  for (const s of specs) {
    model.add(s.layer, { inputs: s.inputs.map((j) => (j === INPUT ? MODEL_INPUT : cv.specs[j].layer.name)) });
    layerSources[s.layer.name] = s.node;
    for (const [k, v] of Object.entries(s.w)) weights.set(`${s.layer.name}.${k}`, v);
    for (const [k, v] of Object.entries(s.from)) paramSources[`${s.layer.name}.${k}`] = v;
  }
  checkActivations(model, limits, file);
  model.setWeights(weights);
  const tipName = outName!;
  const inOrder = orderOf(inAct), out = cv.act, outOrder = orderOf(out);
  return {
    model, opset, inputName: vi.name, outputName: tipName, onnxInputShape: per, onnxOutputShape: out.onnx, layerSources, paramSources,
    toAxonInput: (data) => {
      const S = inOrder.length;
      if (data.length % S) throw new AxonError('BAD_SHAPE', `toAxonInput: ${data.length} values are not a whole number of samples of shape [${per}]`);
      return new Tensor(isIdentity(inAct.order) ? Float32Array.from(data) : applyOrder(data, inOrder), [data.length / S, ...inAct.axon]);
    },
    toOnnxOutput: (y) => (isIdentity(out.order) ? Float32Array.from(y.data) : applyOrder(y.data, outOrder, true)),
  };
}

/** An activation the walk has not produced: a node reads a value from later in the file (the graph is not topologically sorted). */
function unknownValue(name: string): never {
  throw new AxonError('UNSUPPORTED', `reads "${name}", which no earlier node produces (the nodes must be in topological order, as ONNX requires)`);
}

/** Indices of the specs the output depends on, in order (layers on branches nothing reads are dropped). */
function reachable(specs: Spec[], out: number): number[] {
  const keep = new Set<number>(), stack = [out];
  while (stack.length) { const k = stack.pop()!; if (k === INPUT || keep.has(k)) continue; keep.add(k); stack.push(...specs[k].inputs); }
  return [...keep].sort((a, b) => a - b);
}
