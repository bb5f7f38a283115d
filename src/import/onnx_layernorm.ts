// Layer normalization in ONNX graphs: the LayerNormalization op (opset 17, torch's nn.LayerNorm
// there) and the decomposition torch writes below opset 17,
//   m = ReduceMean(x, [-1]); d = x - m; v = ReduceMean(d², [-1]); y = d / Sqrt(v + eps)
// (d² as Pow(d, 2) or d · d), which fuseLayerNorm rewrites into one LayerNormalization node. The
// affine part torch writes after it (Mul by the weight, Add of the bias) folds into the layer
// (onnx_convert.ts foldAffine). Every value inside the pattern must be read by the pattern alone;
// anything else is left as it is.
import { AT, OnnxNode } from './onnx_proto.js';
import { Attrs, Const, constantNode } from './onnx_graph.js';
import { Converter, unsupported } from './onnx_convert.js';
import { LayerNormalization } from '../layers/layernorm.js';
import { lastAxisIs, perLastAxis } from './onnx_layout.js';

const scalarOf = (known: Map<string, Const>, v: string): number | undefined => { const c = known.get(v); return c && c.data.length === 1 ? c.data[0] : undefined; };

/** The decomposed layer norms of `input` as LayerNormalization nodes (axis = the reduced axis, epsilon). */
export function fuseLayerNorm(input: OnnxNode[], consts: Map<string, Const>, outputs: string[]): OnnxNode[] {
  const producer = new Map<string, OnnxNode>(), users = new Map<string, OnnxNode[]>(), known = new Map(consts), outSet = new Set(outputs);
  for (const n of input) {
    for (const o of n.output) producer.set(o, n);
    for (const i of n.input) if (i) users.set(i, [...(users.get(i) ?? []), n]);
    if (n.op_type === 'Constant' && n.output[0]) { try { known.set(n.output[0], constantNode(n)); } catch { /* reported by the importer */ } }
  }
  /** The node computing v with op `op`, when only `readers` nodes read v (and it is no graph output). */
  const made = (v: string, op: string, readers = 1): OnnxNode | undefined => {
    const p = producer.get(v);
    return p && p.op_type === op && (users.get(v)?.length ?? 0) === readers && !outSet.has(v) ? p : undefined;
  };
  /** The single reduced axis of a ReduceMean that keeps dims, or undefined. */
  const meanAxis = (n: OnnxNode): number | undefined => {
    const a = new Attrs(n), c = n.input[1] ? known.get(n.input[1]) : undefined;
    const axes = c ? Array.from(c.data) : a.ints('axes', []);
    return axes.length === 1 && a.int('keepdims', 1) === 1 ? axes[0] : undefined;
  };
  const drop = new Set<OnnxNode>(), replace = new Map<OnnxNode, OnnxNode>();
  for (const div of input) {
    if (div.op_type !== 'Div' || div.input.length !== 2) continue;
    const [d, s] = div.input;
    const sqrt = made(s, 'Sqrt'), add = sqrt && made(sqrt.input[0], 'Add');
    if (!add) continue;
    const vi = add.input.findIndex((i) => scalarOf(known, i) === undefined);
    const eps = scalarOf(known, add.input[1 - vi]);
    const rm2 = vi >= 0 && eps !== undefined && eps > 0 ? made(add.input[vi], 'ReduceMean') : undefined;
    const sq = rm2 && (made(rm2.input[0], 'Pow') ?? made(rm2.input[0], 'Mul'));
    if (!rm2 || !sq) continue;
    const squares = sq.op_type === 'Pow' ? sq.input[0] === d && scalarOf(known, sq.input[1]) === 2 : sq.input[0] === d && sq.input[1] === d;
    const sub = made(d, 'Sub', sq.op_type === 'Pow' ? 2 : 3);
    const rm1 = sub && made(sub.input[1], 'ReduceMean');
    if (!squares || !sub || !rm1 || rm1.input[0] !== sub.input[0]) continue;
    const axis = meanAxis(rm1);
    if (axis === undefined || meanAxis(rm2) !== axis) continue;
    const group = [rm1, sub, sq, rm2, add, sqrt];
    if (group.some((g) => drop.has(g) || replace.has(g))) continue;
    group.forEach((g) => drop.add(g));
    const name = rm1.name ? rm1.name.replace(/ReduceMean[^/]*$/, 'LayerNormalization') : '';
    replace.set(div, { ...div, op_type: 'LayerNormalization', name, input: [sub.input[0]], domain: '',
      attribute: [{ name: 'axis', type: AT.INT, i: axis }, { name: 'epsilon', type: AT.FLOAT, f: eps }] });
  }
  return input.filter((n) => !drop.has(n)).map((n) => replace.get(n) ?? n);
}

/** LayerNormalization over the last axis (Scale and B optional: ones and zeros) → an Axon LayerNormalization. */
export function layerNormHandler(cv: Converter, n: OnnxNode, a: Attrs): void {
  const full = cv.act.onnx.length + 1, ax = a.int('axis', -1), p = (ax < 0 ? ax + full : ax) - 1;
  if (p !== cv.act.onnx.length - 1 || !lastAxisIs(cv.act, p)) unsupported(`axis ${ax}: only the normalization of the last axis is supported (an input [N, ${cv.act.onnx}] held as [N, ${cv.act.axon}])`);
  if (n.output.slice(1).some((o) => o && cv.used.get(o))) unsupported('its Mean and InvStdDev outputs are read; only Y is supported');
  const L = cv.act.axon[cv.act.axon.length - 1];
  const vec = (i: number, what: string, fill: number): Float32Array => {
    const c = cv.c(n, i, what, true);
    if (!c) return new Float32Array(L).fill(fill);
    return perLastAxis(cv.broadcast(c, what), L) ?? unsupported(`${what} of shape [${c.dims}] varies along axes other than the normalized one`);
  };
  const weight = vec(1, 'Scale', 1), bias = vec(2, 'B', 0);
  const from: Record<string, string> = {};
  if (n.input[1]) from.weight = n.input[1];
  if (n.input[2]) from.bias = n.input[2];
  cv.emit(new LayerNormalization({ eps: a.float('epsilon', 1e-5) }), { weight, bias }, n, from);
}
