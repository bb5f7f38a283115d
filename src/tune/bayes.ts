// Bayesian optimization: after a few seeded random trials, each proposal fits a Gaussian process
// (gp.ts) to every finite result so far (pruned trials at their last best value, failed trials at the
// worst value seen) and picks the config with the highest expected improvement. EI is maximized by
// scoring random configs, then hill-climbing from the best of them and of the observed points with
// shrinking Gaussian perturbations. Log-EI keeps far-from-best candidates comparable (no underflow).
import { AxonError } from '../errors.js';
import { Rng } from '../runtime/rng.js';
import { GaussianProcess, Kernel } from './gp.js';
import { Space, Config, validateSpace, encode, decode, sampleConfig, encodedGroups, configKey } from './space.js';
import { runSearch, Objective, SearchOptions, History } from './search.js';
import type { SearchResult } from './results.js';

export interface BayesOptions extends SearchOptions {
  /** Random trials before the first GP proposal. Default max(5, parameters + 1). */
  initialTrials?: number;
  /** GP kernel, default 'matern52'. */
  kernel?: Kernel;
  /** Random candidates scored per proposal, default 1000. */
  candidates?: number;
  /** EI margin in standardized units (larger explores more), default 0. */
  xi?: number;
}

/** Standard normal CDF via erfc (Numerical Recipes erfcc: relative error < 1.2e-7). */
function normalCdf(z: number): number {
  const x = -z / Math.SQRT2, a = Math.abs(x), t = 1 / (1 + 0.5 * a);
  const r = t * Math.exp(-a * a - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
    + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return 0.5 * (x >= 0 ? r : 2 - r);
}

/** log(z Φ(z) + φ(z)), with the asymptotic series where the direct form cancels. */
function logH(z: number): number {
  if (z > -8) return Math.log(z * normalCdf(z) + Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI));
  const z2 = z * z;
  return -0.5 * z2 - 0.5 * Math.log(2 * Math.PI) - Math.log(z2) + Math.log(1 - 3 / z2 + 15 / z2 ** 2 - 105 / z2 ** 3 + 945 / z2 ** 4);
}

/** log of the expected improvement below `best` of a normal(mean, std) prediction (minimizing). */
export function logExpectedImprovement(mean: number, std: number, best: number, xi = 0): number {
  if (!(std > 0)) return best - mean - xi > 0 ? Math.log(best - mean - xi) : -Infinity;
  return Math.log(std) + logH((best - mean - xi) / std);
}

/** Proposes the next config from the history (exported for tests and custom loops). */
export function proposeBayes<S extends Space>(space: S, h: History<Config<S>>, opts: BayesOptions = {}): Config<S> {
  const { rng, sign } = h;
  const init = opts.initialTrials ?? Math.max(5, Object.keys(space).length + 1);
  const seen = new Set(h.trials.map((t) => configKey(t.config as Record<string, never>)));
  const fresh = () => {
    for (let i = 0; i < 100; i++) { const c = sampleConfig(space, rng); if (!seen.has(configKey(c as Record<string, never>))) return c; }
    return sampleConfig(space, rng);
  };
  const obs = h.trials.filter((t) => Number.isFinite(t.value));
  if (obs.length < init) return fresh();
  const X = obs.map((t) => encode(space, t.config)), y = obs.map((t) => sign * t.value);
  const worst = Math.max(...y);
  for (const t of h.trials) if (!Number.isFinite(t.value)) { X.push(encode(space, t.config)); y.push(worst); }
  const done = obs.filter((t) => t.state === 'complete');
  const bestY = Math.min(...(done.length ? done.map((t) => sign * t.value) : y));
  const gp = GaussianProcess.fit(X, y, { kernel: opts.kernel, groups: encodedGroups(space) });
  const best = (bestY - gp.yMean) / gp.yStd, xi = opts.xi ?? 0;
  const score = (u: number[]) => { const p = gp.predictStd(u); return logExpectedImprovement(p.mean, p.std, best, xi); };
  const snap = (u: number[]) => encode(space, decode(space, u)); // onto the lattice of integers and choices

  const cands: { u: number[]; s: number }[] = [];
  for (let i = 0; i < (opts.candidates ?? 1000); i++) { const u = encode(space, sampleConfig(space, rng)); cands.push({ u, s: score(u) }); }
  cands.sort((a, b) => b.s - a.s);
  const starts = [...cands.slice(0, 5), ...obs.slice().sort((a, b) => sign * (a.value - b.value)).slice(0, 3)
    .map((t) => { const u = encode(space, t.config); return { u, s: score(u) }; })];
  const groups = encodedGroups(space), kinds = Object.values(space).map((p) => p.kind);
  for (const start of starts) {
    let cur = start;
    for (const scale of [0.1, 0.03, 0.01, 0.003, 0.001]) {
      for (let k = 0; k < 15; k++) {
        const u = snap(perturb(cur.u, groups, kinds, scale, rng)), s = score(u);
        if (s > cur.s) cur = { u, s };
      }
    }
    cands.push(cur);
  }
  cands.sort((a, b) => b.s - a.s);
  for (const c of cands) {
    const config = decode(space, c.u);
    if (!seen.has(configKey(config as Record<string, never>))) return config;
  }
  return fresh();
}

function perturb(u: number[], groups: number[], kinds: string[], scale: number, rng: Rng): number[] {
  const v = u.slice();
  for (let i = 0; i < v.length; i++) {
    if (kinds[groups[i]] !== 'choice') v[i] = Math.min(1, Math.max(0, v[i] + scale * rng.normal()));
  }
  for (let g = 0; g < kinds.length; g++) { // NOTE: a choice jumps to a random value with probability 2 * scale
    if (kinds[g] !== 'choice' || rng.uniform() >= 2 * scale) continue;
    const idx = groups.flatMap((gi, i) => (gi === g ? [i] : []));
    const pick = idx[rng.int(idx.length)];
    for (const i of idx) v[i] = i === pick ? 1 : 0;
  }
  return v;
}

/** Bayesian optimization (GP + expected improvement) within the budgets. */
export async function bayesSearch<S extends Space>(space: S, objective: Objective<Config<S>>, opts: BayesOptions = {}): Promise<SearchResult<Config<S>>> {
  const name = opts.name ?? 'search space';
  validateSpace(space, name);
  for (const k of ['initialTrials', 'candidates'] as const) {
    const v = opts[k];
    if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw new AxonError('BAD_CONFIG', `${name}: ${k} ${v} must be a positive integer`);
  }
  if (opts.kernel !== undefined && opts.kernel !== 'matern52' && opts.kernel !== 'rbf') throw new AxonError('BAD_CONFIG', `${name}: kernel "${opts.kernel}" must be "matern52" or "rbf"`);
  return runSearch(space, objective, (h) => proposeBayes(space, h, opts), opts);
}
