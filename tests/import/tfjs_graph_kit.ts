// Builds TensorFlow.js graph models (GraphDef JSON as tensorflowjs_converter writes it, plus weight
// data) in JS for the graph-import tests, and runs them with the real reference: tfjs-converter's
// loadGraphModel on tfjs's CPU backend (through a custom IOHandler, no network).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import type { TfjsGraphJson } from '../../src/import/tfjs_graph.js';
import type { TfAttr, TfNode } from '../../src/import/tfjs_graph_nodes.js';
import type { TfjsWeightSpec } from '../../src/import/tfjs_weights.js';
import { randn } from '../helpers.js';

/** Attribute values in the GraphDef JSON form. */
export const A = {
  s: (v: string): TfAttr => ({ s: btoa(v) }),
  i: (v: number): TfAttr => ({ i: String(v) }),
  f: (v: number): TfAttr => ({ f: v }),
  b: (v: boolean): TfAttr => ({ b: v }),
  ints: (v: number[]): TfAttr => ({ list: { i: v.map(String) } }),
  strs: (v: string[]): TfAttr => ({ list: { s: v.map((x) => btoa(x)) } }),
  T: { type: 'DT_FLOAT' } as TfAttr,
};
const shape = (dims: number[]) => ({ dim: dims.map((d) => ({ size: String(d) })) });

export class GraphBuilder {
  readonly nodes: TfNode[] = [];
  readonly specs: TfjsWeightSpec[] = [];
  private parts: Uint8Array[] = [];
  private seed = 1;

  input(name: string, dims: number[]): string {
    this.nodes.push({ name, op: 'Placeholder', attr: { shape: { shape: shape(dims) }, dtype: { type: 'DT_FLOAT' } } });
    return name;
  }
  /** A Const whose value is in the weights (float32 or int32). */
  const(name: string, dims: number[], values: ArrayLike<number>, dtype: 'float32' | 'int32' = 'float32'): string {
    const t = dtype === 'float32' ? 'DT_FLOAT' : 'DT_INT32';
    this.nodes.push({ name, op: 'Const', attr: { value: { tensor: { dtype: t, tensorShape: shape(dims) } }, dtype: { type: t } } });
    this.specs.push({ name, shape: dims, dtype });
    this.parts.push(new Uint8Array((dtype === 'float32' ? Float32Array.from(values) : Int32Array.from(values)).buffer));
    return name;
  }
  /** A float Const of random values (positive ones for variances and scales). */
  rand(name: string, dims: number[], scale = 0.5, positive = false): string {
    const v = randn(dims.reduce((a, b) => a * b, 1), this.seed++, scale);
    return this.const(name, dims, positive ? v.map((x) => 0.5 + Math.abs(x)) : v);
  }
  ints(name: string, values: number[]): string { return this.const(name, [values.length], values, 'int32'); }
  scalarInt(name: string, v: number): string { return this.const(name, [], [v], 'int32'); }
  op(name: string, op: string, input: string[], attr: Record<string, TfAttr> = {}): string {
    this.nodes.push({ name, op, input, attr: { T: A.T, ...attr } });
    return name;
  }
  /** Conv attributes: NHWC strides/dilations and padding. */
  static conv(stride = 1, padding = 'SAME', dil = 1): Record<string, TfAttr> {
    return { strides: A.ints([1, stride, stride, 1]), dilations: A.ints([1, dil, dil, 1]), padding: A.s(padding), data_format: A.s('NHWC') };
  }
  static fused(ops: string[], numArgs = 1, extra: Record<string, TfAttr> = {}): Record<string, TfAttr> {
    return { fused_ops: A.strs(ops), num_args: A.i(numArgs), epsilon: A.f(0), ...extra };
  }
  json(): TfjsGraphJson & { weightSpecs: TfjsWeightSpec[]; weightData: ArrayBuffer } {
    const data = new Uint8Array(this.parts.reduce((s, p) => s + p.length, 0));
    this.parts.reduce((o, p) => (data.set(p, o), o + p.length), 0);
    return { format: 'graph-model', modelTopology: { node: this.nodes, library: {}, versions: { producer: 1395 } }, weightSpecs: this.specs, weightData: data.buffer };
  }
}

/** tfjs-converter's GraphModel on the CPU backend: the output `out` for x of shape dims. */
export async function tfjsRun(g: TfjsGraphJson & { weightSpecs: TfjsWeightSpec[]; weightData: ArrayBuffer }, x: Float32Array, dims: number[], out: string): Promise<Float32Array> {
  await tf.setBackend('cpu');
  const m = await loadGraphModel({ load: async () => ({ format: 'graph-model', modelTopology: g.modelTopology as object, weightSpecs: g.weightSpecs as tf.io.WeightsManifestEntry[], weightData: g.weightData }) });
  const y = m.execute(tf.tensor(x, dims), out) as tf.Tensor;
  const v = y.dataSync() as Float32Array;
  tf.dispose(y);
  m.dispose();
  return v;
}
