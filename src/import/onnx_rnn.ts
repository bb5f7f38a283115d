// ONNX RNN / LSTM / GRU → Axon's recurrent layers (layers/recurrent.ts, recurrent_bidirectional.ts),
// and the shape bookkeeping around them in the pattern torch.onnx.export writes for
// nn.LSTM(batch_first=True):  x (N, T, I) → Transpose(1, 0, 2) → LSTM (X is time-major (T, N, I))
// → Y (T, D, N, H) → Squeeze(1) or Transpose(0, 2, 1, 3) + Reshape(0, 0, -1) → Transpose(1, 0, 2)
// → Gather/Slice of the last step → Gemm; or Y_h (D, N, H) → Gather(0, -1) / Squeeze(0) /
// Transpose(1, 0, 2) + Reshape(N, -1) → Gemm.
// Input layout mapping: the Axon model takes the batch-first (N, T, I) tensor as it is (Axon's
// recurrent layers are batch-major); the ONNX Transpose to time-major costs nothing. In graphs with
// a recurrent node the importer tracks where the batch axis sits in each ONNX tensor
// (Converter.batchAxis); the per-sample shape is the ONNX shape without it, and Transpose, Squeeze,
// Unsqueeze and Reshape only relabel the data. A Gather/Slice of the last time step of Y becomes
// returnSequences=false (unidirectional only: Axon's Bidirectional returns the backward direction's
// final state, which is Y_h, not Y[T-1]); any other selection of a value Axon holds in ONNX order
// (a graph input h0 (L, N, H) sliced per layer) is a Slice layer. Initial states may be absent,
// zero or activations (onnx_rnn_state.ts: the layer's h0 / c0 inputs), Y_h / Y_c besides Y its
// final-state outputs; sequence_lens absent or all T, default activations, no clip, no peepholes,
// layout=0; GRU only with linear_before_reset=1.
import { Recurrent, CellType } from '../layers/recurrent.js';
import { Bidirectional } from '../layers/recurrent_bidirectional.js';
import type { OnnxNode } from './onnx_proto.js';
import { Attrs, BATCH } from './onnx_graph.js';
import { isIdentity, orderOf, prod, transposeOrder } from './onnx_layout.js';
import { Converter, unsupported } from './onnx_convert.js';
import { concatPart, finalState, initialStates } from './onnx_rnn_state.js';
import { Slice } from '../layers/gather.js';
import { Reshape } from '../layers/misc.js';

type Handler = (cv: Converter, n: OnnxNode, a: Attrs) => void;
export const RECURRENT_OPS = /* @__PURE__ */ new Set(['RNN', 'LSTM', 'GRU']);

/** ONNX gate blocks → PyTorch's: PyTorch block k = ONNX block PERM[k] (LSTM i o f c → i f g o, GRU z r h → r z n). */
const CELL: Record<string, { type: CellType; G: number; perm: number[]; acts: string[] }> = {
  RNN: { type: 'simpleRnn', G: 1, perm: [0], acts: ['tanh'] },
  LSTM: { type: 'lstm', G: 4, perm: [0, 2, 3, 1], acts: ['sigmoid', 'tanh', 'tanh'] },
  GRU: { type: 'gru', G: 3, perm: [1, 0, 2], acts: ['sigmoid', 'tanh'] },
};

function reorder(src: ArrayLike<number>, off: number, H: number, cols: number, perm: number[]): Float32Array {
  const blk = H * cols, y = new Float32Array(perm.length * blk);
  perm.forEach((s, k) => { for (let j = 0; j < blk; j++) y[k * blk + j] = src[off + s * blk + j]; });
  return y;
}

const recurrent: Handler = (cv, n, a) => {
  const cell = CELL[n.op_type], { G, type } = cell;
  const layout = a.int('layout', 0), dir = a.str('direction', 'forward');
  if (dir !== 'forward' && dir !== 'bidirectional') unsupported(`direction "${dir}" is not supported; only forward and bidirectional`);
  if (a.has('clip')) unsupported('the clip attribute is not supported');
  if (a.int('input_forget', 0)) unsupported('input_forget=1 is not supported');
  if (type === 'gru' && a.int('linear_before_reset', 0) !== 1) unsupported(`linear_before_reset=${a.int('linear_before_reset', 0)} is not supported; only linear_before_reset=1 (PyTorch's GRU)`);
  if (layout !== 0) unsupported('layout=1 (batch-major X and Y) is not supported (onnxruntime does not run it either); torch.onnx.export writes layout=0 with Transposes');
  const D = dir === 'bidirectional' ? 2 : 1;
  const actsAttr = (n.attribute ?? []).find((x) => x.name === 'activations');
  if (actsAttr) {
    const got = ((actsAttr as { strings?: Uint8Array[] }).strings ?? []).map((s) => new TextDecoder().decode(s).toLowerCase());
    const want = Array.from({ length: D }, () => cell.acts).flat();
    if (got.join() !== want.join()) unsupported(`activations [${got}] are not supported; only the defaults [${want}]`);
  }
  if (cv.batchAxis !== 1 || cv.act.onnx.length !== 2 || !isIdentity(cv.act.order))
    unsupported(`X must be time-major (T, N, I) (e.g. Transpose(1, 0, 2) of a batch-first (N, T, I) graph input); got a tensor of per-sample shape [${cv.act.onnx}] with the batch at axis ${cv.batchAxis}`);
  const [T, I] = cv.act.onnx;
  const W = cv.c(n, 1, 'W'), R = cv.c(n, 2, 'R'), B = cv.c(n, 3, 'B', true);
  const H = a.int('hidden_size', W.dims[1] / G);
  if (W.dims.join() !== [D, G * H, I].join()) unsupported(`W of shape [${W.dims}] does not fit (${D}, ${G * H}, ${I})`);
  if (R.dims.join() !== [D, G * H, H].join()) unsupported(`R of shape [${R.dims}] does not fit (${D}, ${G * H}, ${H})`);
  if (B && prod(B.dims) !== D * 2 * G * H) unsupported(`B of shape [${B.dims}] does not fit (${D}, ${2 * G * H})`);
  const sl = cv.c(n, 4, 'sequence_lens', true);
  if (sl && Array.from(sl.data).some((v) => v !== T)) unsupported('sequence_lens other than the full length is not supported');
  const more = initialStates(cv, n, D, H, type === 'lstm');
  if (n.input[7]) unsupported('peepholes (input P) are not supported');
  const [Y, Yh, Yc] = n.output, used = (o: string | undefined) => !!o && cv.used.has(o);
  // Y: the main output; Y_h (and Y_c) the final states, outputs 1 (and 2) with returnState; Y_h alone: the main output
  const seq = !used(Yh) || used(Y), returnState = (seq && used(Yh)) || used(Yc);
  if (returnState && D !== 1) unsupported('reading the final states Y_h / Y_c of a bidirectional node besides Y is not supported');
  const w: Record<string, Float32Array> = {};
  for (let d = 0; d < D; d++) {
    const sfx = d ? '_reverse' : '';
    w[`weight_ih${sfx}`] = reorder(W.data, d * G * H * I, H, I, cell.perm);
    w[`weight_hh${sfx}`] = reorder(R.data, d * G * H * H, H, H, cell.perm);
    w[`bias_ih${sfx}`] = B ? reorder(B.data, d * 2 * G * H, H, 1, cell.perm) : new Float32Array(G * H);
    w[`bias_hh${sfx}`] = B ? reorder(B.data, d * 2 * G * H + G * H, H, 1, cell.perm) : new Float32Array(G * H);
  }
  const layer = D === 1 ? new Recurrent(type, { units: H, returnSequences: seq, ...(returnState ? { returnState } : {}) }) : new Bidirectional({ layer: { type, units: H, returnSequences: seq }, mergeMode: 'concat' });
  const from: Record<string, string> = {};
  for (const sfx of D === 1 ? [''] : ['', '_reverse']) Object.assign(from, { [`weight_ih${sfx}`]: n.input[1], [`weight_hh${sfx}`]: n.input[2], ...(B ? { [`bias_ih${sfx}`]: n.input[3], [`bias_hh${sfx}`]: n.input[3] } : {}) });
  if (more.length) cv.emitReading(layer, w, n, from, more); else cv.emit(layer, w, n, from);
  if (returnState) {
    if (used(Yh) && seq) cv.produced.push([Yh, finalState(cv, 1, H)]);
    if (used(Yc)) cv.produced.push([Yc, finalState(cv, 2, H)]);
  }
  // Y: (T, D, N, H); Y_h: (D, N, H). Axon: [T, D·H] or [D·H], the same element order.
  cv.act = { onnx: seq ? [T, D, H] : [D, H], axon: cv.act.axon, order: null };
  cv.batchAxis = seq ? 2 : 1;
  cv.next = seq ? Y : Yh;
};

/** The full ONNX shape of the activation, BATCH at the batch axis. */
export const fullShape = (cv: Converter): number[] => { const s = cv.act.onnx.slice(); s.splice(cv.batchAxis, 0, BATCH); return s; };
const normAxis = (v: number, r: number) => (v < 0 ? v + r : v);

/** Sets the activation from a full shape (BATCH marks the batch axis), the ONNX element order within a sample unchanged or `order`. */
function relabel(cv: Converter, full: number[], order = cv.act.order): void {
  const b = full.indexOf(BATCH);
  if (b < 0) unsupported('the batch axis would be removed');
  cv.batchAxis = b;
  cv.act = { onnx: full.filter((_, i) => i !== b), axon: cv.act.axon, order };
}

const transpose: Handler = (cv, _n, a) => {
  const F = fullShape(cv), r = F.length, b = cv.batchAxis;
  const perm = a.ints('perm', Array.from({ length: r }, (_, i) => r - 1 - i));
  const q = perm.filter((v) => v !== b).map((v) => (v > b ? v - 1 : v));
  const t = transposeOrder(cv.act, q);
  cv.act = { ...cv.act, onnx: t.onnx, order: t.order };
  cv.batchAxis = perm.indexOf(b);
};

const squeeze = (un: boolean): Handler => (cv, n, a) => {
  const c = n.input[1] ? cv.c(n, 1, 'axes') : undefined, F = fullShape(cv);
  const raw = c ? Array.from(c.data) : a.has('axes') ? a.ints('axes', []) : undefined;
  if (un) {
    const r = F.length + (raw?.length ?? 0), out = F.slice();
    for (const ax of (raw ?? []).map((v) => normAxis(v, r)).sort((p, q) => p - q)) out.splice(ax, 0, 1);
    relabel(cv, out);
  } else {
    const axes = raw ? raw.map((v) => normAxis(v, F.length)) : F.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0);
    if (axes.includes(cv.batchAxis)) unsupported('the batch axis cannot be squeezed');
    if (axes.some((ax) => F[ax] !== 1)) unsupported(`cannot squeeze axes [${axes}] of [${F.map((d) => (d === BATCH ? 'N' : d))}]`);
    relabel(cv, F.filter((_, i) => !axes.includes(i)));
  }
};

const reshape: Handler = (cv, n) => {
  const t = Array.from(cv.c(n, 1, 'shape').data), F = fullShape(cv), b = cv.batchAxis;
  const isBatch = (v: number) => v === BATCH || v === 0 || (cv.staticBatch !== undefined && v === cv.staticBatch);
  const ok = t.length > b && (isBatch(t[b]) || (t[b] === -1 && !t.some((v, i) => i !== b && v === -1))) && t.slice(0, b).every((v, i) => v === 0 || v === F[i]);
  if (!ok) unsupported(`shape [${t.map((v) => (v === BATCH ? 'N' : v))}] moves the batch axis of [${F.map((d) => (d === BATCH ? 'N' : d))}] or the axes before it; not supported`);
  const res = t.map((v, i) => (i === b ? BATCH : v === 0 ? F[i] : v)), per = res.filter((_, i) => i !== b), known = prod(per.filter((v) => v !== -1));
  const tot = prod(cv.act.onnx);
  relabel(cv, res.map((v, i) => (i === b ? v : v === -1 ? tot / known : v)));
  if (prod(cv.act.onnx) !== tot) unsupported(`cannot reshape [${F}] to [${t}]`);
};

/**
 * Keeps indices `idx` along full axis `ax` (dropping the axis when `drop`). A pure relabel when every
 * element is kept; otherwise it must pick the last step of a unidirectional recurrent layer's
 * sequence output, which becomes returnSequences=false.
 */
function select(cv: Converter, n: OnnxNode, ax: number, idx: number[], drop: boolean): void {
  const b = cv.batchAxis;
  if (ax === b) unsupported('selecting along the batch axis is not supported');
  const p = ax > b ? ax - 1 : ax, s = cv.act.onnx, st = s.map((_, i) => prod(s.slice(i + 1)));
  idx = idx.map((v) => normAxis(v, s[p]));
  if (idx.some((v) => v < 0 || v >= s[p])) unsupported(`index out of range for an axis of size ${s[p]}`);
  const part = concatPart(cv, p, idx);
  if (part) {   // one input of a Concatenate: read it directly
    cv.load(part, true);
    const pf = fullShape(cv);
    if (drop) pf.splice(ax, 1);
    relabel(cv, pf);
    return;
  }
  const ns = s.slice(); if (drop) ns.splice(p, 1); else ns[p] = idx.length;
  const nst = ns.map((_, i) => prod(ns.slice(i + 1))), map = new Int32Array(prod(s)).fill(-1);
  for (let f = 0; f < map.length; f++) {
    const k = idx.indexOf(Math.floor(f / st[p]) % s[p]);
    if (k < 0) continue;
    let g = 0, r = f;
    for (let d = 0, e = 0; d < s.length; d++) { const q = Math.floor(r / st[d]); r -= q * st[d]; if (d === p) { if (!drop) g += k * nst[e++]; } else g += q * nst[e++]; }
    map[f] = g;
  }
  const o = orderOf(cv.act), F = fullShape(cv);
  const full = F.slice(); if (drop) full.splice(ax, 1); else full[ax] = idx.length;
  if (Array.from(o).every((v) => map[v] >= 0) && new Set(idx).size === idx.length) { relabel(cv, full, Int32Array.from(o, (v) => map[v])); return; }
  const t = cv.tip, l = t?.layer, last = cv.specs[cv.cur];
  const lastStep = !!t && t === last && cv.port === 0 && ((l instanceof Recurrent && l.returnSequences) || (l instanceof Bidirectional && l.layer.returnSequences));
  if (!lastStep && isIdentity(cv.act.order)) {   // a value held in ONNX order (a graph input h0 (L, N, H) sliced per layer): a Slice layer
    if (cv.act.axon.join() !== s.join()) cv.emit(new Reshape({ targetShape: s }), {}, n);
    cv.emit(new Slice({ indices: s.map((_, q) => (q === p ? idx : null)) }), {}, n);
    relabel(cv, full, null);
    return;
  }
  if (l instanceof Bidirectional && l.layer.returnSequences) unsupported("the last step of a bidirectional layer's Y is not supported (Axon's Bidirectional gives the backward direction's final state, at step 0): use the final hidden state Y_h instead");
  if (!t || t !== last || !(l instanceof Recurrent) || !l.returnSequences) return unsupported("only the last time step of a recurrent layer's output Y can be selected");
  const [T, H] = cv.act.axon, base = (T - 1) * H;
  const sel = Array.from(o).flatMap((v, i) => (map[v] >= 0 ? [i] : []));
  if (sel.length !== H || sel.some((i, j) => i !== base + j)) unsupported("only the last time step of a recurrent layer's output Y can be selected");
  const nl = new Recurrent(l.type, { ...l.opts, returnSequences: false });
  nl.build(l.inputShape);
  nl.stateInputs = l.stateInputs;
  t.layer = nl;
  cv.act = { ...cv.act, axon: nl.outputShape };
  relabel(cv, full, Int32Array.from({ length: H }, (_, j) => map[o[base + j]]));
}

const gather: Handler = (cv, n, a) => {
  const i = cv.c(n, 1, 'indices'), r = cv.act.onnx.length + 1;
  if (i.dims.length > 1) unsupported('only scalar or 1-D indices are supported');
  select(cv, n, normAxis(a.int('axis', 0), r), Array.from(i.data), i.dims.length === 0);
};

const slice: Handler = (cv, n) => {
  const F = fullShape(cv), r = F.length, st = cv.c(n, 1, 'starts'), en = cv.c(n, 2, 'ends'), ax = cv.c(n, 3, 'axes', true), sp = cv.c(n, 4, 'steps', true);
  let picked: [number, number[]] | undefined;
  Array.from(st.data).forEach((s0, k) => {
    const axis = ax ? normAxis(ax.data[k], r) : k, d = F[axis], step = sp ? sp.data[k] : 1;
    if (axis === cv.batchAxis) { if (s0 === 0 && step === 1 && en.data[k] >= 2 ** 31 - 1) return; unsupported('slicing the batch axis is not supported'); }
    const nm = (v: number) => (v < 0 ? v + d : v);
    const lo = step > 0 ? Math.max(0, Math.min(d, nm(s0))) : Math.max(0, Math.min(d - 1, nm(s0)));
    const hi = step > 0 ? Math.max(0, Math.min(d, nm(en.data[k]))) : Math.max(-1, Math.min(d - 1, nm(en.data[k])));
    const l: number[] = [];
    for (let i = lo; step > 0 ? i < hi : i > hi; i += step) l.push(i);
    if (l.length === d && step === 1) return;
    if (picked) unsupported('slicing more than one axis is not supported');
    picked = [axis, l];
  });
  if (picked) select(cv, n, picked[0], picked[1], false);
};

/** Handlers used instead of the generic ones in graphs with a recurrent node (batch axis tracked). */
export const SEQ_HANDLERS: Record<string, Handler> = {
  Transpose: transpose, Squeeze: /* @__PURE__ */ squeeze(false), Unsqueeze: /* @__PURE__ */ squeeze(true), Reshape: reshape, Gather: gather, Slice: slice,
};
export const RECURRENT_HANDLERS: Record<string, Handler> = { RNN: recurrent, LSTM: recurrent, GRU: recurrent };
