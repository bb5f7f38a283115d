// Recurrent state plumbing for the ONNX importer (onnx_rnn.ts converts the nodes themselves): initial
// states from the graph (initial_h / initial_c as activations, e.g. graph inputs h0 / c0 of shape
// (num_layers, N, H) sliced per layer as torch writes it) become the Axon layer's h0 / c0 inputs;
// the final states Y_h / Y_c become its outputs `layer:1` / `layer:2` (returnState); Concat of
// time-major or state tensors (the batch not first: torch's h_n = Concat(Y_h of each layer, axis 0)).
import { Reshape } from '../layers/misc.js';
import { Concatenate } from '../layers/merge.js';
import type { OnnxNode } from './onnx_proto.js';
import { Attrs, BATCH } from './onnx_graph.js';
import { isIdentity, prod } from './onnx_layout.js';
import { Converter, Spec, unsupported, ValueState } from './onnx_convert.js';
import type { MergeHandler } from './onnx_merge.js';

/** The full ONNX shape of a value, BATCH at the batch axis. */
export const stateShape = (v: ValueState): number[] => { const s = v.act.onnx.slice(); s.splice(v.batchAxis, 0, BATCH); return s; };
const shapeText = (v: ValueState) => `[${stateShape(v).map((d) => (d === BATCH ? 'N' : d))}]`;

/** The value `v` held as Axon shape `shape` (its ONNX order must be Axon's): a free Reshape when it is held otherwise. */
function heldAs(cv: Converter, n: OnnxNode, v: ValueState, shape: number[]): ValueState {
  if (v.act.axon.join() === shape.join()) return v;
  cv.load(v, true);
  cv.emit(new Reshape({ targetShape: shape }), {}, n);
  return cv.state();
}

/**
 * initial_h / initial_c of a recurrent node: absent or zero constants (the layer's own zero start),
 * or activations (1, N, H), read by the Axon layer as its h0 / c0 inputs ([H] per sample). Returns
 * those activations in the layer's input order; the current activation (X) is left as it was.
 */
export function initialStates(cv: Converter, n: OnnxNode, D: number, H: number, lstm: boolean): ValueState[] {
  const x = cv.state(), got: Array<ValueState | undefined> = [];
  for (const [i, what] of [[5, 'initial_h'], [6, 'initial_c']] as const) {
    const name = n.input[i];
    if (!name || (i === 6 && !lstm)) { got.push(undefined); continue; }
    if (cv.isConst(name)) {
      if (cv.c(n, i, what).data.some((v) => v !== 0)) unsupported(`${what} must be zero or computed from the graph's inputs (a non-zero constant is not supported; make it a graph input)`);
      got.push(undefined);
      continue;
    }
    const v = cv.valueState(name) ?? unsupported(`${what} "${name}" is not computed before the node`);
    if (D !== 1) unsupported(`${what} read from the graph is supported for unidirectional nodes only`);
    if (v.batchAxis !== 1 || v.act.onnx.length !== 2 || prod(v.act.onnx) !== H || !isIdentity(v.act.order))
      unsupported(`${what} must be a (1, N, ${H}) tensor, got ${shapeText(v)}${isIdentity(v.act.order) ? '' : ' held transposed'}`);
    got.push(heldAs(cv, n, v, [H]));
  }
  cv.load(x, false);
  if (got[1] && !got[0]) unsupported('initial_c from the graph with a zero or absent initial_h is not supported; give both');
  return got.filter((v): v is ValueState => v !== undefined);
}

/** The state of output `port` of the spec just emitted: a final state (1, N, H) with the batch at axis 1. */
export function finalState(cv: Converter, port: number, H: number): ValueState {
  return { act: { onnx: [1, H], axon: [H], order: null }, tip: null, cur: cv.cur, fence: cv.fence, batchAxis: 1, port };
}

/** Concat of tensors whose batch is not first (same batch axis, held in ONNX order): a Concatenate along the per-sample axis. */
const seqConcat: MergeHandler = (cv, n, ins) => {
  const b = ins[0].batchAxis, r = ins[0].act.onnx.length + 1, ax0 = new Attrs(n).int('axis', 0), ax = ax0 < 0 ? ax0 + r : ax0;
  const all = ins.map(shapeText).join(', ');
  if (ins.some((v) => v.batchAxis !== b || v.act.onnx.length + 1 !== r)) unsupported(`joins tensors of shapes ${all} (the batch at different axes or different ranks)`);
  if (ax === b) unsupported('concatenates along the batch axis');
  if (ins.some((v) => !isIdentity(v.act.order))) unsupported(`joins tensors of shapes ${all} that Axon holds transposed; only tensors held in the ONNX order`);
  const p = ax > b ? ax - 1 : ax, onnx = ins[0].act.onnx.slice();
  onnx[p] = ins.reduce((s, v) => s + v.act.onnx[p], 0);
  if (ins.some((v) => v.act.onnx.some((d, i) => i !== p && d !== onnx[i]))) unsupported(`concatenates on axis ${ax0} tensors of shapes ${all} that differ on other axes`);
  const parts = ins.map((v) => heldAs(cv, n, v, v.act.onnx));
  cv.merge(new Concatenate({ axis: p }), parts, n, { onnx, axon: onnx, order: null });
  cv.batchAxis = b;
  CONCATS.set(cv.specs[cv.cur], { p, ins });
};

/** What seqConcat joined: the per-sample axis and the values, per Concatenate spec. */
const CONCATS = new WeakMap<Spec, { p: number; ins: ValueState[] }>();

/**
 * When the current value is a Concatenate from seqConcat and indices `idx` along its per-sample
 * axis p are exactly one of its inputs (torch's h_n[-1] of a Concat of every layer's Y_h): that
 * input's state, so the selection reads it directly (the Concatenate is dropped unless read otherwise).
 */
export function concatPart(cv: Converter, p: number, idx: number[]): ValueState | undefined {
  const c = cv.port === 0 && cv.cur >= 0 ? CONCATS.get(cv.specs[cv.cur]) : undefined;
  if (!c || c.p !== p) return undefined;
  let at = 0;
  for (const v of c.ins) {
    const len = v.act.onnx[p];
    if (idx.length === len && idx.every((k, j) => k === at + j)) return v;
    at += len;
  }
  return undefined;
}

/** Merges in graphs with recurrent nodes whose inputs have the batch elsewhere than first. */
export const SEQ_MERGE_HANDLERS: Record<string, MergeHandler> = { Concat: seqConcat };
