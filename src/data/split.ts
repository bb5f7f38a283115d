// Seeded shuffling and train / validation / test splits along the first axis. One seed, one Rng
// (src/runtime/rng.ts): the same seed gives the same split on every target.
import { AxonError } from '../errors.js';
import { Rng } from '../runtime/rng.js';
import { Tensor } from '../runtime/tensor.js';

export interface SplitOptions {
  /** Fraction of rows for validation, in [0, 1). Default 0.1. */
  validation?: number;
  /** Fraction of rows for test, in [0, 1). Default 0.1. */
  test?: number;
  /** Shuffle seed. Default 0. */
  seed?: number;
  /** Shuffle before splitting (default true); false keeps the file order (e.g. time series). */
  shuffle?: boolean;
  /** Name used in error messages (e.g. the file name). */
  name?: string;
}

export interface Part { x: Tensor; y?: Tensor }
export interface Split { train: Part; validation: Part; test: Part }

/** A seeded random permutation of 0..n-1. */
export function permutation(n: number, seed: number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  return new Rng(seed).shuffle(p);
}

/** Copies the rows `index` of `t` (first axis) into a new tensor. */
export function takeRows(t: Tensor, index: ArrayLike<number>): Tensor {
  const row = t.shape.slice(1).reduce((a, b) => a * b, 1);
  const out = new (t.data.constructor as new (n: number) => typeof t.data)(index.length * row);
  for (let i = 0; i < index.length; i++) out.set(t.data.subarray(index[i] * row, (index[i] + 1) * row), i * row);
  return new Tensor(out, [index.length, ...t.shape.slice(1)], t.dtype);
}

function checkPair(x: Tensor, y: Tensor | undefined, name: string): void {
  if (x.rank === 0) throw new AxonError('BAD_DATA', `${name}: x is a scalar; it needs a first (sample) axis`);
  if (y && y.shape[0] !== x.shape[0]) {
    throw new AxonError('BAD_DATA', `${name}: x has ${x.shape[0]} samples but y has ${y.shape[0]}; they must match row for row`);
  }
}

/** Shuffles x (and y with the same permutation) along the first axis; returns copies. */
export function shuffleData(x: Tensor, y: Tensor | undefined, seed: number, name = 'data'): Part {
  checkPair(x, y, name);
  const p = permutation(x.shape[0], seed);
  return y ? { x: takeRows(x, p), y: takeRows(y, p) } : { x: takeRows(x, p) };
}

/** Splits rows into train / validation / test (sizes rounded; train gets the rest). */
export function splitData(x: Tensor, y: Tensor | undefined, opts: SplitOptions = {}): Split {
  const name = opts.name ?? 'data';
  const val = opts.validation ?? 0.1, test = opts.test ?? 0.1;
  checkPair(x, y, name);
  for (const [k, f] of [['validation', val], ['test', test]] as const) {
    if (!(f >= 0 && f < 1)) throw new AxonError('BAD_DATA', `${name}: split fraction ${k}=${f} must be in [0, 1)`);
  }
  const n = x.shape[0];
  const nVal = Math.round(n * val), nTest = Math.round(n * test), nTrain = n - nVal - nTest;
  if (nTrain < 1) {
    throw new AxonError('BAD_DATA', `${name}: ${n} samples leave no training rows after validation=${val} and test=${test}; use smaller fractions or more data`);
  }
  const p = opts.shuffle === false ? Int32Array.from({ length: n }, (_, i) => i) : permutation(n, opts.seed ?? 0);
  const part = (a: number, b: number): Part => {
    const idx = p.subarray(a, b);
    return y ? { x: takeRows(x, idx), y: takeRows(y, idx) } : { x: takeRows(x, idx) };
  };
  return { train: part(0, nTrain), validation: part(nTrain, nTrain + nVal), test: part(nTrain + nVal, n) };
}
