// Symbolic check of an attention subgraph (found by onnx_attention.ts) at concrete sizes: every
// tensor is traced as a list of axes, each axis a row-major list of atoms: the batch (n), the
// sequence (t; after the scores product tq and tk), the input features (f), the heads (h), the
// value's per-head features (dv), the output features (o), or a range of a projection's output
// columns (p: which projection, size, column step; the tensor keeps each projection's column base).
// Reshape / Transpose / Squeeze / Unsqueeze / Flatten / Slice / Split move, split and merge atoms
// (only column ranges split), so however an exporter spells the heads (torch's (T, N·H, dh) or
// BERT's (N, H, T, dh)) the trace ends on the same facts: which projection columns are head h's
// query, key and value, how the output projection reads the context, the score scale, and the mask.
// The mask term added to the scores is evaluated on a test mask (shape arithmetic included) and must
// be 0 where the mask is 1 and at most -1e4 (or -inf) where it is 0, along the key axis only.
import { AxonError } from '../errors.js';
import type { OnnxNode } from './onnx_proto.js';
import { Attrs, Const, constantNode, foldNode, shapeOf } from './onnx_graph.js';
import { prod } from './onnx_layout.js';
import { Atom, Kind, Tensor, Val, fail, isA, layoutOp, shapeOfT, size, sliceAxis } from './onnx_attention_atoms.js';

interface Proj { wT: Float32Array; M: number; K: number; bias: Float32Array | null; from: { weight: string; bias?: string } }
/** Where head h, feature d of a query / key / value sits: column base + h·hstep + d·dstep of projection proj. */
interface Side { proj: number; base: number; hstep: number; dstep: number }

/** What the trace found: MultiHeadAttention's configuration and weights (PyTorch layouts). */
export interface AttentionSpec {
  heads: number; dh: number; D: number;
  weights: Record<string, Float32Array>; from: Record<string, string>; useBias: boolean;
  /** the mask graph input (1 = token), if the scores get a mask */
  mask?: string;
  /** the value holding the attention's output (N, T, D) */
  exit: string;
}

/** A region to trace: its nodes in graph order, its input X (N, T, D), the int mask graph input, the last value of the output chain. */
export interface Region { nodes: OnnxNode[]; x: string; D: number; mask?: string; last: string }

/** Traces `r` with batch N and sequence length T; `consts`: initializers (and folded constants) by name. */
export function traceAttention(r: Region, consts: Map<string, Const>, N: number, T: number): AttentionSpec {
  const vals = new Map<string, Val>(), projs: Proj[] = [];
  let q: Side | undefined, k: Side | undefined, v: Side | undefined, H = 1, dh = 0, scoresScale = 1, maskScale: number | undefined;
  let o: { proj: number; perm: Int32Array } | undefined, exit: { name: string; t: Tensor } | undefined;
  const pattern = Float64Array.from({ length: N * T }, (_, i) => { const n = Math.floor(i / T), t = i % T; return t === 0 || (t + 2 * n) % 3 !== 2 ? 1 : 0; });
  vals.set(r.x, { t: { axes: [[{ k: 'n', size: N }], [{ k: 't', size: T }], [{ k: 'f', size: r.D }]], base: new Map(), scale: 1, role: 'x' } });
  if (r.mask) vals.set(r.mask, { c: { dims: [N, T], data: pattern, float: false }, mask: true });
  const get = (n: OnnxNode, name: string): Val | undefined => {
    if (!name) return undefined;
    const c = consts.get(name);
    return vals.get(name) ?? (c ? { c, mask: false } : fail(n, `reads "${name}", which is neither the attention's input, its mask nor a constant`));
  };
  const tensor = (n: OnnxNode, i: number): Tensor => { const x = get(n, n.input[i]); return x && 't' in x ? x.t : fail(n, `input ${i} must be an activation here`); };
  const konst = (n: OnnxNode, i: number): Const | undefined => { const x = get(n, n.input[i]); return x && 'c' in x ? x.c : undefined; };
  const set = (n: OnnxNode, t: Tensor) => vals.set(n.output[0], { t });

  const project = (n: OnnxNode, x: Tensor, W: Const, transB: boolean, alpha: number, C?: Const, beta = 1) => {
    if (W.dims.length !== 2 || !W.float) fail(n, `the weight must be a 2-D float constant, got [${W.dims}]`);
    const [K, M] = transB ? [W.dims[1], W.dims[0]] : W.dims, last = x.axes[x.axes.length - 1], s = alpha * x.scale;
    const wT = new Float32Array(M * K);
    for (let m = 0; m < M; m++) for (let c = 0; c < K; c++) wT[m * K + c] = s * (transB ? W.data[m * K + c] : W.data[c * M + m]);
    let bias: Float32Array | null = null;
    if (C) {
      if (C.data.length !== M && C.data.length !== 1) fail(n, `C of shape [${C.dims}] must have ${M} values`);
      bias = Float32Array.from({ length: M }, (_, i) => beta * C.data[C.data.length === 1 ? 0 : i]);
    }
    const from = { weight: n.input[1], ...(C ? { bias: n.input[2] } : {}) };
    if (x.role === 'x') {
      if (!isA(last, 'f') || K !== r.D) fail(n, 'a projection must read the attention input\'s features (its last axis)');
      projs.push({ wT, M, K, bias, from });
      return set(n, { axes: [...x.axes.slice(0, -1), [{ k: 'p', size: M, proj: projs.length - 1, step: 1 }]], base: new Map([[projs.length - 1, 0]]), scale: 1, role: 'proj' });
    }
    if (x.role !== 'ctx' || o) fail(n, 'a constant weight multiplies something other than the attention input or the attention context');
    const hs = last.map((a) => a.k).join();
    if (size(last) !== K || !(hs === 'h,dv' || hs === 'dv,h' || (H === 1 && hs === 'dv'))) fail(n, 'the output projection must read all heads\' context features on its last axis');
    const perm = new Int32Array(K);   // Axon context index h·dh + d → the projection's input index
    for (let c = 0; c < K; c++) {
      let rest = c, hh = 0, dd = 0;
      for (let i = last.length - 1; i >= 0; i--) { const a = last[i], j = rest % a.size; rest = (rest - j) / a.size; if (a.k === 'h') hh = j; else dd = j; }
      perm[hh * dh + dd] = c;
    }
    projs.push({ wT, M, K, bias, from });
    o = { proj: projs.length - 1, perm };
    set(n, { axes: [...x.axes.slice(0, -1), [{ k: 'o', size: M }]], base: new Map(), scale: 1, role: 'out' });
  };

  /** Pairs the batch atoms of a (query or probabilities) and b (key or value): n with n, heads with heads. */
  const pairBatch = (n: OnnxNode, a: Tensor, b: Tensor, aHead: (x: Atom) => boolean): { aHead?: Atom; bHead?: Atom } => {
    const ab = a.axes.slice(0, -2).flat(), bb = b.axes.slice(0, -2).flat();
    if (a.axes.length !== b.axes.length || ab.length !== bb.length) fail(n, 'the two operands\' batch axes do not line up (broadcasting products are not supported)');
    let aH: Atom | undefined, bH: Atom | undefined;
    ab.forEach((x, i) => {
      const y = bb[i];
      if (x.k === 'n' && y.k === 'n') return;
      if (aHead(x) && y.k === 'p' && x.size === y.size && !aH) { aH = x; bH = y; return; }
      fail(n, 'the two operands\' batch axes do not pair the batch with the batch and one head axis with another');
    });
    return { aHead: aH, bHead: bH };
  };
  const side = (t: Tensor, head: Atom | undefined, d: Atom): Side => ({ proj: d.proj!, base: t.base.get(d.proj!) ?? 0, hstep: head?.step ?? 0, dstep: d.step! });
  const onlyProj = (n: OnnxNode, t: Tensor, p: number) => { if (t.axes.flat().some((a) => a.k === 'p' && a.proj !== p)) fail(n, 'mixes the columns of two projections'); };

  const matmulActs = (n: OnnxNode, a: Tensor, b: Tensor) => {
    const ra = a.axes.length;
    if (ra < 2 || b.axes.length !== ra) fail(n, `multiplies tensors of ranks ${ra} and ${b.axes.length}`);
    if (a.role === 'proj' && b.role === 'proj' && !q) {
      const ad = a.axes[ra - 1], bd = b.axes[ra - 2];
      if (!isA(a.axes[ra - 2], 't') || !isA(b.axes[ra - 1], 't')) fail(n, 'the scores must multiply queries (steps, features) by keys (features, steps)');
      if (ad.length !== 1 || bd.length !== 1 || ad[0].k !== 'p' || bd[0].k !== 'p' || ad[0].size !== bd[0].size) fail(n, 'the scores must contract one head\'s query features with its key features');
      const { aHead, bHead } = pairBatch(n, a, b, (x) => x.k === 'p');
      onlyProj(n, a, ad[0].proj!); onlyProj(n, b, bd[0].proj!);
      if (aHead && (aHead.proj !== ad[0].proj || bHead!.proj !== bd[0].proj)) fail(n, 'the heads come from another projection than the features');
      H = aHead?.size ?? 1; dh = ad[0].size;
      q = side(a, aHead, ad[0]); k = side(b, bHead, bd[0]);
      const axes = a.axes.slice(0, -2).map((ax) => ax.map((x) => (x === aHead ? { k: 'h' as Kind, size: H } : x)));
      return set(n, { axes: [...axes, [{ k: 'tq', size: T }], [{ k: 'tk', size: T }]], base: new Map(), scale: a.scale * b.scale, role: 'scores' });
    }
    if (a.role === 'probs' && b.role === 'proj' && !v) {
      const bd = b.axes[ra - 1];
      if (!isA(a.axes[ra - 1], 'tk') || !isA(a.axes[ra - 2], 'tq') || !isA(b.axes[ra - 2], 't')) fail(n, 'the context must multiply the probabilities (steps, key steps) by values (key steps, features)');
      if (bd.length !== 1 || bd[0].k !== 'p' || bd[0].size !== dh) fail(n, `the values must have one head's ${dh} features on their last axis (as the keys)`);
      const { bHead } = pairBatch(n, a, b, (x) => x.k === 'h');
      if ((bHead === undefined) !== (H === 1) || (bHead && bHead.proj !== bd[0].proj)) fail(n, 'the values\' heads do not pair with the queries\' heads');
      onlyProj(n, b, bd[0].proj!);
      v = side(b, bHead, bd[0]);
      return set(n, { axes: [...a.axes.slice(0, -1), [{ k: 'dv', size: dh }]], base: new Map(), scale: a.scale * b.scale, role: 'ctx' });
    }
    fail(n, 'multiplies two activations that are not the attention\'s query and key, or probabilities and values');
  };

  const bias = (n: OnnxNode, t: Tensor, c: Const, sign: number) => {
    const last = t.axes[t.axes.length - 1] ?? [], L = size(last);
    if (!last.length) fail(n, 'adds a bias to an axis of length 1');
    if (t.scale !== 1 || (t.role !== 'proj' && t.role !== 'out')) fail(n, t.role === 'scores' ? 'adds a constant to the attention scores (a fixed attention mask is not supported)' : 'adds a constant where only a projection\'s bias may be added');
    if (c.dims.length > t.axes.length || c.dims.slice(0, -1).some((d) => d !== 1) || (c.data.length !== L && c.data.length !== 1)) fail(n, `a bias of shape [${c.dims}] must vary along the last axis only`);
    const p = t.role === 'out' ? projs[o!.proj] : projs[last[0].proj!];
    if (t.role === 'proj' && last.some((a) => a.k !== 'p' || a.proj !== last[0].proj)) fail(n, 'a bias must be added to one projection\'s columns');
    p.bias ??= new Float32Array(p.M);
    for (let i = 0; i < L; i++) {
      let rest = i, col = t.role === 'out' ? 0 : t.base.get(last[0].proj!) ?? 0;
      for (let j = last.length - 1; j >= 0; j--) { const a = last[j], m = rest % a.size; rest = (rest - m) / a.size; col += t.role === 'out' ? m : m * a.step!; }
      p.bias[col] += sign * c.data[c.data.length === 1 ? 0 : i];
    }
    const src = n.input.find((x) => consts.has(x));
    if (!p.from.bias && src) p.from.bias = src;
    set(n, t);
  };

  const checkMask = (n: OnnxNode, t: Tensor, m: Const) => {
    const S = shapeOfT(t), r0 = S.length - m.dims.length, md = m.dims;
    if (prod(S) > 1 << 22) fail(n, `the scores [${S}] are too large to check the mask on (the graph fixes a long sequence)`);
    if (r0 < 0 || md.some((d, i) => d !== 1 && d !== S[r0 + i])) fail(n, `the mask term of shape [${md}] does not broadcast to the scores [${S}]`);
    const mst = md.map((_, i) => prod(md.slice(i + 1))), atoms = t.axes.flat(), idx = new Array<number>(atoms.length).fill(0);
    for (let e = 0; e < prod(S); e++) {
      let rest = e, mi = 0;
      for (let ax = S.length - 1, ai = atoms.length - 1; ax >= 0; ax--) {
        const j = rest % S[ax]; rest = (rest - j) / S[ax];
        if (ax >= r0 && md[ax - r0] !== 1) mi += j * mst[ax - r0];
        let r1 = j;
        for (let z = t.axes[ax].length - 1; z >= 0; z--, ai--) { idx[ai] = r1 % atoms[ai].size; r1 = (r1 - idx[ai]) / atoms[ai].size; }
      }
      const nn = idx[atoms.findIndex((a) => a.k === 'n')], tk = idx[atoms.findIndex((a) => a.k === 'tk')], val = m.data[mi];
      const keep = pattern[nn * T + tk] === 1;
      if (keep ? val !== 0 : !(val <= -1e4)) fail(n, keep && val <= -1e4 ? 'the mask input is read with 1 = padding; Axon\'s attention mask takes 1 = token, 0 = padding (pass 1 - mask or re-export)' : 'the term added to the scores is not a padding mask of the mask input along the key axis (0 for tokens, at most -1e4 for padding)');
    }
  };

  for (const n of r.nodes) {
    const ins = n.input.map((name) => get(n, name));
    const tIn = ins.findIndex((x) => x && 't' in x);
    if (tIn < 0) {   // constants and the mask's arithmetic
      if (n.op_type === 'Constant') { vals.set(n.output[0], { c: constantNode(n), mask: false }); continue; }
      const mask = ins.some((x) => x && 'c' in x && x.mask);
      if (n.op_type === 'Shape') { vals.set(n.output[0], { c: shapeOf(n, (ins[0] as { c: Const } | undefined)?.c.dims ?? fail(n, 'has no input')), mask: false }); continue; }
      const c = foldNode(n, (i) => (ins[i] && 'c' in ins[i]! ? (ins[i] as { c: Const }).c : undefined)) ?? fail(n, 'cannot be evaluated on constants');
      vals.set(n.output[0], { c, mask });
      continue;
    }
    const t = (ins[tIn] as { t: Tensor }).t, a = new Attrs(n), op = n.op_type;
    if (op === 'Shape') { vals.set(n.output[0], { c: shapeOf(n, shapeOfT(t)), mask: false }); continue; }
    if (ins.filter((x) => x && 't' in x).length === 2) {
      if (op !== 'MatMul') fail(n, 'joins two activations inside the attention');
      matmulActs(n, tensor(n, 0), tensor(n, 1));
    } else if (op === 'MatMul' || op === 'Gemm') {
      if (tIn !== 0 || (op === 'Gemm' && (a.int('transA', 0) || t.axes.length !== 2))) fail(n, 'the activation must be the first operand (Gemm: 2-D, transA=0)');
      project(n, t, konst(n, 1) ?? fail(n, 'the weight must be a constant'), op === 'Gemm' && a.int('transB', 0) === 1, op === 'Gemm' ? a.float('alpha', 1) : 1, op === 'Gemm' && n.input[2] ? konst(n, 2) : undefined, a.float('beta', 1));
    } else if (op === 'Add' || op === 'Sub' || op === 'Mul' || op === 'Div') {
      const c = (ins[1 - tIn] as { c: Const; mask: boolean } | undefined) ?? fail(n, 'needs two operands'), scalar = c.c.data.length === 1 && !c.mask;
      if (tIn === 1 && (op === 'Sub' || op === 'Div')) fail(n, `computes constant ${op === 'Sub' ? '-' : '/'} activation`);
      if ((op === 'Mul' || op === 'Div') && !scalar) fail(n, 'scales by a constant that is not one number');
      if (op === 'Mul' || op === 'Div') {
        if (t.masked) fail(n, 'scales the scores after the mask was added');
        const s = op === 'Mul' ? c.c.data[0] : 1 / c.c.data[0];
        if (!(s > 0)) fail(n, `scales by ${op === 'Mul' ? c.c.data[0] : `1/${c.c.data[0]}`}; only positive scales are supported`);
        set(n, { ...t, scale: t.scale * s });
      } else if (c.mask) {
        if (op !== 'Add' || t.role !== 'scores' || t.masked || !r.mask) fail(n, 'adds a mask term somewhere other than the attention scores');
        checkMask(n, t, c.c);
        maskScale = t.scale;
        set(n, { ...t, masked: true });
      } else bias(n, t, c.c, op === 'Sub' ? -1 : 1);
    } else if (op === 'Softmax') {
      const ax = a.int('axis', -1), rank = t.axes.length;
      if (t.role !== 'scores' || (ax < 0 ? ax + rank : ax) !== rank - 1) fail(n, 'the softmax must run over the key axis of the scores (the last axis)');
      scoresScale = t.scale;
      if (maskScale !== undefined && maskScale !== t.scale) fail(n, 'the scores were scaled after the mask was added');
      set(n, { axes: t.axes, base: new Map(), scale: 1, role: 'probs' });
    } else if (op === 'Split') {
      const axis = ((a.int('axis', 0) % t.axes.length) + t.axes.length) % t.axes.length, d = size(t.axes[axis]);
      const sc = n.input[1] ? konst(n, 1) : undefined, parts = sc ? Array.from(sc.data) : a.ints('split', Array(n.output.length).fill(d / n.output.length));
      if (parts.length !== n.output.length || parts.reduce((x, y) => x + y, 0) !== d) fail(n, `splits ${d} into [${parts}]`);
      let lo = 0;
      parts.forEach((len, i) => { vals.set(n.output[i], { t: sliceAxis(n, t, axis, lo, len) }); lo += len; });
    } else {
      const out = layoutOp(n, t, a, konst) ?? fail(n, 'op not supported inside the attention pattern');
      set(n, out);
    }
    const y = vals.get(n.output[0]);
    if (y && 't' in y && y.t.role === 'out' && y.t.axes.length === 3 && isA(y.t.axes[0], 'n') && isA(y.t.axes[1], 'tq') && isA(y.t.axes[2], 'o') && y.t.scale === 1) exit = { name: n.output[0], t: y.t };
  }
  if (!q || !k || !v || !o) return fail(undefined, 'the pattern has no complete query · key → softmax → · value → output projection chain');
  if (!exit) return fail(undefined, 'the attention\'s output never comes back to (batch, steps, features)');
  if (r.mask && maskScale === undefined) fail(undefined, `reads the mask input "${r.mask}" but adds no mask term to the scores`);
  return weights(projs, q, k, v, o, H, dh, scoresScale, r, exit.name, maskScale !== undefined ? r.mask : undefined);
}

/** MultiHeadAttention's parameters from the traced projections: rows h·dh + d of q/k/v, o's columns in that order. */
function weights(projs: Proj[], q: Side, k: Side, v: Side, o: { proj: number; perm: Int32Array }, H: number, dh: number, scoresScale: number, r: Region, exit: string, mask?: string): AttentionSpec {
  const E = H * dh, D = r.D, w: Record<string, Float32Array> = {}, from: Record<string, string> = {};
  // the kernel scales scores by 1/√dh; any other scale is folded into the query projection
  const ratio = scoresScale * Math.sqrt(dh), qScale = Math.abs(ratio - 1) < 1e-6 ? 1 : ratio;
  const useBias = [q, k, v].some((s) => projs[s.proj].bias) || !!projs[o.proj].bias;
  for (const [name, s, f] of [['q', q, qScale], ['k', k, 1], ['v', v, 1]] as const) {
    const p = projs[s.proj], W = new Float32Array(E * D), b = new Float32Array(E);
    for (let h = 0; h < H; h++) for (let d = 0; d < dh; d++) {
      const col = s.base + h * s.hstep + d * s.dstep, row = h * dh + d;
      for (let c = 0; c < D; c++) W[row * D + c] = f * p.wT[col * D + c];
      b[row] = f * (p.bias?.[col] ?? 0);
    }
    w[`${name}_weight`] = W;
    if (useBias) w[`${name}_bias`] = b;
    from[`${name}_weight`] = p.from.weight;
    if (p.from.bias) from[`${name}_bias`] = p.from.bias;
  }
  const po = projs[o.proj];
  if (po.M !== D) throw new AxonError('UNSUPPORTED', `the attention's output projection gives ${po.M} features but its input has ${D}; Axon's MultiHeadAttention keeps the width`);
  const Wo = new Float32Array(D * E);
  for (let m = 0; m < D; m++) for (let j = 0; j < E; j++) Wo[m * E + j] = po.wT[m * E + o.perm[j]];
  w.o_weight = Wo;
  if (useBias) w.o_bias = po.bias ? Float32Array.from(po.bias) : new Float32Array(D);
  from.o_weight = po.from.weight;
  if (po.from.bias) from.o_bias = po.from.bias;
  return { heads: H, dh, D, weights: w, from, useBias, ...(mask ? { mask } : {}), exit };
}

/** Ops the trace interprets on activations (the region finder's vocabulary). */
export const TRACE_OPS = /* @__PURE__ */ new Set(['Identity', 'Dropout', 'Cast', 'Transpose', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Slice', 'Split', 'Add', 'Sub', 'Mul', 'Div', 'MatMul', 'Gemm', 'Softmax']);
