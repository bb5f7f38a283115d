// Model inputs: named, typed (f32 values, i32 ids and masks), with open dimensions (null or -1 in
// a per-sample shape: sequence or spatial lengths; the batch axis is always open) and optional
// maxima for them. This file normalizes the declarations and turns what users pass to predict /
// fit / evaluate (a Tensor, a list of Tensors, or a { name: Tensor } map) into one checked,
// typed array per input with the concrete per-sample shapes of the call.
import { AxonError } from '../errors.js';
import { firstNonFinite } from '../runtime/finite.js';
import { Tensor } from '../runtime/tensor.js';
import { size, type Layer } from '../layers/layer.js';
import type { Buf, Plan } from '../compile/plan.js';

export type InputDtype = 'f32' | 'i32';

/** A model input as declared: per-sample shape (no batch axis), open dimensions as null or -1. */
export interface InputSpec {
  name: string;
  shape: Array<number | null>;
  /** 'f32' (default) or 'i32' (token ids, masks) */
  dtype?: InputDtype;
  /** largest value of each open dimension (same rank as shape; fixed dimensions repeat their size); none: unbounded */
  maxShape?: Array<number | null>;
  /** i32 inputs: the values allowed, [min, max] inclusive (layers reading ids narrow it to what they index) */
  range?: [number, number];
}

/** A normalized input: open dimensions are null, `max` holds their bounds (null: unbounded). */
export interface ModelInput { name: string; shape: Array<number | null>; dtype: InputDtype; max: Array<number | null>; range?: [number, number] }

/** The per-sample shape used to build layers when a dimension is open and has no maximum. */
export const OPEN_PROBE = 16;
const I32_RANGE: [number, number] = [-(2 ** 31), 2 ** 31 - 1];

export function normalizeInputs(specs: InputSpec[]): ModelInput[] {
  if (!Array.isArray(specs) || specs.length === 0) throw new AxonError('BAD_CONFIG', 'inputs must be a non-empty list of { name, shape, dtype? }');
  const seen = new Set<string>();
  return specs.map((s, k) => {
    const who = `input ${typeof s?.name === 'string' ? `"${s.name}"` : k}`;
    if (!s || typeof s !== 'object' || typeof s.name !== 'string' || !/^[A-Za-z_][\w/-]*$/.test(s.name))
      throw new AxonError('BAD_CONFIG', `${who}: name must be a string of letters, digits, '_', '-' or '/' (got ${JSON.stringify(s?.name)})`);
    if (seen.has(s.name)) throw new AxonError('BAD_CONFIG', `two inputs are named "${s.name}"`);
    seen.add(s.name);
    if (!Array.isArray(s.shape) || s.shape.length === 0 || !s.shape.every((d) => d === null || d === -1 || (Number.isInteger(d) && (d as number) > 0)))
      throw new AxonError('BAD_SHAPE', `${who}: shape must be a non-empty list of positive integers or null/-1 for an open dimension (per sample, no batch axis), got ${JSON.stringify(s.shape)}`);
    const dtype = s.dtype ?? 'f32';
    if (dtype !== 'f32' && dtype !== 'i32') throw new AxonError('BAD_DTYPE', `${who}: dtype must be "f32" or "i32", got ${JSON.stringify(s.dtype)}`);
    const shape = s.shape.map((d) => (d === -1 || d === null ? null : d));
    const max = shape.map((d, i) => {
      const m = s.maxShape?.[i];
      if (d !== null) {
        if (m !== undefined && m !== null && m !== d) throw new AxonError('BAD_SHAPE', `${who}: maxShape[${i}] is ${m} but dimension ${i} is fixed at ${d}`);
        return d;
      }
      if (m === undefined || m === null || m === -1) return null;
      if (!Number.isInteger(m) || m < 1) throw new AxonError('BAD_SHAPE', `${who}: maxShape[${i}] must be a positive integer, got ${JSON.stringify(m)}`);
      return m;
    });
    if (s.maxShape !== undefined && (!Array.isArray(s.maxShape) || s.maxShape.length !== shape.length)) throw new AxonError('BAD_SHAPE', `${who}: maxShape must have the rank of shape (${shape.length})`);
    let range: [number, number] | undefined;
    if (s.range !== undefined) {
      if (dtype !== 'i32') throw new AxonError('BAD_CONFIG', `${who}: range applies to i32 inputs`);
      if (!Array.isArray(s.range) || s.range.length !== 2 || !s.range.every(Number.isInteger) || s.range[0] > s.range[1])
        throw new AxonError('BAD_CONFIG', `${who}: range must be [min, max] integers with min <= max, got ${JSON.stringify(s.range)}`);
      range = [Math.max(s.range[0], I32_RANGE[0]), Math.min(s.range[1], I32_RANGE[1])];
    }
    return { name: s.name, shape, dtype, max, ...(range ? { range } : {}) };
  });
}

/** The declaration again (for model files and `model.inputs`). */
export function inputSpec(m: ModelInput): InputSpec {
  const open = m.shape.some((d) => d === null);
  return { name: m.name, shape: [...m.shape], dtype: m.dtype, ...(open && m.max.some((d, i) => m.shape[i] === null && d !== null) ? { maxShape: [...m.max] } : {}), ...(m.range ? { range: [...m.range] as [number, number] } : {}) };
}

/** The concrete per-sample shape layers are built on: open dimensions at their maximum (or OPEN_PROBE). */
export const probeShape = (m: ModelInput): number[] => m.shape.map((d, i) => d ?? m.max[i] ?? OPEN_PROBE);
export const isOpen = (m: ModelInput): boolean => m.shape.some((d) => d === null);
export const shapeKey = (shapes: number[][]): string => shapes.map((s) => s.join('x')).join(',');

/** What predict / fit / evaluate take: one Tensor (a single-input model), Tensors in input order, or a map by input name. */
export type Inputs = Tensor | Tensor[] | Record<string, Tensor>;

/** One model input as fed: its values, values per sample, per-sample shape, and how errors name it. */
export interface Fed { data: Float32Array | Int32Array; per: number; shape: number[]; who: string }

/** Label of a predict plan's finiteness check on model input k (Session.build; feed.ts inputNotFinite reads it back). */
export const inputCheckLabel = (k: number): string => `model input ${k}`;

/**
 * A predict plan's first instructions: check_finite over each f32 input's B samples of `shapes`, in
 * wasm (SIMD, split between threads like any elementwise op) instead of a JS scan per call (W4's
 * 96x96x3 input: 0.043 ms of its 0.72 ms predict at 2 threads; a 224x224x3 image ~0.23 ms). Raw plan users get a
 * NOT_FINITE naming the input; predict() turns it into notFiniteInput's error.
 */
export function emitInputChecks(plan: Plan, xs: Buf[], inputs: Array<{ dtype: InputDtype }>, B: number, shapes: number[][]): void {
  inputs.forEach((m, k) => { if (m.dtype === 'f32') plan.emit('check_finite', { x: xs[k], n: B * size(shapes[k]) }, inputCheckLabel(k)); });
}

/** The error for a non-finite value in an f32 input. */
export const notFiniteInput = (who: string, sample: number): AxonError =>
  new AxonError('NOT_FINITE', `${who} has a non-finite value at sample ${sample}; clean or impute the data first`);

/**
 * Checks `x` against the declared inputs: names, dtypes, fixed and open dimensions, ranges, finiteness; one sample count.
 * finite = false leaves the finiteness of f32 inputs to the plan (predict plans check their inputs in wasm: Session.build).
 */
export function feedInputs(inputs: ModelInput[], x: Inputs, what: string, finite = true): { fed: Fed[]; n: number } {
  const list = byInput(inputs, x, what);
  let n = -1;
  const fed = list.map((t, k) => {
    const m = inputs[k], who = inputs.length === 1 && m.name === 'input' ? `${what}: x` : `${what}: input "${m.name}"`;   // (a named input by its name)
    if (!(t instanceof Tensor)) throw new AxonError('BAD_ARGUMENT', `${who} must be a Tensor, got ${describe(t)}`);
    if (t.shape.length !== m.shape.length + 1)
      throw new AxonError('BAD_SHAPE', `${who} has shape [${t.shape}] but the model expects [n, ${m.shape.map((d) => d ?? 'null')}]`);
    const shape = t.shape.slice(1);
    shape.forEach((d, i) => {
      const want = m.shape[i];
      if (want !== null && d !== want) throw new AxonError('BAD_SHAPE', `${who} has shape [${t.shape}] but the model expects [n, ${m.shape.map((e) => e ?? 'null')}] (dimension ${i + 1} is fixed at ${want})`);
      if (want === null && d < 1) throw new AxonError('BAD_SHAPE', `${who}: open dimension ${i + 1} has length ${d}; it must be at least 1`);
      if (want === null && m.max[i] !== null && d > m.max[i]!) throw new AxonError('BAD_SHAPE', `${who}: dimension ${i + 1} has length ${d}, beyond the declared maximum ${m.max[i]}; truncate or split the data, or declare a larger maxShape`);
    });
    if (n >= 0 && t.shape[0] !== n) throw new AxonError('BAD_SHAPE', `${what}: inputs have different sample counts (${n} and ${t.shape[0]} for "${m.name}")`);
    n = t.shape[0];
    const per = shape.reduce((a, b) => a * b, 1);
    if (m.dtype === 'i32') {
      if (t.dtype !== 'i32') throw new AxonError('BAD_DTYPE', `${who} is i32 (ids or a mask) but the tensor is ${t.dtype}; pass an Int32Array (a Tensor of dtype i32)`);
      const data = t.data as Int32Array, [lo, hi] = m.range ?? I32_RANGE;
      for (let i = 0; i < data.length; i++) if (data[i] < lo || data[i] > hi)
        throw new AxonError('BAD_DATA', `${who}: value ${data[i]} at sample ${Math.floor(i / Math.max(per, 1))} is outside the input's range [${lo}, ${hi}]`);
      return { data, per, shape, who };
    }
    if (t.dtype === 'i32') throw new AxonError('BAD_DTYPE', `${who} is f32 but the tensor is i32; convert it (Float32Array) if the values are meant as numbers`);
    const data = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
    const bad = finite ? firstNonFinite(data) : -1;
    if (bad >= 0) throw notFiniteInput(who, Math.floor(bad / Math.max(per, 1)));
    return { data, per, shape, who };
  });
  return { fed, n: Math.max(n, 0) };
}

/** x as a list in input order (names checked: none missing, none extra). */
function byInput(inputs: ModelInput[], x: Inputs, what: string): unknown[] {
  const names = inputs.map((m) => m.name).join(', ');
  if (x instanceof Tensor) {
    if (inputs.length !== 1) throw new AxonError('BAD_ARGUMENT', `${what}: the model has ${inputs.length} inputs (${names}); pass a { name: Tensor } map or a list in that order`);
    return [x];
  }
  if (Array.isArray(x)) {
    if (x.length !== inputs.length) throw new AxonError('BAD_ARGUMENT', `${what}: ${x.length} tensors given, but the model has ${inputs.length} inputs (${names})`);
    return x;
  }
  if (!x || typeof x !== 'object') throw new AxonError('BAD_ARGUMENT', `${what}: inputs must be a Tensor, a list of Tensors or a { name: Tensor } map, got ${describe(x)}`);
  const extra = Object.keys(x).filter((k) => !inputs.some((m) => m.name === k));
  if (extra.length) throw new AxonError('BAD_ARGUMENT', `${what}: no model input named ${extra.map((k) => `"${k}"`).join(', ')} (the model's inputs: ${names})`);
  const missing = inputs.filter((m) => !(m.name in x)).map((m) => `"${m.name}"`);
  if (missing.length) throw new AxonError('BAD_ARGUMENT', `${what}: input ${missing.join(', ')} is missing (the model's inputs: ${names})`);
  return inputs.map((m) => (x as Record<string, unknown>)[m.name]);
}

const describe = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? (v as object).constructor?.name ?? 'an object' : typeof v);

/** Refuses models this path does not cover yet: several inputs or outputs, i32 inputs, open dimensions. */
export function singleIO(m: { inputs: ModelInput[]; outputNames: string[] }, what: string): void {
  const i = m.inputs[0];
  if (m.inputs.length !== 1 || m.outputNames.length !== 1 || i.dtype !== 'f32' || isOpen(i))
    throw new AxonError('UNSUPPORTED', `${what} handles models with one f32 input of fixed shape and one output; this one has inputs ${m.inputs.map((x) => `${x.name} ${x.dtype} [${x.shape.map((d) => d ?? 'null')}]`).join(', ')} and outputs ${m.outputNames.join(', ')}`);
}

export const parseShapeKey = (k: string): number[][] => k.split(',').map((s) => s.split('x').map(Number));

export function checkOutputs(names: string[]): string[] {
  if (!Array.isArray(names) || !names.length || !names.every((n) => typeof n === 'string') || new Set(names).size !== names.length)
    throw new AxonError('BAD_CONFIG', `outputs must be a non-empty list of distinct layer names (or layer:k), got ${JSON.stringify(names)}`);
  return [...names];
}

/** i32 model inputs go to layers that read ids there (Layer.intInput), and only those. */
export function checkIntInputs(layer: Layer, reads: string[], inputs: ModelInput[]): void {
  reads.forEach((n, k) => {
    const m = inputs.find((i) => i.name === n), wants = layer.intInput(k);
    if (m?.dtype === 'i32' && !wants) throw new AxonError('BAD_DTYPE', `${layer.name}: input "${n}" is i32 (ids or a mask), but a ${layer.type} layer reads f32 values there; read it with an embedding, or declare the input f32`);
    if (m?.dtype !== 'i32' && wants) throw new AxonError('BAD_DTYPE', `${layer.name}: a ${layer.type} layer reads i32 ids as input ${k}, but "${n}" is ${m ? m.dtype : 'a layer output (f32)'}`);
  });
}

/** An i32 input read as ids accepts only what every reader can index: its range narrows to theirs. */
export function narrowIdRanges(layer: Layer, reads: string[], inputs: ModelInput[]): void {
  reads.forEach((n, k) => {
    const m = inputs.find((i) => i.name === n), r = layer.intInput(k);
    if (!m || !r) return;
    const lo = Math.max(m.range?.[0] ?? r[0], r[0]), hi = Math.min(m.range?.[1] ?? r[1], r[1]);
    if (lo > hi) throw new AxonError('BAD_CONFIG', `${layer.name}: input "${n}" has range [${m.range}] but the layer reads ids in [${r}]; they do not overlap`);
    m.range = [lo, hi];
  });
}
