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

/**
 * Non-IID client splits for federated experiments: each class's rows dealt to `clients` parts in
 * proportions drawn from Dirichlet(alpha) (small alpha: each client sees few classes; the usual
 * benchmark setting is 0.5). Returns each part's row indices; a part left empty gets one row.
 */
export function dirichletSplit(labels: ArrayLike<number>, clients: number, alpha: number, seed: number): number[][] {
  if (!Number.isInteger(clients) || clients < 1) throw new AxonError('BAD_ARGUMENT', `dirichletSplit: clients must be a positive integer, got ${clients}`);
  if (!(alpha > 0) || !Number.isFinite(alpha)) throw new AxonError('BAD_ARGUMENT', `dirichletSplit: alpha must be a positive number, got ${alpha}`);
  const r = new Rng(seed);
  const gamma = (a: number): number => {   // Marsaglia–Tsang, with the a < 1 boost
    if (a < 1) return gamma(a + 1) * Math.pow(r.uniform() || Number.MIN_VALUE, 1 / a);
    const d = a - 1 / 3, c = 1 / Math.sqrt(9 * d);
    for (;;) { const z = r.normal(), v = (1 + c * z) ** 3; if (v > 0 && Math.log(r.uniform() || Number.MIN_VALUE) < 0.5 * z * z + d - d * v + d * Math.log(v)) return d * v; }
  };
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) { const k = labels[i]; if (!byClass.has(k)) byClass.set(k, []); byClass.get(k)!.push(i); }
  const parts: number[][] = Array.from({ length: clients }, () => []);
  for (const k of [...byClass.keys()].sort((a, b) => a - b)) {
    const rows = byClass.get(k)!, g = Array.from({ length: clients }, () => gamma(alpha)), s = g.reduce((a, b) => a + b, 0);
    let at = 0, acc = 0;
    g.forEach((v, c) => { acc += v / s; const to = c === clients - 1 ? rows.length : Math.round(acc * rows.length); parts[c].push(...rows.slice(at, to)); at = to; });
  }
  return parts.map((p) => (p.length ? p : [0]));
}
