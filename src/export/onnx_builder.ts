// A small ONNX graph builder over the protobufjs schema (src/import/onnx_proto.ts): initializers,
// nodes with typed attributes, inputs and outputs. Used by the exporter and by tests that
// build models for onnxruntime.
import { AT, DT, encodeOnnx, floatTensor, int64Tensor, OnnxAttribute, OnnxNode, OnnxTensor } from '../import/onnx_proto.js';

/** A float attribute (plain numbers are ints). */
export const af = (f: number) => ({ f });
export type AttrValue = number | number[] | string | { f: number } | { floats: number[] };

function attribute(name: string, v: AttrValue): OnnxAttribute {
  if (typeof v === 'string') return { name, type: AT.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === 'number') return { name, type: AT.INT, i: v };
  if (Array.isArray(v)) return { name, type: AT.INTS, ints: v };
  if ('floats' in v) return { name, type: AT.FLOATS, floats: v.floats };
  return { name, type: AT.FLOAT, f: v.f };
}

export class OnnxBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly inits: OnnxTensor[] = [];
  private k = 0;
  constructor(readonly name = 'axon') {}

  /** A float initializer; returns its name. */
  init(name: string, dims: number[], data: ArrayLike<number>): string { this.inits.push(floatTensor(name, dims, data)); return name; }
  /** An int64 initializer (shapes, axes, pads). */
  ints(name: string, data: number[]): string { this.inits.push(int64Tensor(name, [data.length], data)); return name; }
  /** Appends a node; returns its (first) output name. */
  node(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, opts: { name?: string; outputs?: string[] } = {}): string {
    let name = opts.name ?? `${op.toLowerCase()}_${++this.k}`;
    // node names are unique (onnxruntime refuses repeats): a repeated name (an exporter's `${layer}/flatten` beside a layer so named) gets `_2`, …
    for (let k = 2, base = name; name && this.nodes.some((n) => n.name === name); k++) name = `${base}_${k}`;
    const output = opts.outputs ?? [name];
    this.nodes.push({ op_type: op, name, input: inputs, output, attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) });
    return output[0];
  }
  /** The model bytes: one float input (dims; strings are symbolic, e.g. 'N'), the given output. */
  build(input: { name: string; dims: (number | string)[] }, output: string, opts: { opset?: number; producer?: string; doc?: string } = {}): Promise<Uint8Array> {
    return this.buildIO([{ ...input, elem: DT.FLOAT }], [output], opts);
  }
  /** The model bytes with several inputs (element type `elem`: DT.FLOAT, DT.INT64, …) and float outputs. */
  buildIO(inputs: Array<{ name: string; dims: (number | string)[]; elem: number }>, outputs: string[], opts: { opset?: number; producer?: string; doc?: string } = {}): Promise<Uint8Array> {
    const dim = (dims: (number | string)[]) => dims.map((d) => (typeof d === 'string' ? { dim_param: d } : { dim_value: d }));
    return encodeOnnx({
      ir_version: 8, producer_name: opts.producer ?? 'axon', opset_import: [{ domain: '', version: opts.opset ?? 13 }], doc_string: opts.doc,
      graph: {
        name: this.name, node: this.nodes, initializer: this.inits,
        input: inputs.map((i) => ({ name: i.name, type: { tensor_type: { elem_type: i.elem, shape: { dim: dim(i.dims) } } } })),
        output: outputs.map((name) => ({ name, type: { tensor_type: { elem_type: DT.FLOAT } } })),
      },
    });
  }
}
