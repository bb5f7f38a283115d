// The trial loop shared by every search: budgets (trials and/or seconds), a stop-at target, the
// report() callback with median-rule early stopping, failed trials, and the results. gridSearch and
// randomSearch are thin proposers on top; bayesSearch lives in bayes.ts.
import { AxonError } from '../errors.js';
import { Rng } from '../runtime/rng.js';
import { Space, Config, validateSpace, sampleConfig, gridAxes, gridPoint, spaceFillingOrder } from './space.js';
import { medianShouldStop, MedianRuleOptions, Curve } from './median.js';
import { SearchResult, Trial, makeResult } from './results.js';

export type Direction = 'min' | 'max';

export interface TrialContext {
  /** 0-based trial number. */
  trial: number;
  /**
   * Reports an intermediate value (e.g. validation loss after epoch `step`). Throws TrialPruned when
   * the median stopping rule ends the trial: let it propagate (use try/finally to clean up).
   */
  report(step: number, value: number): void;
}

/** The function being tuned: a config in, a score out (lower is better unless direction 'max'). */
export type Objective<C> = (config: C, ctx: TrialContext) => number | Promise<number>;

export interface SearchOptions {
  /** 'min' (default: lower is better) or 'max'. */
  direction?: Direction;
  /** Trial budget. Default: the grid size for gridSearch, else 20 (unbounded if only seconds is set). */
  trials?: number;
  /** Wall-clock budget: no trial starts after this many seconds. */
  seconds?: number;
  /** Seed of every random draw of the search. Default 0. */
  seed?: number;
  /** Stop the search once a trial reaches this value (at least as good). */
  target?: number;
  /** Median stopping rule for trials that call report(); false turns it off. */
  pruning?: false | MedianRuleOptions;
  /** Name of the space's source (e.g. "tune.json"), used in error messages. */
  name?: string;
  /** Called after each trial. */
  onTrial?: (t: Trial<Record<string, unknown>>) => void;
}

/** Thrown by report() to end a trial early; the search catches it and records the trial as pruned. */
export class TrialPruned extends Error {
  constructor(readonly step: number) { super(`trial stopped early at step ${step} by the median stopping rule`); this.name = 'TrialPruned'; }
}

/** What a proposer sees: the trials so far, the search's Rng, and the minimizing sign. */
export interface History<C> { trials: Trial<C>[]; rng: Rng; sign: 1 | -1 }
export type Proposer<C> = (h: History<C>) => C;

function checkOptions(o: SearchOptions, name: string): void {
  const bad = (msg: string) => new AxonError('BAD_CONFIG', `${name}: ${msg}`);
  if (o.direction !== undefined && o.direction !== 'min' && o.direction !== 'max') throw bad(`direction "${o.direction}" must be "min" or "max"`);
  if (o.trials !== undefined && !(Number.isInteger(o.trials) && o.trials >= 1)) throw bad(`trials budget ${o.trials} must be a positive integer`);
  if (o.seconds !== undefined && !(o.seconds > 0)) throw bad(`seconds budget ${o.seconds} must be positive`);
}

/** Runs trials proposed by `propose` until a budget or the target is reached. */
export async function runSearch<S extends Space>(
  space: S, objective: Objective<Config<S>>, propose: Proposer<Config<S>>, opts: SearchOptions = {}, maxTrials = Infinity,
): Promise<SearchResult<Config<S>>> {
  const name = opts.name ?? 'search space';
  validateSpace(space, name);
  checkOptions(opts, name);
  if (typeof objective !== 'function') throw new AxonError('BAD_CONFIG', `${name}: the objective must be a function (config, {report}) => number`);
  const sign = opts.direction === 'max' ? -1 : 1;
  const budget = Math.min(maxTrials, opts.trials ?? (opts.seconds !== undefined ? Infinity : 20));
  const deadline = opts.seconds !== undefined ? now() + opts.seconds * 1000 : Infinity;
  const rng = new Rng(opts.seed ?? 0);
  const trials: Trial<Config<S>>[] = [];
  const done: Curve[] = [];
  while (trials.length < budget && now() < deadline) {
    const config = propose({ trials, rng, sign });
    const curve: Curve = [];
    const t0 = now(), id = trials.length;
    const report = (step: number, value: number) => {
      if (!Number.isFinite(step) || !Number.isFinite(value)) return; // a diverging run ends with its final value
      curve.push({ step, value: sign * value });
      if (opts.pruning !== false && medianShouldStop(curve, done, opts.pruning || {})) throw new TrialPruned(step);
    };
    let value: number, state: Trial<unknown>['state'] = 'complete';
    try {
      value = await objective(config, { trial: id, report });
      if (typeof value !== 'number' || !Number.isFinite(value)) { state = 'failed'; value = NaN; }
    } catch (e) {
      if (e instanceof TrialPruned) { state = 'pruned'; value = curve.length ? sign * Math.min(...curve.map((p) => p.value)) : NaN; }
      else if (e instanceof AxonError && e.code === 'NOT_FINITE') { state = 'failed'; value = NaN; }
      else throw e;
    }
    if (state === 'complete' && curve.length) done.push(curve);
    const trial: Trial<Config<S>> = { id, config, value, state, steps: curve.length, seconds: (now() - t0) / 1000 };
    trials.push(trial);
    opts.onTrial?.(trial as Trial<Record<string, unknown>>);
    if (state === 'complete' && opts.target !== undefined && sign * value <= sign * opts.target) break;
  }
  return makeResult(trials, opts.direction ?? 'min');
}

function now(): number { return globalThis.performance?.now() ?? Date.now(); }

/**
 * Tries the grid (`points` values per numeric parameter, default 5, evenly spaced in its scale;
 * every choice) within the budgets. Order: when a trial or time budget may stop it before the grid
 * is done, a space-filling order (spaceFillingOrder: the centre first, then points spread over every
 * dimension), else grid order (last parameter fastest); `order` overrides. The result says which.
 */
export async function gridSearch<S extends Space>(
  space: S, objective: Objective<Config<S>>, opts: SearchOptions & { points?: number; order?: GridOrder } = {},
): Promise<SearchResult<Config<S>> & { order: GridOrder }> {
  const name = opts.name ?? 'search space';
  validateSpace(space, name);
  const points = opts.points ?? 5;
  if (!(Number.isInteger(points) && points >= 1)) throw new AxonError('BAD_CONFIG', `${name}: grid points per dimension ${points} must be a positive integer`);
  if (opts.order !== undefined && opts.order !== 'grid' && opts.order !== 'spaceFilling') throw new AxonError('BAD_CONFIG', `${name}: grid order "${opts.order}" must be "grid" or "spaceFilling"`);
  const axes = gridAxes(space, points);
  const size = axes.reduce((n, a) => n * a.length, 1);
  const order = opts.order ?? ((opts.trials !== undefined && opts.trials < size) || opts.seconds !== undefined ? 'spaceFilling' : 'grid');
  const seq = order === 'spaceFilling' ? spaceFillingOrder(axes.map((a) => a.length)) : undefined;
  const result = await runSearch(space, objective, (h) => gridPoint(space, axes, seq ? seq.next().value as number : h.trials.length), { ...opts, trials: opts.trials ?? size }, size);
  return Object.assign(result, { order });
}

/** How gridSearch walks the grid: 'grid' (last parameter fastest) or 'spaceFilling'. */
export type GridOrder = 'grid' | 'spaceFilling';

/** Tries seeded uniformly random configs (log-uniform for log parameters) within the budgets. */
export async function randomSearch<S extends Space>(
  space: S, objective: Objective<Config<S>>, opts: SearchOptions = {},
): Promise<SearchResult<Config<S>>> {
  return runSearch(space, objective, (h) => sampleConfig(space, h.rng), opts);
}
