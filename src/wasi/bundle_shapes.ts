// Compiling a WASI bundle for concrete input shapes: the shape sets (given, checked against the
// model's declared inputs, or the declared shapes), the one fine-tuning runs at, and the IO section
// (bundle_io.ts) of the compiled session: input, output, target and loss buffers.
import { AxonError } from '../errors.js';
import { size } from '../layers/layer.js';
import type { Model } from '../model/model.js';
import type { Session } from '../model/compiler.js';
import { BundleIO, shapeSetKey } from './bundle_io.js';
import { classesOf } from '../train/loss.js';

/** The shape sets to compile: given ones checked against the declared inputs, or the declared shapes. */
export function shapeSets(model: Model, given: number[][][] | undefined): number[][][] {
  const ins = model.inputs, decl = () => ins.map((m) => `${m.name} [${m.shape.map((d) => d ?? 'null')}]`).join(', ');
  if (given === undefined) {
    const open = ins.find((m) => m.shape.some((d, i) => d === null && m.max[i] === null));
    if (open) throw new AxonError('BAD_CONFIG', `bundle: input "${open.name}" has an open dimension without a maximum; give the concrete shapes to compile, e.g. shapes: [[${ins.map((m) => `[${m.shape.map((d) => d ?? 8)}]`).join(', ')}]]`);
    return [ins.map((m) => m.shape.map((d, i) => d ?? m.max[i]!))];
  }
  if (!Array.isArray(given) || given.length === 0) throw new AxonError('BAD_CONFIG', 'bundle: shapes must be a non-empty list of shape sets (one per-sample shape per input)');
  const keys = new Set<string>();
  return given.map((set, k) => {
    if (!Array.isArray(set) || set.length !== ins.length) throw new AxonError('BAD_CONFIG', `bundle: shape set ${k} must list one per-sample shape for each of the ${ins.length} inputs (${decl()}), got ${JSON.stringify(set)}`);
    set.forEach((sh, i) => {
      const m = ins[i], ok = Array.isArray(sh) && sh.length === m.shape.length && sh.every((d, j) => Number.isInteger(d) && d >= 1 && (m.shape[j] === null ? m.max[j] === null || d <= m.max[j]! : d === m.shape[j]));
      if (!ok) throw new AxonError('BAD_SHAPE', `bundle: shape set ${k}: input "${m.name}" shape ${JSON.stringify(sh)} does not fit its declaration [${m.shape.map((d) => d ?? 'null')}]${m.max.some((d, j) => m.shape[j] === null && d !== null) ? ` (maxShape [${m.max}])` : ''}`);
    });
    if (keys.has(shapeSetKey(set))) throw new AxonError('BAD_CONFIG', `bundle: shape set ${shapeSetKey(set)} is listed twice`);
    keys.add(shapeSetKey(set));
    return set.map((sh) => [...sh]);
  });
}

export function trainShapeIndex(sets: number[][][], want: number[][] | undefined): number {
  if (want === undefined) return 0;
  const k = sets.findIndex((set) => shapeSetKey(set) === shapeSetKey(want));
  if (k < 0) throw new AxonError('BAD_CONFIG', `bundle: trainShape ${shapeSetKey(want)} is not one of the shape sets (${sets.map(shapeSetKey).join('; ')})`);
  return k;
}

/** Inputs, outputs (buffers the same at every shape set), per-set sizes and losses of the session. */
export function bundleIO(model: Model, s: Session, sets: number[][][], train: boolean): BundleIO {
  const L = s.layout, cap = s.graphOf();
  const outSizes = sets.map((set) => {
    const g = s.graphOf(set);
    g.outputs.forEach((u, o) => { if (s.outputs[u] !== s.outputs[cap.outputs[o]]) throw new AxonError('BAD_CONFIG', `bundle: output "${model.outputNames[o]}" moves between input shapes`); });
    return g.outputs.map((u) => size(g.units[u].outputShape));
  });
  return {
    inputs: model.inputs.map((m, i) => ({ name: m.name, dtype: m.dtype, offset: L.get(s.xs[i]).offset, shape: m.shape, max: m.max, ...(m.range ? { range: m.range } : {}) })),
    outputs: model.outputNames.map((name, o) => ({ name, offset: L.get(s.outputs[cap.outputs[o]]).offset })),
    shapes: sets, outSizes,
    losses: train ? model.losses.map((l, k) => {
      const t = L.get(s.targets[k]);
      return { output: l.output, target: t.offset, loss: L.get(s.lossBufs[k]).offset, kind: t.dtype === 'i32' ? 2 as const : 1 as const, words: l.spec.targetPerSample, classes: t.dtype === 'i32' ? classesOf(l.spec) : 0 };
    }) : [],
  };
}
