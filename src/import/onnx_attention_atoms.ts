// The atoms of onnx_attention_trace.ts: a traced tensor is a list of axes, each a row-major list of
// atoms (the batch n, the sequence t / tq / tk, the input features f, heads h, value features dv,
// output features o, or p: a range of a projection's output columns with a column step). Layout ops
// (Reshape, Transpose, Squeeze, Unsqueeze, Flatten, Slice) move, split and merge atoms; only column
// ranges split, so an axis never mixes what it cannot.
import { AxonError } from '../errors.js';
import type { OnnxNode } from './onnx_proto.js';
import { Attrs, Const, nodeLabel } from './onnx_graph.js';
import { prod } from './onnx_layout.js';

export type Kind = 'n' | 't' | 'tq' | 'tk' | 'f' | 'h' | 'dv' | 'o' | 'p';
export interface Atom { k: Kind; size: number; proj?: number; step?: number }
export type Role = 'x' | 'proj' | 'scores' | 'probs' | 'ctx' | 'out';
export interface Tensor { axes: Atom[][]; base: Map<number, number>; scale: number; role: Role; masked?: boolean }
export type Val = { t: Tensor } | { c: Const; mask: boolean };

export const fail = (n: OnnxNode | undefined, msg: string): never => { throw new AxonError('UNSUPPORTED', `${n ? `${nodeLabel(n)}: ` : ''}${msg}`); };
export const size = (axis: Atom[]) => prod(axis.map((a) => a.size));
export const shapeOfT = (t: Tensor) => t.axes.map(size);
export const isA = (axis: Atom[], k: Kind) => axis.length === 1 && axis[0].k === k;

/** The atoms regrouped into axes of the target sizes (row-major); only column ranges (p) split. */
export function regroup(atoms: Atom[], target: number[]): Atom[][] | undefined {
  const q = atoms.filter((a) => a.size !== 1).map((a) => ({ ...a })), out: Atom[][] = [];
  for (const d of target) {
    const axis: Atom[] = [];
    let need = d;
    while (need > 1) {
      const a = q[0];
      if (!a) return undefined;
      if (a.size <= need && need % a.size === 0) { axis.push(q.shift()!); need /= a.size; continue; }
      if (a.k !== 'p' || a.size % need !== 0) return undefined;
      const inner = a.size / need;
      axis.push({ ...a, size: need, step: a.step! * inner });
      q[0] = { ...a, size: inner };
      need = 1;
    }
    out.push(axis);
  }
  return q.length ? undefined : out;
}

/** A layout op (or a pass-through) on a traced tensor; undefined for other ops. */
export function layoutOp(n: OnnxNode, t: Tensor, a: Attrs, konst: (n: OnnxNode, i: number) => Const | undefined): Tensor | undefined {
  const rank = t.axes.length, norm = (ax: number, r = rank) => (ax < 0 ? ax + r : ax);
  const regrouped = (target: number[]) => regroup(t.axes.flat(), target) ?? fail(n, `reshapes [${shapeOfT(t)}] to [${target}] across axes that cannot be split`);
  switch (n.op_type) {
    case 'Identity': case 'Dropout': return t;
    case 'Cast': return a.int('to', 1) === 1 ? t : fail(n, 'casts an activation to a non-float type');
    case 'Transpose': {
      const p = a.ints('perm', t.axes.map((_, i) => rank - 1 - i));
      if (p.length !== rank || new Set(p).size !== rank || p.some((i) => !(i >= 0 && i < rank))) fail(n, `perm [${p}] is not a permutation of ${rank} axes`);
      return { ...t, axes: p.map((i) => t.axes[i]) };
    }
    case 'Reshape': {
      const s = Array.from(konst(n, 1)?.data ?? fail(n, 'the shape must be a constant')), cur = shapeOfT(t);
      const per = s.map((d, i) => (d === 0 ? cur[i] : d)), known = prod(per.filter((d) => d !== -1)), target = per.map((d) => (d === -1 ? prod(cur) / known : d));
      if (target.some((d) => !(Number.isInteger(d) && d > 0)) || prod(target) !== prod(cur)) fail(n, `cannot reshape [${cur}] to [${s}]`);
      return { ...t, axes: regrouped(target) };
    }
    case 'Flatten': { const ax = norm(a.int('axis', 1)), s = shapeOfT(t); return { ...t, axes: regrouped([prod(s.slice(0, ax)), prod(s.slice(ax))]) }; }
    case 'Squeeze': case 'Unsqueeze': {
      const c = n.input[1] ? konst(n, 1) : undefined, axes = c ? Array.from(c.data) : a.ints('axes', []);
      if (n.op_type === 'Squeeze') {
        const drop = axes.length ? axes.map((x) => norm(x)) : t.axes.flatMap((ax, i) => (size(ax) === 1 ? [i] : []));
        if (drop.some((i) => !t.axes[i] || size(t.axes[i]) !== 1)) fail(n, 'squeezes an axis longer than 1');
        return { ...t, axes: t.axes.filter((_, i) => !drop.includes(i)) };
      }
      const out = t.axes.slice();
      for (const x of axes.map((x) => norm(x, rank + axes.length)).sort((p, q2) => p - q2)) out.splice(x, 0, []);
      return { ...t, axes: out };
    }
    case 'Slice': {
      const st = konst(n, 1), en = konst(n, 2), ax = n.input[3] ? konst(n, 3) : undefined, sp = n.input[4] ? konst(n, 4) : undefined;
      if (!st || !en) fail(n, 'starts and ends must be constants');
      let out = t;
      Array.from(st!.data).forEach((s0, i) => {
        const axis = norm(ax ? ax.data[i] : i);
        if (!out.axes[axis]) fail(n, `axis ${axis} is out of range`);
        const d = size(out.axes[axis]), step = sp ? sp.data[i] : 1, nm = (x: number) => (x < 0 ? x + d : x);
        const lo = Math.max(0, Math.min(d, nm(s0))), hi = Math.max(0, Math.min(d, nm(en!.data[i])));
        if (step !== 1) fail(n, 'slices with a step other than 1');
        if (lo === 0 && hi === d) return;
        out = sliceAxis(n, out, axis, lo, hi - lo);
      });
      return out;
    }
  }
  return undefined;
}

/** Keeps positions lo … lo+len-1 of an axis that is one range of projection columns. */
export function sliceAxis(n: OnnxNode, t: Tensor, axis: number, lo: number, len: number): Tensor {
  const ax = t.axes[axis];
  if (ax.length !== 1 || ax[0].k !== 'p' || !(Number.isInteger(len) && len >= 1 && lo >= 0 && lo + len <= ax[0].size)) fail(n, 'slices an axis that is not one range of projection columns');
  const a = ax[0], base = new Map(t.base);
  base.set(a.proj!, (base.get(a.proj!) ?? 0) + lo * a.step!);
  const axes = t.axes.slice();
  axes[axis] = len === 1 ? [] : [{ ...a, size: len }];
  return { ...t, axes, base };
}
