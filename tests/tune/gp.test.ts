// The Gaussian process: Cholesky against a hand-checked factor, interpolation of noise-free data,
// posterior shape away from data, hyperparameters picked by marginal likelihood, and log-EI.
import { describe, it, expect } from 'vitest';
import { cholesky, solveLower, solveUpper, GaussianProcess, correlation } from '../../src/tune/gp.js';
import { logExpectedImprovement } from '../../src/tune/bayes.js';
import { Rng } from '../../src/runtime/rng.js';

describe('cholesky', () => {
  it('factors an SPD matrix (L Lᵀ = A) and solves with it', () => {
    const A = [4, 12, -16, 12, 37, -43, -16, -43, 98];
    const L = Float64Array.from(A);
    expect(cholesky(L, 3)).toBe(true);
    expect(Array.from(L)).toEqual([2, 0, 0, 6, 1, 0, -8, 5, 3]);
    const x = solveUpper(L, 3, solveLower(L, 3, [1, 2, 3]));
    for (let i = 0; i < 3; i++) expect(A[3 * i] * x[0] + A[3 * i + 1] * x[1] + A[3 * i + 2] * x[2]).toBeCloseTo(i + 1, 9);
  });
  it('reports a matrix that is not positive definite', () => expect(cholesky(Float64Array.from([1, 2, 2, 1]), 2)).toBe(false));
});

describe('GaussianProcess', () => {
  const f = (x: number[]) => Math.sin(6 * x[0]) + 0.5 * x[1];
  const rng = new Rng(3);
  const X = Array.from({ length: 30 }, () => [rng.uniform(), rng.uniform()]);
  const y = X.map(f);

  it.each(['matern52', 'rbf'] as const)('%s: interpolates noise-free data and predicts between points', (kernel) => {
    const gp = GaussianProcess.fit(X, y, { kernel });
    X.slice(0, 10).forEach((x, i) => { const p = gp.predict(x); expect(p.mean).toBeCloseTo(y[i], 2); expect(p.std).toBeLessThan(0.05); });
    for (const x of [[0.3, 0.4], [0.7, 0.5], [0.5, 0.9]]) expect(Math.abs(gp.predict(x).mean - f(x))).toBeLessThan(0.15);
    expect(gp.noise).toBeLessThanOrEqual(1e-3);
  });
  it('is uncertain far from the data and reverts toward the mean', () => {
    const gp = GaussianProcess.fit([[0.1], [0.15], [0.2]], [1, 2, 3]);
    expect(gp.predict([0.95]).std).toBeGreaterThan(5 * gp.predict([0.15]).std);
    expect(Math.abs(gp.predict([0.95]).mean - 2)).toBeLessThan(Math.abs(gp.predict([0.2]).mean - 2));
  });
  it('ARD: an irrelevant coordinate gets a longer length scale than the relevant one', () => {
    const r = new Rng(1);
    const Z = Array.from({ length: 40 }, () => [r.uniform(), r.uniform()]);
    const gp = GaussianProcess.fit(Z, Z.map((z) => Math.sin(8 * z[0])));
    expect(gp.lengthscales[1]).toBeGreaterThan(3 * gp.lengthscales[0]);
  });
  it('noisy data: fits a noise level instead of interpolating', () => {
    const r = new Rng(2);
    const Z = Array.from({ length: 40 }, () => [r.uniform()]);
    const gp = GaussianProcess.fit(Z, Z.map((z) => z[0] + 0.3 * r.normal()));
    expect(gp.noise).toBeGreaterThanOrEqual(0.05);
  });
  it('kernels are 1 at distance 0 and decay', () => {
    for (const k of ['matern52', 'rbf'] as const) {
      expect(correlation(k, 0)).toBe(1);
      expect(correlation(k, 1)).toBeLessThan(correlation(k, 0.5));
    }
  });
});

describe('logExpectedImprovement', () => {
  const ei = (m: number, s: number, b: number) => { // direct formula, fine where it does not underflow
    const z = (b - m) / s, phi = Math.exp(-z * z / 2) / Math.sqrt(2 * Math.PI);
    let cdf = 0; for (let t = -12; t < z; t += 1e-4) cdf += Math.exp(-t * t / 2) / Math.sqrt(2 * Math.PI) * 1e-4;
    return (b - m) * cdf + s * phi;
  };
  it.each([[0, 1, 0], [0, 1, 1], [1, 0.5, 0], [2, 0.3, 0], [0, 2, -3]])('mean %d std %d best %d matches the closed form', (m, s, b) => {
    expect(Math.exp(logExpectedImprovement(m, s, b))).toBeCloseTo(ei(m, s, b), 4);
  });
  it('stays finite and monotone far below the best (no underflow)', () => {
    const v = [4, 6, 10, 30, 100].map((m) => logExpectedImprovement(m, 1, 0));
    for (let i = 1; i < v.length; i++) expect(v[i]).toBeLessThan(v[i - 1]);
    expect(Number.isFinite(v[4])).toBe(true);
    const [a, b, c] = [7.999, 8, 8.001].map((m) => logExpectedImprovement(m, 1, 0)); // across the switch to the series
    expect(Math.abs((c - b) - (b - a))).toBeLessThan(1e-4);
  });
});
