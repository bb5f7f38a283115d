// What fit / evaluate / predict / gradients feed a session: inputs and targets checked once
// (shapes, dtypes, ranges, label ids, finiteness) and copied row by row into the input and target buffers.
import { AxonError } from '../errors.js';
import { Tensor } from '../runtime/tensor.js';
import { firstNonFinite } from '../runtime/finite.js';
import { classesOf, type LossSpec, type OutputLoss } from './loss.js';
import type { Session } from '../model/compiler.js';
import { Fed, Inputs, ModelInput, feedInputs, inputCheckLabel, notFiniteInput } from '../model/inputs.js';

/** Targets: one Tensor (one loss), a list in the order of the outputs with losses, or a { output: Tensor } map. */
export type Targets = Tensor | Tensor[] | Record<string, Tensor>;

export interface Data { fed: Fed[]; shapes: number[][]; ys: Array<Int32Array | Float32Array>; yf: number[]; n: number }

/** Checks shapes, dtypes, label ranges and finiteness once, and normalizes labels. */
export function prepare(model: { inputs: ModelInput[]; losses: OutputLoss[] }, x: Inputs, y: Targets | undefined, what: string, finite = true): Data {
  const { fed, n } = feedInputs(model.inputs, x, what, finite);
  const d: Data = { fed, shapes: fed.map((f) => f.shape), ys: [], yf: [], n };
  if (!y) return d;
  const ts = targetsByLoss(model, y, what);
  model.losses.forEach((l, k) => { const [ys, yf] = labels(l.spec, ts[k], n, model.losses.length > 1 ? `${what}: y for "${l.name}"` : what); d.ys.push(ys); d.yf.push(yf); });
  return d;
}

function targetsByLoss(model: { losses: OutputLoss[] }, y: Targets, what: string): Tensor[] {
  const ls = model.losses, names = ls.map((l) => l.name);
  if (y instanceof Tensor) {
    if (ls.length !== 1) throw new AxonError('BAD_ARGUMENT', `${what}: the model has ${ls.length} losses (${names.join(', ')}); pass y as a { output: Tensor } map or a list in that order`);
    return [y];
  }
  if (Array.isArray(y)) {
    if (y.length !== ls.length) throw new AxonError('BAD_ARGUMENT', `${what}: ${y.length} targets for ${ls.length} losses (${names.join(', ')})`);
    return y;
  }
  if (!y || typeof y !== 'object') throw new AxonError('BAD_ARGUMENT', `${what}: y must be a Tensor, a list or a { output: Tensor } map`);
  const extra = Object.keys(y).filter((k) => !names.includes(k));
  if (extra.length) throw new AxonError('BAD_ARGUMENT', `${what}: y has ${extra.map((k) => `"${k}"`).join(', ')}, which ${extra.length === 1 ? 'is' : 'are'} not an output with a loss (${names.join(', ')})`);
  return ls.map((l) => {
    const t = y[l.name];
    if (!(t instanceof Tensor)) throw new AxonError('BAD_ARGUMENT', `${what}: y for output "${l.name}" is missing (outputs with losses: ${names.join(', ')})`);
    return t;
  });
}

/** One loss's targets: class ids (from ids or one-hot) or values, checked. */
function labels(loss: LossSpec, y: Tensor, n: number, what: string): [Int32Array | Float32Array, number] {
  if (!(y instanceof Tensor)) throw new AxonError('BAD_ARGUMENT', `${what}: y must be a Tensor`);
  if (y.shape[0] !== n) throw new AxonError('BAD_SHAPE', `${what}: x has ${n} samples but y has ${y.shape[0]}`);
  const C = classesOf(loss), P = loss.positions;
  if (loss.targetDtype === 'i32' && P > 1) {
    // every position scored: class ids [n, P] (or [n, ...the output's leading dimensions])
    if (y.size !== n * P || y.shape.length < 2) throw new AxonError('BAD_SHAPE', `${what}: y has shape [${y.shape}]; the output has ${P} positions of ${C} classes, so ${loss.name} wants class ids [n, ${P}] (one per position)`);
    const ids = Int32Array.from(y.data);
    for (let i = 0; i < ids.length; i++) if (!(ids[i] >= 0 && ids[i] < C) || ids[i] !== y.data[i]) throw new AxonError('BAD_DATA', `${what}: label ${y.data[i]} of sample ${Math.floor(i / P)}, position ${i % P} is not a class id in [0, ${C})`);
    return [ids, P];
  }
  if (loss.targetDtype === 'i32') {
    let ids: Int32Array;
    if (y.shape.length === 2 && y.shape[1] === C && C > 1) {
      ids = new Int32Array(n);            // one-hot → class ids
      for (let r = 0; r < n; r++) { let b = 0; for (let c = 1; c < C; c++) if (y.data[r * C + c] > y.data[r * C + b]) b = c; ids[r] = b; }
    } else if (y.shape.length === 1 || (y.shape.length === 2 && y.shape[1] === 1)) {
      ids = Int32Array.from(y.data);
      for (let r = 0; r < n; r++) if (!(ids[r] >= 0 && ids[r] < C) || ids[r] !== y.data[r]) throw new AxonError('BAD_DATA', `${what}: label ${y.data[r]} of sample ${r} is not a class id in [0, ${C})`);
    } else throw new AxonError('BAD_SHAPE', `${what}: y has shape [${y.shape}]; ${loss.name} wants class ids [n] or one-hot [n, ${C}]`);
    return [ids, 1];
  }
  if (y.size !== n * C) throw new AxonError('BAD_SHAPE', `${what}: y has shape [${y.shape}] but the output has ${C} values per sample`);
  const ys = Float32Array.from(y.data);
  const badY = firstNonFinite(ys);
  if (badY >= 0) throw new AxonError('NOT_FINITE', `${what}: y has a non-finite value at sample ${Math.floor(badY / C)}`);
  return [ys, C];
}

/** Copies the rows `idx[from..from+B)` into the session's input and target buffers. */
export function load(s: Session, d: Data, idx: Int32Array | null, from: number, B: number): void {
  d.fed.forEach((f, k) => {
    const xb = f.data instanceof Int32Array ? s.bound.i32(s.xs[k]) : s.bound.f32(s.xs[k]);
    copyRows(xb, f.data, f.per, idx, from, B);
  });
  d.ys.forEach((ys, k) => copyRows(ys instanceof Int32Array ? s.bound.i32(s.targets[k]) : s.bound.f32(s.targets[k]), ys, d.yf[k], idx, from, B));
}

/** Rows idx[from..from+B) (from..from+B without idx) of src into dst, one set() per run of consecutive rows. */
function copyRows(dst: Float32Array | Int32Array, src: Float32Array | Int32Array, per: number, idx: Int32Array | null, from: number, B: number): void {
  if (!idx) { dst.set(src.subarray(from * per, (from + B) * per)); return; }
  for (let r = 0; r < B;) {
    const i = idx[from + r];
    let n = 1;
    while (r + n < B && idx[from + r + n] === i + n) n++;
    dst.set(src.subarray(i * per, (i + n) * per), r * per);
    r += n;
  }
}

/** A predict plan's failed input check (emitInputChecks) as the error prepare() would have thrown: the input and the sample. */
export function inputNotFinite(e: unknown, d: Data, from: number, B: number): AxonError | undefined {
  if (!(e instanceof AxonError) || e.code !== 'NOT_FINITE') return undefined;
  const k = d.fed.findIndex((_, k) => e.details?.label === inputCheckLabel(k));
  const f = d.fed[k], bad = f ? firstNonFinite(f.data.subarray(from * f.per, (from + B) * f.per)) : -1;
  return bad < 0 ? undefined : notFiniteInput(f.who, from + Math.floor(bad / Math.max(f.per, 1)));
}

export function rowsOf(d: Data, from: number, to: number): Data {
  return { ...d, n: to - from, fed: d.fed.map((f) => ({ ...f, data: f.data.subarray(from * f.per, to * f.per) })), ys: d.ys.map((y, k) => y.subarray(from * d.yf[k], to * d.yf[k])) };
}

