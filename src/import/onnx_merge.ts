// ONNX nodes that join activations: Add / Sum of activations (residual connections; QLinearAdd of int8 ones), Concat, and
// Mul of an activation by an activation gate (squeeze-and-excitation: x * sigmoid(fc(pool(x)))).
// Each becomes an Axon merge layer reading the buffers of its inputs (src/layers/merge.ts). The
// inputs must agree on layout: same ONNX shape and element order for Add; for Concat, channels-last
// maps of (C, H, W) (on any axis) or tensors Axon holds in ONNX order.
import { Add, Concatenate, Multiply } from '../layers/merge.js';
import { Reshape } from '../layers/misc.js';
import type { OnnxNode } from './onnx_proto.js';
import { Attrs } from './onnx_graph.js';
import { channelsLastOrder, channelsLastShape, isIdentity, prod, sameOrder } from './onnx_layout.js';
import { Converter, unsupported, ValueState } from './onnx_convert.js';
import { actParams, typeName, typesOf } from './onnx_quant.js';
import { QAdd } from '../quant/qadd.js';
import type { FusedActivation } from '../quant/scheme.js';

export type MergeHandler = (cv: Converter, n: OnnxNode, ins: ValueState[]) => void;

const batchFirst = (ins: ValueState[]) => { if (ins.some((v) => v.batchAxis !== 0)) unsupported('joins tensors whose batch axis is not first'); };
const shapes = (ins: ValueState[]) => ins.map((v) => `[N, ${v.act.onnx}]`).join(', ');

/** The inputs of an Add checked (one shape, one layout) and brought to the first one's Axon shape. */
function addInputs(cv: Converter, n: OnnxNode, ins: ValueState[]): ValueState[] {
  batchFirst(ins);
  const a = ins[0].act;
  if (ins.some((v) => v.act.onnx.join() !== a.onnx.join())) unsupported(`adds activations of shapes ${shapes(ins)}; broadcasting between activations is not supported (only equal shapes)`);
  if (ins.some((v) => !sameOrder(v.act.order, a.order))) unsupported("adds activations held in different Axon layouts (a Transpose on one branch); transpose both branches alike");
  // an aliasing Reshape on one branch (e.g. (C) vs (1, 1, C)): bring every branch to the first one's Axon shape
  return ins.map((v) => {
    if (v.act.axon.join() === a.axon.join()) return v;
    cv.load(v, true);
    cv.emit(new Reshape({ targetShape: a.axon }), {}, n);
    return cv.state();
  });
}

/** x0 + x1 + … of activations with one shape: a residual connection. */
const add: MergeHandler = (cv, n, ins) => cv.merge(new Add(), addInputs(cv, n, ins), n, ins[0].act);

/**
 * QLinearAdd (com.microsoft; also the QDQ group DQ + DQ → Add [→ Relu / Clip(0, 6)] → Q, fused in
 * onnx_quant_fuse.ts) of two quantized activations of one shape → QAdd, int8 in and out.
 */
const qlinearAdd: MergeHandler = (cv, n, ins) => {
  const types = typesOf(cv), t = [n.input[0], n.input[3]].map((v) => types.get(v));
  if (ins.length !== 2 || t.some((d) => d === undefined)) unsupported('adds a tensor that is not a quantized activation; both inputs must be (put QuantizeLinear before them)');
  const A = actParams(cv, n, 1, 'A', t[0]), B = actParams(cv, n, 4, 'B', t[1]), C = actParams(cv, n, 6, 'C', t[0]);
  [A, B].forEach((p, k) => { if (p.dtype !== t[k]) unsupported(`input ${'AB'[k]} is ${typeName(t[k]!)} but ${'AB'[k]}_zero_point is ${typeName(p.dtype)}`); });
  const activation = new Attrs(n).str('axon_activation', 'linear') as FusedActivation;
  cv.merge(new QAdd({ activation, quant: { inputs: [A, B], output: C } }), addInputs(cv, n, ins), n, ins[0].act);
  types.set(n.output[0], C.dtype);
};

/** Concat of channels-last maps, or of tensors held in ONNX order (flat vectors). */
const concat: MergeHandler = (cv, n, ins) => {
  batchFirst(ins);
  const r = ins[0].act.onnx.length + 1, ax0 = new Attrs(n).int('axis', 1), ax = ax0 < 0 ? ax0 + r : ax0;
  if (ins.some((v) => v.act.onnx.length + 1 !== r)) unsupported(`joins tensors of different ranks: ${shapes(ins)}`);
  if (ax === 0) unsupported('concatenates along the batch axis');
  const onnx = ins[0].act.onnx.slice();
  onnx[ax - 1] = ins.reduce((s, v) => s + v.act.onnx[ax - 1], 0);
  if (ins.some((v) => v.act.onnx.some((d, i) => i !== ax - 1 && d !== onnx[i]))) unsupported(`concatenates on axis ${ax0} tensors of shapes ${shapes(ins)} that differ on other axes`);
  // (C, H, W) held as (H, W, C): C is Axon's last axis, the spatial axes keep their order
  const spatial = r >= 3 && r <= 4 && ins.every((v) => sameOrder(v.act.order, channelsLastOrder(v.act.onnx)) && v.act.axon.join() === channelsLastShape(v.act.onnx).join());
  if (spatial) { cv.merge(new Concatenate({ axis: ax === 1 ? -1 : ax - 2 }), ins, n, { onnx, axon: channelsLastShape(onnx), order: channelsLastOrder(onnx) }); return; }
  const plain = ins.every((v) => isIdentity(v.act.order) && v.act.axon.join() === v.act.onnx.join());
  if (plain) { cv.merge(new Concatenate({ axis: ax - 1 }), ins, n, { onnx, axon: onnx, order: null }); return; }
  unsupported(`concatenates on axis ${ax0} tensors of shapes ${shapes(ins)}: supported are (N, C, H, W) / (N, C, L) maps Axon holds channels-last and tensors it holds in ONNX order, not a mix`);
};

/** x * g: equal shapes and layouts, or g one value per channel ((C, 1, 1) of a (C, H, W) map held channels-last) or per sample. */
const mul: MergeHandler = (cv, n, ins) => {
  batchFirst(ins);
  if (ins.length !== 2) unsupported(`multiplies ${ins.length} activations; only two`);
  const [a, b] = ins.map((v) => v.act);
  if (a.onnx.join() === b.onnx.join()) {
    if (!sameOrder(a.order, b.order) || a.axon.join() !== b.axon.join()) unsupported('multiplies activations held in different Axon layouts');
    cv.merge(new Multiply(), ins, n, a);
    return;
  }
  const full = prod(a.onnx) >= prod(b.onnx) ? 0 : 1, x = ins[full].act, g = ins[1 - full].act, C = x.onnx[0];
  const perChannel = g.onnx[0] === C && g.onnx.length === x.onnx.length && g.onnx.slice(1).every((d) => d === 1);
  const perSample = prod(g.onnx) === 1 && g.onnx.length <= x.onnx.length;
  const channelsLast = x.onnx.length >= 2 && sameOrder(x.order, channelsLastOrder(x.onnx)) && x.axon.join() === channelsLastShape(x.onnx).join();
  if (!(perSample || (perChannel && channelsLast)))
    unsupported(`multiplies activations of shapes [N, ${a.onnx}] and [N, ${b.onnx}]; supported are equal shapes and a gate of one value per channel (N, C, 1, 1) or per sample`);
  cv.merge(new Multiply(), ins, n, x);
};

export const MERGE_HANDLERS: Record<string, MergeHandler> = { Add: add, Sum: add, Concat: concat, Mul: mul, QLinearAdd: qlinearAdd };
