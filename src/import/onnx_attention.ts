// Scaled dot-product attention in ONNX graphs, as torch.onnx.export writes nn.MultiheadAttention
// (inside nn.TransformerEncoderLayer too) and BERT-style self-attention: found around each Softmax
// whose input is a product of two activations and whose output multiplies a third, then checked
// and measured by onnx_attention_trace.ts, and rewritten into one AxonAttention node reading the
// attention input X (batch, steps, features) and the int mask graph input, if any. The node becomes
// Axon's MultiHeadAttention (its mask input: 1 = token, 0 = padding). Self-attention only: the query,
// key and value must project the same X. The region: the scores / context chains, the query, key
// and value chains back to their projections (MatMul or Gemm with constant weights, bias Adds) and X,
// the output chain through the output projection, and the constant and mask arithmetic feeding
// them (Shape → Gather → Concat → Reshape, Unsqueeze / Cast / Sub / Mul / Where / Expand of the mask).
import { AxonError } from '../errors.js';
import { toNum, type OnnxNode, type OnnxValueInfo } from './onnx_proto.js';
import { Const, constantNode, nodeLabel } from './onnx_graph.js';
import { MultiHeadAttention } from '../layers/attention.js';
import { isIdentity } from './onnx_layout.js';
import { Converter, unsupported, ValueState } from './onnx_convert.js';
import { AttentionSpec, Region, TRACE_OPS, traceAttention } from './onnx_attention_trace.js';

/** The op of a rewritten attention. */
export const ATTENTION_OP = 'AxonAttention';
const SPECS = new WeakMap<OnnxNode, AttentionSpec>();

/** Graph inputs as the finder needs them: name, int-typed, fixed batch and sequence length (when the graph fixes them). */
export interface FinderInput { name: string; int: boolean; batch?: number; seq?: number }

/** The finder's view of graph inputs (batch first; the sequence: axis 1 of int (N, T) ids / masks and of float (N, T, D) inputs). */
export function finderInputs(vis: OnnxValueInfo[]): FinderInput[] {
  return vis.map((vi) => {
    const tt = vi.type?.tensor_type, dims = (tt?.shape?.dim ?? []).map((d) => (d.dim_value !== undefined && toNum(d.dim_value) > 0 ? toNum(d.dim_value) : undefined));
    const int = tt?.elem_type === 6 || tt?.elem_type === 7, seqAxis = (int && dims.length === 2) || (!int && dims.length === 3);
    return { name: vi.name, int, ...(dims[0] !== undefined ? { batch: dims[0] } : {}), ...(seqAxis && dims[1] !== undefined ? { seq: dims[1] } : {}) };
  });
}

const WALK = /* @__PURE__ */ new Set(['Identity', 'Dropout', 'Cast']);
/** Ops through which a value computed from an int input stays mask arithmetic (a Gather in a table makes embeddings instead). */
const MASK_OPS = /* @__PURE__ */ new Set(['Identity', 'Cast', 'Unsqueeze', 'Squeeze', 'Reshape', 'Transpose', 'Expand', 'Slice', 'Concat', 'Where', 'Equal', 'Not', 'And', 'Or',
  'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'Neg', 'Add', 'Sub', 'Mul', 'Div', 'ConstantOfShape']);
const X_LAYOUT = /* @__PURE__ */ new Set(['Transpose', 'Identity']);

/**
 * Rewrites every attention of `input` into an AxonAttention node; `problems`: attentions found
 * but not importable (one line each, naming the Softmax and why).
 */
export function fuseAttention(input: OnnxNode[], consts: Map<string, Const>, graphInputs: FinderInput[], outputs: string[]): { nodes: OnnxNode[]; problems: string[] } {
  const producer = new Map<string, OnnxNode>(), users = new Map<string, OnnxNode[]>(), known = new Map(consts), order = new Map<OnnxNode, number>();
  input.forEach((n, i) => {
    order.set(n, i);
    for (const o of n.output) producer.set(o, n);
    for (const x of n.input) if (x) users.set(x, [...(users.get(x) ?? []), n]);
    if (n.op_type === 'Constant' && n.output[0]) { try { known.set(n.output[0], constantNode(n)); } catch { /* reported by the importer */ } }
  });
  if (!input.some((n) => n.op_type === 'Softmax')) return { nodes: input, problems: [] };
  // every walk below follows producers backwards and readers forwards: it ends only on a graph in topological order (the importer reports one that is not)
  if (input.some((n, i) => n.input.some((x) => x && producer.has(x) && order.get(producer.get(x)!)! >= i))) return { nodes: input, problems: [] };
  // constant-like values (initializers, Constant / Shape outputs and what only they compute) and mask-like ones (computed from int graph inputs)
  const constLike = new Set(consts.keys()), maskLike = new Set(graphInputs.filter((g) => g.int).map((g) => g.name)), outSet = new Set(outputs);
  for (const n of input) {
    const ins = n.input.filter((x) => x);
    if (n.op_type === 'Constant' || n.op_type === 'Shape' || ins.every((x) => constLike.has(x))) n.output.forEach((o) => constLike.add(o));
    else if (MASK_OPS.has(n.op_type) && ins.every((x) => constLike.has(x) || maskLike.has(x))) n.output.forEach((o) => maskLike.add(o));
  }
  const act = (x: string) => !!x && !constLike.has(x) && !maskLike.has(x);
  const acts = (n: OnnxNode) => n.input.filter(act);
  const readers = (x: string) => (users.get(x) ?? []).filter((u) => u.op_type !== 'Shape');
  const problems: string[] = [], taken = new Set<OnnxNode>(), rewrites: Array<{ region: Set<OnnxNode>; chain: Set<OnnxNode>; node: OnnxNode; at: OnnxNode }> = [];
  const fixedN = graphInputs.find((g) => g.batch !== undefined)?.batch, fixedT = graphInputs.find((g) => g.seq !== undefined)?.seq;

  for (const s of input) {
    if (s.op_type !== 'Softmax' || !act(s.input[0])) continue;
    const chain = new Set<OnnxNode>([s]);
    // scores: back through scale, mask and pass-through ops to the product of two activations
    let cur = s.input[0], A: OnnxNode | undefined;
    for (let p = producer.get(cur); p; p = producer.get(cur)) {
      if (p.op_type === 'MatMul' && acts(p).length === 2) { A = p; break; }
      if (acts(p).length !== 1 || !(WALK.has(p.op_type) || ['Add', 'Sub', 'Mul', 'Div'].includes(p.op_type))) break;
      chain.add(p); cur = acts(p)[0];
    }
    // the context: the probabilities times a third activation
    let pv = s.output[0], C: OnnxNode | undefined;
    for (let u = readers(pv); u.length === 1 && !outSet.has(pv); u = readers(pv)) {
      if (u[0].op_type === 'MatMul' && u[0].input[0] === pv && act(u[0].input[1])) { C = u[0]; break; }
      if (!WALK.has(u[0].op_type)) break;
      chain.add(u[0]); pv = u[0].output[0];
    }
    const where = `${nodeLabel(s)}: attention`;
    if (A && !C && (outSet.has(pv) || readers(pv).length > 1)) { problems.push(`${where}: the attention weights ("${pv}") are read elsewhere (a graph output?); export without them (need_weights=False)`); continue; }
    if (!A || !C) continue;
    let D = 0;
    const back = (v: string): string | undefined => {   // query / key / value chain → X
      let p = producer.get(v);
      for (; p && !(p.op_type === 'MatMul' || p.op_type === 'Gemm'); p = producer.get(acts(p)[0])) {
        if (!TRACE_OPS.has(p.op_type) || acts(p).length !== 1) return undefined;
        chain.add(p);
      }
      if (!p || acts(p).length !== 1 || p.input[0] !== acts(p)[0]) return undefined;
      chain.add(p);
      D = D || weightRows(known, p);
      let x = p.input[0];
      for (let q = producer.get(x); q && X_LAYOUT.has(q.op_type) && acts(q).length === 1; q = producer.get(x)) { chain.add(q); x = acts(q)[0]; }
      return x;
    };
    chain.add(A); chain.add(C);
    const xs = [back(A.input[0]), back(A.input[1]), back(C.input[1])];
    if (xs.some((x) => x === undefined)) { problems.push(`${where}: the query, key or value does not come from a projection (MatMul or Gemm by a constant) of the input`); continue; }
    if (new Set(xs).size !== 1) { problems.push(`${where}: keys or values from another sequence than the queries (cross-attention) are not supported; only self-attention`); continue; }
    // the output chain: through layout ops, the output projection and its bias, while one node reads on
    let last = C.output[0], projected = false;
    for (let u = readers(last); u.length === 1 && !outSet.has(last) && acts(u[0]).length === 1 && u[0].input.includes(last); u = readers(last)) {
      const op = u[0].op_type;
      if (op === 'MatMul' || op === 'Gemm') { if (projected || u[0].input[0] !== last) break; projected = true; } else if (!TRACE_OPS.has(op) || op === 'Softmax') break;
      chain.add(u[0]); last = u[0].output[0];
    }
    if (!projected) { problems.push(`${where}: the context does not go through an output projection (MatMul or Gemm by a constant)`); continue; }
    // side branches whose values only feed Shape (torch reads k.size(1) off a transposed copy of the keys)
    const sideOnly = (u: OnnxNode): boolean => TRACE_OPS.has(u.op_type) && acts(u).length === 1 && u.output.every((o) => !outSet.has(o) && (users.get(o) ?? []).every((w) => w.op_type === 'Shape' || sideOnly(w)));
    const addSide = (u: OnnxNode): void => { chain.add(u); u.output.forEach((o) => (users.get(o) ?? []).forEach((w) => { if (w.op_type !== 'Shape') addSide(w); })); };
    for (const c of [...chain]) for (const o of c.output) for (const u of users.get(o) ?? []) if (!chain.has(u) && u.op_type !== 'Shape' && o !== last && sideOnly(u)) addSide(u);
    // the constant and mask arithmetic feeding the chains
    const region = new Set(chain), stack = [...chain];
    while (stack.length) for (const x of stack.pop()!.input) {
      const p = x ? producer.get(x) : undefined;
      if (p && !region.has(p) && !act(x)) { region.add(p); stack.push(p); }
    }
    const masks = [...region].filter((n) => n.op_type !== 'Shape').flatMap((n) => n.input).filter((x) => graphInputs.some((g) => g.int && g.name === x));
    if (new Set(masks).size > 1) { problems.push(`${where}: the mask is computed from several inputs (${[...new Set(masks)].join(', ')})`); continue; }
    if ([...chain].some((n) => taken.has(n))) { problems.push(`${where}: overlaps another attention`); continue; }
    const leak = [...chain].flatMap((n) => n.output).find((o) => o !== last && (outSet.has(o) || (users.get(o) ?? []).some((u) => !region.has(u))));
    if (leak) { problems.push(`${where}: "${leak}" inside the attention is read elsewhere (e.g. the attention weights are an output); export without it`); continue; }
    const r: Region = { nodes: [...region].sort((p, q) => order.get(p)! - order.get(q)!), x: xs[0]!, D, ...(masks.length ? { mask: masks[0] } : {}), last };
    let spec: AttentionSpec;
    try { spec = measure(r, known, fixedN, fixedT); } catch (e) {
      if (!(e instanceof AxonError)) throw e;
      problems.push(`${where} not importable: ${e.message}`);
      continue;
    }
    // output-chain nodes after the exit stay in the graph
    const exitNode = producer.get(spec.exit)!;
    for (let n = producer.get(last); n && n !== exitNode; n = producer.get(acts(n)[0])) { chain.delete(n); region.delete(n); }
    chain.forEach((n) => taken.add(n));
    const node: OnnxNode = { op_type: ATTENTION_OP, name: `${commonScope([...chain].map((n) => n.name ?? '')) ?? `${s.name || s.output[0]}/`}MultiHeadAttention`, input: [r.x, ...(spec.mask ? [spec.mask] : [])], output: [spec.exit], attribute: [], domain: '' };
    SPECS.set(node, spec);
    rewrites.push({ region, chain, node, at: exitNode });
  }
  if (!rewrites.length) return { nodes: input, problems };
  // the chains go; their feeders go where nothing else reads them any more
  const gone = new Set(rewrites.flatMap((w) => [...w.chain])), at = new Map(rewrites.map((w) => [w.at, w.node]));
  let nodes = input.flatMap((n) => (at.has(n) ? [at.get(n)!] : gone.has(n) ? [] : [n]));
  const feeders = new Set(rewrites.flatMap((w) => [...w.region].filter((n) => !w.chain.has(n))));
  for (let changed = true; changed;) {
    const read = new Set([...nodes.flatMap((n) => n.input), ...outputs]);
    const next = nodes.filter((n) => !feeders.has(n) || n.output.some((o) => read.has(o)));
    changed = next.length !== nodes.length;
    nodes = next;
  }
  return { nodes, problems };
}

/** The scope torch gives the nodes ('/layers.0/' of '/layers.0/query/MatMul', '/layers.0/Softmax'), or undefined. */
function commonScope(names: string[]): string | undefined {
  if (!names.length || !names.every((x) => x.startsWith('/'))) return undefined;
  const parts = names.map((x) => x.split('/').slice(0, -1));
  let k = 0;
  while (parts.every((p) => k < p.length && p[k] === parts[0][k])) k++;
  return k > 1 ? `${parts[0].slice(0, k).join('/')}/` : undefined;
}

/** The input width of a projection node (its constant weight's rows; Gemm with transB: columns). */
function weightRows(known: Map<string, Const>, p: OnnxNode): number {
  const W = known.get(p.input[1]);
  if (!W || W.dims.length !== 2) return 0;
  const transB = p.op_type === 'Gemm' && (p.attribute ?? []).some((a) => a.name === 'transB' && Number(a.i) === 1);
  return transB ? W.dims[1] : W.dims[0];
}

/** The trace at two (batch, length) pairs (the graph's fixed sizes where it has them): both must agree. */
function measure(r: Region, known: Map<string, Const>, N?: number, T?: number): AttentionSpec {
  if (!r.D) throw new AxonError('UNSUPPORTED', 'the projections\' weights must be 2-D constants');
  // (the trace works at the graph's fixed sizes; its cost grows with N·T²)
  if ((N ?? 1) > 64 || (T ?? 1) > 2048 || (N ?? 1) * (T ?? 1) > 1 << 16) throw new AxonError('UNSUPPORTED', `the graph fixes the batch and sequence at ${N ?? 'N'} × ${T ?? 'T'}, too large to check the attention at; export with dynamic axes`);
  const a = traceAttention(r, known, N ?? 2, T ?? 5);
  if (N !== undefined && T !== undefined) return a;
  const b = traceAttention(r, known, N ?? 3, T ?? 7);
  const same = a.heads === b.heads && a.dh === b.dh && a.exit === b.exit && a.mask === b.mask && Object.entries(a.weights).every(([k, w]) => w.every((x, i) => Object.is(x, b.weights[k][i])));
  if (!same) throw new AxonError('UNSUPPORTED', 'its heads or weights depend on the batch size or the sequence length');
  return a;
}

/** Converter handler: X (batch, steps, features) [and the mask input] → MultiHeadAttention. */
export function attentionNode(cv: Converter, n: OnnxNode, ins: ValueState[]): void {
  const spec = SPECS.get(n) ?? unsupported('an attention node the importer did not make');
  const [x, m] = ins;
  if (x.batchAxis !== 0 || x.act.onnx.length !== 2 || x.act.onnx[1] !== spec.D || !isIdentity(x.act.order) || x.act.axon.join() !== x.act.onnx.join())
    unsupported(`its input must be a (batch, steps, ${spec.D}) sequence held in the ONNX order, got [N, ${x.act.onnx}]`);
  if (spec.mask && (!m || !m.int || m.cur >= 0 || m.act.onnx.join() !== String(x.act.onnx[0])))
    unsupported(`its mask must be the graph's int input "${spec.mask}" of shape (batch, ${x.act.onnx[0]})`);
  cv.load(x, true);
  const E = spec.heads * spec.dh;
  const layer = new MultiHeadAttention({ numHeads: spec.heads, ...(E !== spec.D ? { keyDim: spec.dh } : {}), mask: !!spec.mask, ...(spec.useBias ? {} : { useBias: false }) });
  const w = Object.fromEntries(Object.entries(spec.weights).map(([k, v]) => [k, Float32Array.from(v)]));
  cv.emitReading(layer, w, n, spec.from, spec.mask ? [m] : []);
  cv.act = { onnx: x.act.onnx.slice(), axon: x.act.onnx.slice(), order: null };
}
