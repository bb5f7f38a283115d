// The walk of an ONNX graph's nodes in file order (onnx.ts runs it once per probe length): each
// node on constants folds into a constant (onnx_graph.ts, onnx_fold.ts); each node on activations
// goes to its op's handler (onnx_ops.ts, onnx_rnn.ts, onnx_merge.ts, onnx_quant.ts, attention), which
// emits layer specs onto the Converter (onnx_convert.ts). Every node that fails is listed, not just the
// first; the outputs' specs and what they depend on come back.
import { own } from '../format/validate.js';
import { AxonError } from '../errors.js';
import { Cast } from '../layers/cast.js';
import { Attrs, Const, constantNode, foldNode, nodeLabel, shapeOf } from './onnx_graph.js';
import { Act, channelsLastOrder, channelsLastShape } from './onnx_layout.js';
import type { OnnxNode, OnnxValueInfo } from './onnx_proto.js';
import { Converter, INPUT, Spec, ValueState } from './onnx_convert.js';
import { MERGE_HANDLERS } from './onnx_merge.js';
import { ELEMENTWISE, HANDLERS } from './onnx_ops.js';
import { RECURRENT_HANDLERS, RECURRENT_OPS, SEQ_HANDLERS, fullShape } from './onnx_rnn.js';
import { quantHandler, quantOutputProblem } from './onnx_quant.js';
import { GraphInput, GraphOutput } from './onnx_io.js';
import { SEQ_MERGE_HANDLERS, stateShape } from './onnx_rnn_state.js';
import { ATTENTION_OP, attentionNode } from './onnx_attention.js';
import { embeddingGather, tagRows } from './onnx_embedding.js';
import { Limits, checkTensorSize, numel } from '../format/validate.js';

/** The handler of an op on activations (a sequence graph's own first). */
export const handlerOf = (op: string, seq: boolean) => (seq && own(SEQ_HANDLERS, op)) || own(HANDLERS, op) || own(RECURRENT_HANDLERS, op);

export interface Converted { cv: Converter; keep: number[]; outs: Array<Omit<GraphOutput, 'ref'> & { cur: number; port: number }>; inActs: Act[] }

/** Converts the graph with open input dimensions at length `probe`; `fail` throws the problems found. */
export function convert(nodes: OnnxNode[], consts: Map<string, Const>, gis: GraphInput[], probe: number, graphOuts: OnnxValueInfo[], fail: (lines: string[]) => never, limits: Limits, file: string): Converted {
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

/** A node reading an integer graph input: Cast (to float: a Cast layer; to an integer type: nothing to do), or Gather in a constant table (an embedding). */
function castInt(cv: Converter, n: OnnxNode, name: string): void {
  const to = new Attrs(n).int('to', 1);
  if (n.op_type === 'Gather' && cv.isConst(n.input[0]) && n.input[1] === name) return embeddingGather(cv, n);
  if (n.op_type === 'Identity' || (n.op_type === 'Cast' && (to === 6 || to === 7))) return;
  if (n.op_type !== 'Cast' || to !== 1) throw new AxonError('UNSUPPORTED', `reads the integer input "${name}"; only Cast to float (masks, ids read as numbers) is supported on integer inputs`);
  cv.emit(new Cast(), {}, n);
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
