// Gaussian-process regression for Bayesian optimization on the unit cube: Matérn 5/2 or RBF kernel,
// targets standardized, hyperparameters (length scales, noise) chosen by maximizing the log marginal
// likelihood over a small grid: one isotropic sweep, then per-group (ARD) coordinate sweeps. The
// signal variance is profiled out in closed form, so each grid point costs one Cholesky.
// see: Rasmussen & Williams, Gaussian Processes for Machine Learning (2006), alg. 2.1 and eq. 4.17.
import { AxonError } from '../errors.js';

export type Kernel = 'matern52' | 'rbf';

export interface GpOptions {
  kernel?: Kernel;
  /** Coordinate → length-scale group (e.g. all one-hot coordinates of a choice share one). */
  groups?: number[];
  /** Fit one length scale per group when there are enough points (default true). */
  ard?: boolean;
}

const LENGTHS = [0.04, 0.07, 0.12, 0.2, 0.3, 0.45, 0.7, 1, 1.5, 2.5];
const ARD_LENGTHS = /* @__PURE__ */ LENGTHS.concat([5, 20]);   // (not a spread: that would keep this module in every bundle)
const NOISES = [1e-6, 1e-4, 1e-3, 1e-2, 0.05, 0.2]; // noise variance / signal variance
const JITTER = 1e-9;

/** In-place lower Cholesky factor of the n×n row-major SPD matrix a; false if not positive definite. */
export function cholesky(a: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    for (let k = 0; k < j; k++) d -= a[j * n + k] * a[j * n + k];
    if (!(d > 0)) return false;
    const l = Math.sqrt(d);
    a[j * n + j] = l;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = s / l;
    }
    for (let k = j + 1; k < n; k++) a[j * n + k] = 0;
  }
  return true;
}

/** Solves L z = b (forward substitution) into a new array. */
export function solveLower(L: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= L[i * n + k] * z[k];
    z[i] = s / L[i * n + i];
  }
  return z;
}

/** Solves Lᵀ z = b (back substitution) into a new array. */
export function solveUpper(L: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  const z = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = i + 1; k < n; k++) s -= L[k * n + i] * z[k];
    z[i] = s / L[i * n + i];
  }
  return z;
}

/** Kernel correlation (unit signal variance) at scaled distance r. */
export function correlation(kernel: Kernel, r: number): number {
  if (kernel === 'rbf') return Math.exp(-0.5 * r * r);
  const s = Math.sqrt(5) * r;
  return (1 + s + (s * s) / 3) * Math.exp(-s);
}

export class GaussianProcess {
  private constructor(
    private readonly X: number[][], private readonly L: Float64Array, private readonly alpha: Float64Array,
    readonly kernel: Kernel, readonly lengthscales: number[], readonly noise: number, readonly signal: number,
    readonly logLikelihood: number, readonly yMean: number, readonly yStd: number,
  ) {}

  /** Fits to points X (in the unit cube) and targets y. */
  static fit(X: number[][], y: number[], opts: GpOptions = {}): GaussianProcess {
    const n = X.length, d = X[0]?.length ?? 0, kernel = opts.kernel ?? 'matern52';
    if (n === 0 || y.length !== n) throw new AxonError('BAD_ARGUMENT', `GaussianProcess.fit: got ${n} points and ${y.length} targets; it needs as many targets as points, and at least one`);
    const groups = opts.groups ?? Array.from({ length: d }, (_, i) => i);
    const ng = Math.max(0, ...groups) + 1;
    const yMean = y.reduce((a, b) => a + b, 0) / n;
    const yStd = Math.sqrt(y.reduce((a, b) => a + (b - yMean) ** 2, 0) / n) || 1;
    const yn = y.map((v) => (v - yMean) / yStd);
    const score = (ls: number[], noise: number) => fitOnce(X, yn, kernel, groups.map((g) => ls[g]), noise);
    let best = { ls: new Array(ng).fill(1), noise: NOISES[0], fit: score(new Array(ng).fill(1), NOISES[0]) };
    for (const l of LENGTHS) for (const noise of NOISES) {
      const ls = new Array(ng).fill(l), fit = score(ls, noise);
      if (fit.lml > best.fit.lml) best = { ls, noise, fit };
    }
    if ((opts.ard ?? true) && ng > 1 && n > 2 * ng) {
      for (let sweep = 0; sweep < 2; sweep++) {
        for (let g = 0; g < ng; g++) {
          for (const l of ARD_LENGTHS) {
            const ls = best.ls.slice(); ls[g] = l;
            const fit = score(ls, best.noise);
            if (fit.lml > best.fit.lml) best = { ls, noise: best.noise, fit };
          }
        }
        for (const noise of NOISES) {
          const fit = score(best.ls, noise);
          if (fit.lml > best.fit.lml) best = { ls: best.ls, noise, fit };
        }
      }
    }
    const f = best.fit;
    if (!f.L) throw new AxonError('NOT_FINITE', 'GaussianProcess.fit: no kernel matrix was positive definite; check the targets are finite');
    return new GaussianProcess(X, f.L, f.alpha!, kernel, groups.map((g) => best.ls[g]), best.noise, f.signal, f.lml, yMean, yStd);
  }

  /** Posterior mean and standard deviation of the latent function at x, in standardized units. */
  predictStd(x: number[]): { mean: number; std: number } {
    const n = this.X.length, k = new Float64Array(n);
    for (let i = 0; i < n; i++) k[i] = correlation(this.kernel, dist(this.X[i], x, this.lengthscales));
    let mean = 0;
    for (let i = 0; i < n; i++) mean += k[i] * this.alpha[i];
    const v = solveLower(this.L, n, k);
    let vv = 0;
    for (let i = 0; i < n; i++) vv += v[i] * v[i];
    return { mean, std: Math.sqrt(this.signal * Math.max(1e-12, 1 - vv)) };
  }

  /** Posterior mean and standard deviation at x, in the units of y. */
  predict(x: number[]): { mean: number; std: number } {
    const p = this.predictStd(x);
    return { mean: p.mean * this.yStd + this.yMean, std: p.std * this.yStd };
  }
}

function dist(a: number[], b: number[], ls: number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) { const t = (a[i] - b[i]) / ls[i]; s += t * t; }
  return Math.sqrt(s);
}

/** One candidate: Cholesky of C + noise I, alpha = (C + noise I)⁻¹ y, profiled signal and LML. */
function fitOnce(X: number[][], y: number[], kernel: Kernel, ls: number[], noise: number) {
  const n = X.length, C = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    C[i * n + i] = 1 + noise + JITTER;
    for (let j = 0; j < i; j++) C[i * n + j] = C[j * n + i] = correlation(kernel, dist(X[i], X[j], ls));
  }
  if (!cholesky(C, n)) return { lml: -Infinity, signal: 1, L: undefined, alpha: undefined };
  const alpha = solveUpper(C, n, solveLower(C, n, y));
  let quad = 0, logDet = 0;
  for (let i = 0; i < n; i++) { quad += y[i] * alpha[i]; logDet += 2 * Math.log(C[i * n + i]); }
  const signal = Math.max(quad / n, 1e-12);
  const lml = -0.5 * n * (1 + Math.log(2 * Math.PI * signal)) - 0.5 * logDet;
  return { lml, signal, L: C, alpha };
}
