// The TF.js graph importer's conversion state: the value of every tensor (a constant, or an
// activation = the Axon layer that computes it and its per-sample NHWC shape), and the layers
// emitted so far with their inputs and weights. Layers are built standalone while converting (so
// shapes are known and a producer can still absorb a following BiasAdd / Mul / Add by a constant)
// and added to a Model at the end.
import { own } from '../format/validate.js';
import { Layer, MergeLayer } from '../layers/layer.js';
import { Dense } from '../layers/dense.js';
import { Conv2D } from '../layers/conv.js';
import { BatchNormalization } from '../layers/norm.js';
import { Flatten, Reshape } from '../layers/misc.js';
import type { Const } from './onnx_graph.js';
import { affineLayer, foldAffine } from './onnx_convert.js';
import { TfNode, unsupported } from './tfjs_graph_nodes.js';

export interface Spec {
  layer: Layer; inputs: Array<Spec | null>; w: Record<string, Float32Array>; node: string; from: Record<string, string>;
  /** the tensor it computes */ out: string;
  /** what the layer is named after when not `node` (a fused node: fusedSource) */ source?: string;
}
/** An activation: the layer computing it (null: the model input) and its per-sample shape. */
export interface Act { spec: Spec | null; shape: number[] }
export type Val = { c: Const; act?: undefined } | { act: Act; c?: undefined };

const BASE_OP: Record<string, string> = { _FusedConv2D: 'Conv2D', FusedDepthwiseConv2dNative: 'depthwise', _FusedMatMul: 'MatMul' };
/**
 * What the layer of a fused node (TF names it after its LAST op: `conv1/Relu`, `dense/BiasAdd`) is
 * named after: its convolution or matmul. That is the filter constant's name without
 * tfjs-converter's `_weights` (batch norm folded into `<conv node>_weights`) or TF's
 * `/ReadVariableOp`, when it has one; else the node's name with its last component, when that is
 * one of the fused ops, replaced by the base op as Keras names it in the same scope (Conv2D,
 * depthwise, MatMul); else the node's name.
 */
export function fusedSource(n: TfNode, filter: string, fused: string[]): string {
  const base = own(BASE_OP, n.op), w = /^(.+?)(?:_weights|\/ReadVariableOp)$/.exec(filter);
  if (!base || !fused.length) return n.name;
  if (w) return w[1];
  const k = n.name.lastIndexOf('/'), last = n.name.slice(k + 1).replace(/_\d+$/, '');
  return fused.some((op) => last.startsWith(op)) ? `${n.name.slice(0, k + 1)}${base}` : n.name;
}

/** `tensor` or `node:0` → the tensor name; undefined for control inputs (`^node`). */
export const tensorName = (s: string): string | undefined => (s.startsWith('^') ? undefined : s.endsWith(':0') ? s.slice(0, -2) : s);

export class GraphConverter {
  readonly specs: Spec[] = [];
  readonly vals = new Map<string, Val>();
  /** tensor → how many converted nodes read it */
  constructor(readonly uses: Map<string, number>, readonly outputName: string, readonly staticBatch?: number) {}

  inputs(n: TfNode): string[] { return (n.input ?? []).map(tensorName).filter((s): s is string => s !== undefined); }
  val(n: TfNode, i: number): Val {
    const t = this.inputs(n)[i];
    if (t === undefined) return unsupported(`input ${i} is missing`);
    return this.vals.get(t) ?? unsupported(`input "${t}" is not computed by any node`);
  }
  isConst(n: TfNode, i: number): boolean { return this.val(n, i).c !== undefined; }
  /** Constant input i (weights, shapes, axes). */
  c(n: TfNode, i: number, what: string): Const {
    return this.val(n, i).c ?? unsupported(`${what} ("${this.inputs(n)[i]}") must be a constant, not computed from the input`);
  }
  /** Activation input i. */
  x(n: TfNode, i = 0): Act {
    return this.val(n, i).act ?? unsupported(`input ${i} ("${this.inputs(n)[i]}") is a constant; only activations (computed from the model input) are supported there`);
  }

  emit(n: TfNode, layer: Layer, xs: Act[], w: Record<string, Float32Array> = {}, from: Record<string, string> = {}): Act {
    if (layer instanceof MergeLayer) layer.buildMerge(xs.map((a) => a.shape));
    else layer.build(xs[0].shape);
    const spec: Spec = { layer, inputs: xs.map((a) => a.spec), w, node: n.name, from, out: n.name };
    this.specs.push(spec);
    return { spec, shape: layer.outputShape };
  }

  /** The activation with a new per-sample shape (same element order): Flatten, Reshape or nothing. */
  reshape(n: TfNode, x: Act, shape: number[]): Act {
    const size = (s: number[]) => s.reduce((p, q) => p * q, 1);
    if (size(shape) !== size(x.shape) || shape.some((d) => !(Number.isInteger(d) && d > 0))) unsupported(`cannot reshape [N, ${x.shape}] to [N, ${shape}]`);
    if (shape.join() === x.shape.join()) return x;
    return this.emit(n, shape.length === 1 ? new Flatten() : new Reshape({ targetShape: shape }), [x]);
  }

  /** A constant broadcast against [N, ...shape] (TF rules) as one value per channel (last axis). */
  perChannel(c: Const, shape: number[], what: string): Float32Array {
    const C = shape[shape.length - 1], d = c.dims;
    if (d.length > shape.length + 1 || d.slice(0, -1).some((v) => v !== 1) || (d.length && d[d.length - 1] !== 1 && d[d.length - 1] !== C))
      unsupported(`${what} of shape [${d}] is not a scalar or per-channel constant for an input [N, ${shape}]; only those are supported`);
    return Float32Array.from({ length: C }, (_, i) => c.data[c.data.length === 1 ? 0 : i]);
  }

  /**
   * y = x * scale + shift per channel, x = activation input i. Folded into the layer that computes x
   * (Conv2D, DepthwiseConv2D, Dense without activation, BatchNormalization) when nothing else reads
   * x; otherwise a fixed BatchNormalization computing exactly that (see onnx_convert.ts).
   */
  affine(n: TfNode, i: number, scale: Float32Array | null, shift: Float32Array | null): Act {
    const x = this.x(n, i), t = x.spec, l = t?.layer, src = this.inputs(n)[i], C = x.shape[x.shape.length - 1];
    const linear = l instanceof BatchNormalization || ((l instanceof Conv2D || l instanceof Dense) && l.activation === 'linear');
    if (t && l && linear && t.out === src && this.uses.get(src) === 1 && src !== this.outputName) {
      foldAffine(t, C, scale ?? undefined, shift ?? undefined);
      // a bias the fold made (Conv2D / MatMul + BiasAdd or Add) comes from the added constant
      if (shift && t.w.bias && !t.from.bias) { const c = this.inputs(n).find((v, k) => k !== i && v); if (c) t.from.bias = c; }
      t.out = n.name;
      return { spec: t, shape: x.shape };
    }
    const a = affineLayer(scale ?? new Float32Array(C).fill(1), shift ?? new Float32Array(C));
    return this.emit(n, a.layer, [x], a.w);
  }
}
