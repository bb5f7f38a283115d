// Graph rewrites that recognise activations exporters spell out in elementary ops (torch 1.13 at
// opsets 13–17, Hugging Face models), each becoming one node the importer maps onto an Axon activation:
//   GELU, erf form   0.5 · x · (1 + Erf(x / √2))                       → Gelu (approximate "none")
//   GELU, tanh form  0.5 · x · (1 + Tanh(√(2/π) · (x + 0.044715 · x³))) → Gelu (approximate "tanh")
//   SiLU / swish     x · Sigmoid(x)                                     → Silu
// The products may come in any order (x · (1 + e) · 0.5, x · 0.5 · (1 + e), x · ((1 + e) · 0.5));
// x / √2 may be x · (1/√2); x³ may be Pow(x, 3), x · x · x or x · (x · x). Every value inside a
// pattern must be read by the pattern alone (x may have other readers); constants are initializers
// or Constant nodes and must match to 1e-6. Anything else is left as it is.
import { AT, OnnxNode } from './onnx_proto.js';
import { Const, constantNode } from './onnx_graph.js';

const near = (v: number | undefined, want: number) => v !== undefined && Math.abs(v - want) <= 1e-6 * Math.max(1, Math.abs(want));

export function fuseActivations(input: OnnxNode[], consts: Map<string, Const>, outputs: string[]): OnnxNode[] {
  const nodes = input.slice(), producer = new Map<string, OnnxNode>(), users = new Map<string, OnnxNode[]>(), known = new Map(consts);
  for (const n of nodes) {
    for (const o of n.output) producer.set(o, n);
    for (const i of n.input) if (i) users.set(i, [...(users.get(i) ?? []), n]);
    if (n.op_type === 'Constant' && n.output[0]) { try { known.set(n.output[0], constantNode(n)); } catch { /* reported by the importer */ } }
  }
  const outSet = new Set(outputs);
  /** A scalar constant's value. */
  const scalar = (v: string) => { const c = known.get(v); return c && c.data.length === 1 && c.float ? c.data[0] : undefined; };
  /** The node computing v with op `op`, when v is read once (by the pattern) and is no graph output. */
  const inner = (v: string | undefined, op: string): OnnxNode | undefined => {
    const p = v === undefined ? undefined : producer.get(v);
    return p && p.op_type === op && users.get(v!)?.length === 1 && !outSet.has(v!) ? p : undefined;
  };
  const only = (v: string, op: string) => { const u = users.get(v); return u && u.length === 1 && !outSet.has(v) && u[0].op_type === op ? u[0] : undefined; };
  /** For a binary node: [the other input, ...] when one input is `a`. */
  const other = (n: OnnxNode, a: string) => (n.input.length !== 2 ? undefined : n.input[0] === a ? n.input[1] : n.input[1] === a ? n.input[0] : undefined);
  /** The scalar-constant operand of a binary node and its other operand. */
  const withConst = (n: OnnxNode | undefined): [number, string] | undefined => {
    if (!n || n.input.length !== 2) return undefined;
    for (const j of [0, 1]) { const c = scalar(n.input[j]); if (c !== undefined && scalar(n.input[1 - j]) === undefined) return [c, n.input[1 - j]]; }
    return undefined;
  };
  const drop = new Set<OnnxNode>(), replace = new Map<OnnxNode, OnnxNode>();
  const rewrite = (group: OnnxNode[], last: OnnxNode, op: string, x: string, approximate?: string) => {
    if (group.some((g) => drop.has(g) || replace.has(g))) return;
    group.forEach((g) => { if (g !== last) drop.add(g); });
    const attribute = approximate ? [{ name: 'approximate', type: AT.STRING, s: new TextEncoder().encode(approximate) }] : [];
    replace.set(last, { ...last, op_type: op, input: [x], attribute, domain: '' });
  };

  /** (1 + e) read by two Muls that make 0.5 · x · it; returns the group and the last node. */
  const halfTimes = (a: OnnxNode, x: string): { group: OnnxNode[]; last: OnnxNode } | undefined => {
    const m1 = only(a.output[0], 'Mul');
    const o1 = m1 && other(m1, a.output[0]);
    if (!m1 || o1 === undefined) return undefined;
    if (o1 === x) {                                              // (x · (1 + e)) · 0.5
      const m2 = only(m1.output[0], 'Mul'), c = withConst(m2);
      return m2 && c && near(c[0], 0.5) && c[1] === m1.output[0] ? { group: [m1, m2], last: m2 } : undefined;
    }
    if (near(scalar(o1), 0.5)) {                                 // x · ((1 + e) · 0.5)
      const m2 = only(m1.output[0], 'Mul');
      return m2 && other(m2, m1.output[0]) === x ? { group: [m1, m2], last: m2 } : undefined;
    }
    const h = inner(o1, 'Mul'), c = withConst(h);                 // (x · 0.5) · (1 + e)
    return h && c && near(c[0], 0.5) && c[1] === x ? { group: [h, m1], last: m1 } : undefined;
  };
  /** 1 + v, v read once. */
  const onePlus = (v: string): OnnxNode | undefined => { const a = only(v, 'Add'), c = withConst(a); return a && c && near(c[0], 1) && c[1] === v ? a : undefined; };
  /** x³ as Pow(x, 3), x · x · x or x · (x · x), for the x given. */
  const cube = (v: string, x: string): OnnxNode[] | undefined => {
    const p = inner(v, 'Pow');
    if (p) return p.input[0] === x && near(scalar(p.input[1]), 3) ? [p] : undefined;
    const m = inner(v, 'Mul'), o = m && other(m, x);
    const sq = o !== undefined ? inner(o, 'Mul') : undefined;
    return m && sq && sq.input[0] === x && sq.input[1] === x ? [m, sq] : undefined;
  };

  for (const n of nodes) {
    if (n.op_type === 'Erf') {
      const d = producer.get(n.input[0]), c = d && (d.op_type === 'Div' || d.op_type === 'Mul') && scalar(d.input[1]);
      if (!d || users.get(d.output[0])?.length !== 1 || !(d.op_type === 'Div' ? near(c as number, Math.SQRT2) : near(c as number, Math.SQRT1_2))) continue;
      const x = d.input[0], a = onePlus(n.output[0]), t = a && halfTimes(a, x);
      if (a && t) rewrite([d, n, a, ...t.group], t.last, 'Gelu', x, 'none');
    } else if (n.op_type === 'Tanh') {
      const k = withConst(inner(n.input[0], 'Mul'));
      if (!k || !near(k[0], Math.sqrt(2 / Math.PI))) continue;
      const s = inner(k[1], 'Add');
      if (!s || s.input.length !== 2) continue;
      for (const j of [0, 1]) {
        const x = s.input[j], cm = inner(s.input[1 - j], 'Mul'), cc = withConst(cm);
        const x3 = cc && near(cc[0], 0.044715) ? cube(cc[1], x) : undefined;
        const a = x3 && onePlus(n.output[0]), t = a && halfTimes(a, x);
        if (x3 && a && t) { rewrite([producer.get(n.input[0])!, s, cm!, ...x3, n, a, ...t.group], t.last, 'Gelu', x, 'tanh'); break; }
      }
    } else if (n.op_type === 'Sigmoid') {
      const m = only(n.output[0], 'Mul');
      if (m && other(m, n.output[0]) === n.input[0]) rewrite([n, m], m, 'Silu', n.input[0]);
    }
  }
  return nodes.filter((n) => !drop.has(n)).map((n) => replace.get(n) ?? n);
}
