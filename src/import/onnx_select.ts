// Slice, Gather and Pad on activations (graphs without recurrent nodes; onnx_rnn.ts has its own
// Slice/Gather around sequences). The selection is done on the Axon tensor: when its layout is a
// transpose of the ONNX one (channels-last after convolutions, the same order after Dense),
// each ONNX axis is one Axon axis and a Slice layer keeps the chosen indices along it; a Gather
// with a scalar index drops the axis (the ONNX shape loses it, the Axon tensor keeps a size-1 axis).
// Otherwise (a Flatten mixed the axes) a Slice picks elements of the flattened tensor by position.
// Pad of the spatial axes of (N, C, H, W) or (N, C, L): ZeroPadding2D for zeros, Pad2D otherwise.
import { Pad2D, PadMode, Slice } from '../layers/gather.js';
import { ZeroPadding2D } from '../layers/pool.js';
import { Reshape } from '../layers/misc.js';
import type { OnnxNode } from './onnx_proto.js';
import { Attrs } from './onnx_graph.js';
import { axesOrder, axonAxes, channelsLastOrder, orderOf, prod } from './onnx_layout.js';
import { Converter, spatialOut, unsupported } from './onnx_convert.js';

type Handler = (cv: Converter, n: OnnxNode, a: Attrs) => void;

/** Keeps `lists` (per-sample ONNX axis → indices, in order) of the activation; `drop`: an axis removed afterwards (Gather with a scalar index). */
function select(cv: Converter, n: OnnxNode, lists: Map<number, number[]>, drop?: number): void {
  const a = cv.act, s = a.onnx, ks = s.map((d, p) => lists.get(p)?.length ?? d), ns = ks.filter((_, p) => p !== drop);
  for (const [p, l] of lists) if (s[p] === 1 && l.some((v) => v !== 0)) unsupported(`index out of range for axis ${p + 1} of size 1`);
  if ([...lists].every(([p, l]) => l.length === s[p] && l.every((v, i) => v === i))) { cv.act = { ...a, onnx: ns }; return; }
  const pi = axonAxes(a);
  if (pi) {   // one Axon axis per ONNX axis: a Slice along it
    cv.emit(new Slice({ indices: pi.map((p) => (p >= 0 && lists.has(p) ? lists.get(p)! : null)) }), {}, n);
    const keep = (p: number) => (p < 0 || p === drop ? -1 : drop !== undefined && p > drop ? p - 1 : p);
    cv.act = { onnx: ns, axon: cv.act.axon, order: axesOrder(cv.act.axon, pi.map(keep), ns) };
    return;
  }
  // mixed layout (after a Flatten): pick elements of the flat Axon tensor, in the channels-last order of the result
  const t = ns.length >= 2 ? channelsLastOrder(ns) : null, o = orderOf(a), inv = new Int32Array(o.length), ost = s.map((_, p) => prod(s.slice(p + 1)));
  o.forEach((v, i) => { inv[v] = i; });
  const src = Array.from({ length: prod(ns) }, (_, j) => {
    let q = t ? t[j] : j, old = 0;
    for (let p = s.length - 1; p >= 0; p--) { const m = q % ks[p]; q = (q - m) / ks[p]; old += (lists.get(p)?.[m] ?? m) * ost[p]; }
    return inv[old];
  });
  cv.flatAxon(n);
  cv.emit(new Slice({ indices: [src] }), {}, n);
  cv.act = { onnx: ns, axon: cv.act.axon, order: t };
}

/** Index lists of a Slice node (starts, ends, axes, steps inputs) per full ONNX axis; the batch axis must be kept whole. */
function sliceLists(cv: Converter, n: OnnxNode): Map<number, number[]> {
  const s = cv.act.onnx, r = s.length + 1, st = cv.c(n, 1, 'starts'), en = cv.c(n, 2, 'ends'), ax = cv.c(n, 3, 'axes', true), sp = cv.c(n, 4, 'steps', true);
  const lists = new Map<number, number[]>();
  Array.from(st.data).forEach((s0, k) => {
    const axis = ax ? (ax.data[k] < 0 ? ax.data[k] + r : ax.data[k]) : k, step = sp ? sp.data[k] : 1, e0 = en.data[k];
    if (axis < 0 || axis >= r) unsupported(`axis ${ax?.data[k] ?? k} is out of range for an input of rank ${r}`);
    if (step === 0) unsupported('a step of 0 is not allowed');
    if (axis === 0) { if (s0 === 0 && step === 1 && e0 >= 2 ** 31 - 1) return; unsupported('slicing the batch axis is not supported'); }
    const d = s[axis - 1], nm = (v: number) => (v < 0 ? v + d : v);
    const lo = step > 0 ? Math.max(0, Math.min(d, nm(s0))) : Math.max(0, Math.min(d - 1, nm(s0)));
    const hi = step > 0 ? Math.max(0, Math.min(d, nm(e0))) : Math.max(-1, Math.min(d - 1, nm(e0)));
    const l: number[] = [];
    for (let i = lo; step > 0 ? i < hi : i > hi; i += step) l.push(i);
    if (!l.length) unsupported(`the slice of axis ${axis} is empty`);
    lists.set(axis - 1, l);
  });
  return lists;
}

const slice: Handler = (cv, n) => {
  if (cv.isConst(n.input[0])) unsupported('slicing a constant by run-time values is not supported');
  select(cv, n, sliceLists(cv, n));
};

const gather: Handler = (cv, n, a) => {
  if (cv.isConst(n.input[0])) unsupported('a lookup in a constant table (an embedding) needs int ids read directly from an int32 / int64 graph input');
  const idx = cv.c(n, 1, 'indices'), r = cv.act.onnx.length + 1, ax = a.int('axis', 0), axis = ax < 0 ? ax + r : ax;
  if (idx.dims.length > 1) unsupported(`indices of shape [${idx.dims}]: only a scalar or 1-D indices are supported`);
  if (axis <= 0 || axis >= r) unsupported(axis === 0 ? 'gathering along the batch axis is not supported' : `axis ${ax} is out of range for an input of rank ${r}`);
  const d = cv.act.onnx[axis - 1], l = Array.from(idx.data, (v) => (v < 0 ? v + d : v));
  if (l.some((v) => v < 0 || v >= d)) unsupported(`indices [${Array.from(idx.data)}] are out of range for axis ${axis} of size ${d}`);
  select(cv, n, new Map([[axis - 1, l]]), idx.dims.length === 0 ? axis - 1 : undefined);
};

const pad: Handler = (cv, n, a) => {
  const mode = a.str('mode', 'constant');
  if (mode !== 'constant' && mode !== 'reflect' && mode !== 'edge') unsupported(`mode "${mode}" is not supported; only constant, reflect and edge`);
  if (n.input[3]) unsupported('the axes input is not supported');
  const v = cv.c(n, 2, 'constant_value', true), value = v ? v.data[0] : 0;
  const r = cv.act.onnx.length + 1, p = Array.from(cv.c(n, 1, 'pads').data);
  if ((r !== 3 && r !== 4) || p.length !== 2 * r || p[0] || p[1] || p[r] || p[r + 1]) unsupported(`pads [${p}] of an [N, ${cv.act.onnx}] input: only padding of the spatial axes of (N, C, H, W) or (N, C, L) is supported`);
  if (p.some((q) => q < 0)) unsupported(`negative pads [${p}] (cropping) are not supported`);
  const [C, ...sp] = cv.channelsLast(n, 'Pad');
  if (p.every((q) => q === 0)) return;
  const [t, l, b, rr] = r === 4 ? [p[2], p[3], p[6], p[7]] : [0, p[2], 0, p[5]];
  if (r === 3) cv.emit(new Reshape({ targetShape: [1, sp[0], C] }), {}, n);
  cv.emit(mode === 'constant' && value === 0 ? new ZeroPadding2D({ padding: [t, l, b, rr] }) : new Pad2D({ padding: [t, l, b, rr], mode: mode as PadMode, value }), {}, n);
  if (r === 3) cv.emit(new Reshape({ targetShape: [sp[0] + l + rr, C] }), {}, n);
  spatialOut(cv);
};

export const SELECT_HANDLERS: Record<string, Handler> = { Slice: slice, Gather: gather, Pad: pad };
