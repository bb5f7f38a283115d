// Graph rewrites that turn the quantized patterns onnxruntime's quantizer writes into single nodes
// the importer maps onto int8 layers (onnx_quant.ts), plus the checks that name what cannot be taken:
//   QDQ        DQ(x) → Conv / MatMul / Gemm (weights DQ(int8/uint8 constant)) [→ Relu / Clip(0, 6)] → Q
//                → QLinearConv / QLinearMatMul / QGemm (fused activation in `axon_activation`);
//              DQ(a) + DQ(b) (non-constant) [→ Relu / Clip(0, 6)] → Q → QLinearAdd (fused activation too);
//              DQ(x) → MaxPool / Reshape / Flatten / Squeeze / Unsqueeze / Transpose → Q with the same
//                scale and zero point → that op on the quantized tensor (exact: the op commutes with
//                the affine, increasing dequantization);
//   dynamic    DynamicQuantizeLinear(x) → MatMulInteger / ConvInteger(xq, W, x_zp, w_zp) → Cast(float)
//                → Mul(·, Mul(x_scale, w_scale)) [→ Add(bias)] → DynamicQuantizeMatMul(x, W, w_scale,
//                w_zp, bias) (com.microsoft's signature) / DynamicQuantizeConv(x, W, w_scale, w_zp).
//   torch      torch.ao.quantization's export: QuantizeLinear → Cast (to the type it has) → DequantizeLinear,
//              parameters and int8 / int32 weights in Constant nodes: the Cast is dropped, then as QDQ.
// Whatever does not match stays as it is: QuantizeLinear / DequantizeLinear on activations then run as
// Axon Quantize / Dequantize layers around f32 layers (exact ONNX semantics, slower).
import { own } from '../format/validate.js';
import { AT, DT, OnnxNode } from './onnx_proto.js';
import { Attrs, Const, constantNode, nodeLabel } from './onnx_graph.js';

/** com.microsoft ops the importer takes (their domain is dropped here). */
const MS_OPS = new Set(['QGemm', 'DynamicQuantizeMatMul', 'QLinearAdd']);
/** Inputs that are quantization parameters and must be constants. */
const QPARAMS: Record<string, number[]> = {
  QuantizeLinear: [1, 2], DequantizeLinear: [1, 2], QLinearConv: [1, 2, 4, 5, 6, 7], QLinearMatMul: [1, 2, 4, 5, 6, 7], QGemm: [1, 2, 4, 5, 7, 8], QLinearAdd: [1, 2, 4, 5, 6, 7],
  DynamicQuantizeMatMul: [2, 3],
};
const MOVE_OPS = new Set(['MaxPool', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Transpose']);
const COMPUTE: Record<string, string> = { Conv: 'QLinearConv', MatMul: 'QLinearMatMul', Gemm: 'QGemm' };

const same = (a: Const | undefined, b: Const | undefined) => !!a && !!b && a.dims.join() === b.dims.join() && a.data.every((v, i) => v === b.data[i]);

export function fuseQuant(input: OnnxNode[], consts: Map<string, Const>, outputs: string[]): { nodes: OnnxNode[]; problems: string[] } {
  const known = new Map(consts);   // initializers and Constant nodes (torch writes quantization parameters as Constants)
  for (const n of input) if (n.op_type === 'Constant' && n.output[0]) { try { known.set(n.output[0], constantNode(n)); } catch { /* reported by the importer */ } }
  const nodes = dropIntegerCasts(input.map((n) => (n.domain === 'com.microsoft' && MS_OPS.has(n.op_type) ? { ...n, domain: '' } : n)), known, new Set(outputs));
  const producer = new Map<string, OnnxNode>(), users = new Map<string, OnnxNode[]>(), isConst = new Set(consts.keys());
  for (const n of nodes) {
    for (const o of n.output) producer.set(o, n);
    for (const i of n.input) if (i) users.set(i, [...(users.get(i) ?? []), n]);
    if (n.op_type === 'Constant' || n.input.every((i) => !i || isConst.has(i))) n.output.forEach((o) => isConst.add(o));
  }
  const outSet = new Set(outputs);
  /** The single node reading v (undefined when v is a graph output or read by several nodes). */
  const only = (v: string | undefined, op?: string): OnnxNode | undefined => {
    const u = v === undefined ? undefined : users.get(v);
    return u && u.length === 1 && !outSet.has(v!) && (!op || u[0].op_type === op) ? u[0] : undefined;
  };
  const prod = (v: string, op: string) => { const p = producer.get(v); return p?.op_type === op ? p : undefined; };
  const val = (v: string | undefined) => (v ? known.get(v) : undefined);
  const sameParams = (d: OnnxNode, q: OnnxNode) => [1, 2].every((i) => (d.input[i] ?? '') === (q.input[i] ?? '') || same(val(d.input[i]), val(q.input[i])));
  const dropped = new Set<OnnxNode>(), replace = new Map<OnnxNode, OnnxNode>();
  const rewrite = (group: OnnxNode[], n: OnnxNode) => {
    if (group.some((g) => dropped.has(g))) return;
    group.forEach((g) => dropped.add(g));
    replace.set(group[group.length - 1], n);
  };
  /** The activation fused by Relu / Clip between a layer and its Q, or undefined when it is not one. */
  const fusable = (n: OnnxNode): string | undefined => {
    if (n.op_type === 'Relu') return 'relu';
    if (n.op_type !== 'Clip') return undefined;
    const a = new Attrs(n), lo = n.input[1] ? val(n.input[1])?.data[0] : a.float('min', -Infinity), hi = n.input[2] ? val(n.input[2])?.data[0] : a.float('max', Infinity);
    return lo === 0 && hi === 6 ? 'relu6' : lo === 0 && hi === Infinity ? 'relu' : undefined;
  };

  for (const n of nodes) {
    // dynamic quantization
    if (n.op_type === 'DynamicQuantizeLinear' && !isConst.has(n.input[0])) {
      const [xq, xs, xz] = n.output, m = only(xq), sm = only(xs, 'Mul');
      if (!m || (m.op_type !== 'MatMulInteger' && m.op_type !== 'ConvInteger') || m.input[0] !== xq || m.input[2] !== xz || !isConst.has(m.input[1]) || (m.input[3] && !isConst.has(m.input[3]))) continue;
      if ((users.get(xz) ?? []).length !== 1 || !sm) continue;
      const ws = sm.input.find((i) => i !== xs), cast = only(m.output[0], 'Cast'), om = cast && only(cast.output[0], 'Mul');
      if (!ws || !isConst.has(ws) || !cast || new Attrs(cast).int('to', 1) !== 1 || !om || !om.input.includes(sm.output[0]) || only(sm.output[0]) !== om) continue;
      const group = [n, m, sm, cast, om];
      let bias: string | undefined;
      const add = m.op_type === 'MatMulInteger' ? only(om.output[0], 'Add') : undefined, b = add?.input.find((i) => i !== om.output[0]);
      const W = val(m.input[1]), B = val(b);
      if (add && b && B && W && W.dims.length === 2 && B.data.length === W.dims[1] && B.dims.length <= 2) { group.push(add); bias = b; }
      const op = m.op_type === 'MatMulInteger' ? 'DynamicQuantizeMatMul' : 'DynamicQuantizeConv';
      rewrite(group, { ...m, op_type: op, input: [n.input[0], m.input[1], ws, m.input[3] ?? '', ...(bias ? [bias] : [])], output: [group[group.length - 1].output[0]] });
      continue;
    }
    // QDQ add: DQ(a) + DQ(b) [→ activation] → Q; a DQ read by this Add alone goes with it, a shared one stays
    if (n.op_type === 'Add') {
      const [da, db] = n.input.map((v) => prod(v, 'DequantizeLinear'));
      if (n.input.length !== 2 || !da || !db || isConst.has(da.input[0]) || isConst.has(db.input[0])) continue;
      let last = only(n.output[0]);
      const act = last && fusable(last), group = [n];
      if (act) { group.push(last!); last = only(last!.output[0]); }
      if (last?.op_type !== 'QuantizeLinear') continue;
      const dqs = [...new Set([da, db])].filter((d) => !outSet.has(d.output[0]) && users.get(d.output[0])!.every((u) => u === n));
      rewrite([...dqs, ...group, last], { ...n, op_type: 'QLinearAdd', output: [last.output[0]],
        input: [da.input[0], da.input[1], da.input[2] ?? '', db.input[0], db.input[1], db.input[2] ?? '', last.input[1], last.input[2] ?? ''],
        attribute: act ? [{ name: 'axon_activation', type: AT.STRING, s: new TextEncoder().encode(act) }] : [] });
      continue;
    }
    const d = prod(n.input[0] ?? '', 'DequantizeLinear');
    if (!d || isConst.has(d.input[0]) || only(d.output[0]) !== n || n.output.slice(1).some((o) => o && users.has(o))) continue;
    // QDQ data movement
    if (MOVE_OPS.has(n.op_type)) {
      const q = only(n.output[0], 'QuantizeLinear');
      if (q && sameParams(d, q)) rewrite([d, n, q], { ...n, input: [d.input[0], ...n.input.slice(1)], output: [q.output[0]] });
      continue;
    }
    // QDQ compute: DQ → layer [→ activation] → Q
    if (!(n.op_type in COMPUTE)) continue;
    const wd = prod(n.input[1] ?? '', 'DequantizeLinear'), a = new Attrs(n);
    if (!wd || !wd.input.every((i) => !i || isConst.has(i))) continue;
    const wdims = val(wd.input[0])?.dims ?? [], wr = wdims.length, ws = val(wd.input[1]);
    const outAxis = n.op_type === 'Conv' ? 0 : n.op_type === 'MatMul' ? 1 : a.int('transB', 0) ? 0 : 1;
    if (ws && ws.data.length > 1 && wr && (new Attrs(wd).int('axis', 1) + wr) % wr !== outAxis) continue;
    if (n.op_type === 'Gemm' && (a.int('transA', 0) || (n.input[2] && a.float('beta', 1) !== 1))) continue;
    let last = only(n.output[0]);
    const act = last && fusable(last), group = [d, n];
    if (act) { group.push(last!); last = only(last!.output[0]); }
    if (last?.op_type !== 'QuantizeLinear') continue;
    group.push(last);
    const attribute = [...(n.attribute ?? []), ...(act ? [{ name: 'axon_activation', type: AT.STRING, s: new TextEncoder().encode(act) }] : [])];
    const x = [d.input[0], d.input[1], d.input[2] ?? ''], w = [wd.input[0], wd.input[1], wd.input[2] ?? ''], y = [last.input[1], last.input[2] ?? ''], b = n.input[2] ?? '';
    const ins = n.op_type === 'Conv' ? [...x, ...w, ...y, b] : n.op_type === 'MatMul' ? [...x, ...w, ...y] : [...x, ...w, b, ...y];
    rewrite(group, { ...n, op_type: COMPUTE[n.op_type], input: ins, output: [last.output[0]], attribute });
  }

  const out = nodes.filter((n) => !dropped.has(n) || replace.has(n)).map((n) => replace.get(n) ?? n);
  return { nodes: out, problems: quantProblems(out, isConst) };
}

/**
 * Drops a Cast of a QuantizeLinear output to the type it already has (torch.ao.quantization's
 * export writes QuantizeLinear → Cast(uint8) → DequantizeLinear): its readers read the QuantizeLinear.
 */
function dropIntegerCasts(nodes: OnnxNode[], known: Map<string, Const>, outputs: Set<string>): OnnxNode[] {
  const qtype = new Map<string, number>();
  for (const n of nodes) if (n.op_type === 'QuantizeLinear') qtype.set(n.output[0], (n.input[2] && known.get(n.input[2])?.dtype) || DT.UINT8);
  const alias = new Map<string, string>();
  const kept = nodes.filter((n) => {
    const t = n.op_type === 'Cast' ? qtype.get(alias.get(n.input[0]) ?? n.input[0]) : undefined;
    if (t === undefined || new Attrs(n).int('to', 0) !== t || outputs.has(n.output[0])) return true;
    alias.set(n.output[0], alias.get(n.input[0]) ?? n.input[0]);
    return false;
  });
  return alias.size ? kept.map((n) => (n.input.some((i) => alias.has(i)) ? { ...n, input: n.input.map((i) => alias.get(i) ?? i) } : n)) : kept;
}

/** Quantization nodes whose parameters are computed at run time, and dynamic-quantization leftovers. */
function quantProblems(nodes: OnnxNode[], isConst: Set<string>): string[] {
  const p: string[] = [];
  for (const n of nodes) {
    for (const i of own(QPARAMS, n.op_type) ?? []) {
      const v = n.input[i];
      if (v && !isConst.has(v)) p.push(`${nodeLabel(n)}: its quantization parameter "${v}" (input ${i}) is computed at run time; scales and zero points must be constants (initializers)`);
    }
    if (['DynamicQuantizeLinear', 'MatMulInteger', 'ConvInteger'].includes(n.op_type))
      p.push(`${nodeLabel(n)}: only the dynamic quantization onnxruntime's quantize_dynamic writes is supported: DynamicQuantizeLinear → MatMulInteger / ConvInteger → Cast → Mul by (x_scale · w_scale), each value read once`);
  }
  return p;
}
