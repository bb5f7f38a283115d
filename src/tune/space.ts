// Search spaces: parameter constructors, validation, seeded sampling, grids, and the unit-cube
// encoding the Gaussian process works in (continuous and integer dims → one coordinate in [0, 1],
// log-scaled when asked; choices → one-hot block).
import { AxonError } from '../errors.js';
import { Rng } from '../runtime/rng.js';

export type Value = number | string | boolean;
export interface Uniform { kind: 'uniform'; low: number; high: number }
export interface LogUniform { kind: 'logUniform'; low: number; high: number }
export interface IntRange { kind: 'intRange'; low: number; high: number; log?: boolean }
export interface Choice<T extends Value = Value> { kind: 'choice'; values: readonly T[] }
export type Param = Uniform | LogUniform | IntRange | Choice;
export type Space = Record<string, Param>;
/** The config type a space produces: choices give their value type, everything else a number. */
export type Config<S extends Space = Space> = { [K in keyof S]: S[K] extends Choice<infer T> ? T : number };

/** Real in [low, high]. */
export function uniform(low: number, high: number): Uniform { return { kind: 'uniform', low, high }; }
/** Real in [low, high], sampled uniformly in log space (0 < low). */
export function logUniform(low: number, high: number): LogUniform { return { kind: 'logUniform', low, high }; }
/** Integer in [low, high] inclusive (log-scaled when opts.log). */
export function intRange(low: number, high: number, opts: { log?: boolean } = {}): IntRange {
  return opts.log ? { kind: 'intRange', low, high, log: true } : { kind: 'intRange', low, high };
}
/** One of `values` (categorical: no order assumed). */
export function choice<const T extends Value>(values: readonly T[]): Choice<T> { return { kind: 'choice', values }; }

function bad(name: string, msg: string): AxonError {
  return new AxonError('BAD_CONFIG', `${name}: ${msg}`);
}

/** Throws BAD_CONFIG naming the source and the parameter unless every parameter is well formed. */
export function validateSpace(space: unknown, name = 'search space'): asserts space is Space {
  if (!space || typeof space !== 'object' || Array.isArray(space)) throw bad(name, 'the search space must be an object of parameters, e.g. {lr: logUniform(1e-4, 1e-1)}');
  const keys = Object.keys(space);
  if (keys.length === 0) throw bad(name, 'the search space is empty; add at least one parameter, e.g. {lr: logUniform(1e-4, 1e-1)}');
  for (const k of keys) {
    const p = (space as Record<string, Param>)[k];
    const where = `parameter "${k}"`;
    if (!p || typeof p !== 'object') throw bad(name, `${where} is not a parameter; use uniform, logUniform, intRange or choice`);
    if (p.kind === 'choice') {
      if (!Array.isArray(p.values) || p.values.length === 0) throw bad(name, `${where}: choice needs at least one value`);
      if (p.values.some((v) => !['number', 'string', 'boolean'].includes(typeof v) || (typeof v === 'number' && !Number.isFinite(v)))) {
        throw bad(name, `${where}: choice values must be finite numbers, strings or booleans`);
      }
      if (new Set(p.values).size !== p.values.length) throw bad(name, `${where}: choice values must be distinct`);
      continue;
    }
    if (p.kind !== 'uniform' && p.kind !== 'logUniform' && p.kind !== 'intRange') throw bad(name, `${where} has unknown kind "${(p as { kind: unknown }).kind}"; use uniform, logUniform, intRange or choice`);
    const { low, high } = p;
    if (!Number.isFinite(low) || !Number.isFinite(high)) throw bad(name, `${where}: ${p.kind} bounds must be finite numbers, got (${low}, ${high})`);
    if (p.kind === 'intRange' ? !(Number.isInteger(low) && Number.isInteger(high) && low <= high) : !(low < high)) {
      throw bad(name, `${where}: ${p.kind} needs ${p.kind === 'intRange' ? 'integers low <= high' : 'low < high'}, got (${low}, ${high})`);
    }
    if ((p.kind === 'logUniform' || (p.kind === 'intRange' && p.log)) && !(low > 0)) throw bad(name, `${where}: a log scale needs 0 < low, got ${low}`);
  }
}

/**
 * Reads a space from JSON: {"lr": {"logUniform": [1e-4, 0.1]}, "units": {"intRange": [16, 256]},
 * "dropout": {"uniform": [0, 0.5]}, "optimizer": {"choice": ["adam", "sgd"]}}.
 */
export function spaceFromJSON(json: unknown, name = 'search space'): Space {
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw bad(name, 'the search space must be a JSON object of parameters');
  const space: Space = {};
  for (const [k, v] of Object.entries(json as Record<string, unknown>)) {
    const [kind, args] = Object.entries((v ?? {}) as Record<string, unknown>)[0] ?? [];
    const a = args as number[];
    if (kind === 'choice') space[k] = choice(args as Value[]);
    else if ((kind === 'uniform' || kind === 'logUniform' || kind === 'intRange' || kind === 'intLogRange') && Array.isArray(a) && a.length === 2) {
      space[k] = kind === 'uniform' ? uniform(a[0], a[1]) : kind === 'logUniform' ? logUniform(a[0], a[1]) : intRange(a[0], a[1], { log: kind === 'intLogRange' });
    } else throw bad(name, `parameter "${k}" should look like {"uniform": [low, high]}, {"logUniform": [..]}, {"intRange": [..]}, {"intLogRange": [..]} or {"choice": [..]}`);
  }
  validateSpace(space, name);
  return space;
}

/** Width of the unit-cube encoding (one per numeric parameter, one per choice value). */
export function encodedWidth(space: Space): number {
  return Object.values(space).reduce((n, p) => n + (p.kind === 'choice' ? p.values.length : 1), 0);
}

/** For each encoded coordinate, the index of the parameter it belongs to. */
export function encodedGroups(space: Space): number[] {
  return Object.values(space).flatMap((p, i) => new Array(p.kind === 'choice' ? p.values.length : 1).fill(i));
}

const logs = (p: Uniform | LogUniform | IntRange) => p.kind === 'logUniform' || (p.kind === 'intRange' && !!p.log);

/** The value of numeric parameter p at unit coordinate u (clamped; integers rounded). */
function fromUnit(p: Uniform | LogUniform | IntRange, u: number): number {
  u = Math.min(1, Math.max(0, u));
  const v = logs(p) ? Math.exp(Math.log(p.low) + u * (Math.log(p.high) - Math.log(p.low))) : p.low + u * (p.high - p.low);
  return Math.min(p.high, Math.max(p.low, p.kind === 'intRange' ? Math.round(v) : v));
}

function toUnit(p: Uniform | LogUniform | IntRange, v: number): number {
  if (p.high === p.low) return 0.5;
  return logs(p) ? (Math.log(v) - Math.log(p.low)) / (Math.log(p.high) - Math.log(p.low)) : (v - p.low) / (p.high - p.low);
}

/** A config's point in the unit cube. */
export function encode<S extends Space>(space: S, config: Config<S>): number[] {
  return Object.entries(space).flatMap(([k, p]) => (p.kind === 'choice' ? p.values.map((v) => (v === config[k] ? 1 : 0)) : [toUnit(p, config[k] as number)]));
}

/** The config nearest to a point of the unit cube (choices: the largest coordinate of the block). */
export function decode<S extends Space>(space: S, u: ArrayLike<number>): Config<S> {
  const c: Record<string, Value> = {};
  let o = 0;
  for (const [k, p] of Object.entries(space)) {
    if (p.kind === 'choice') {
      let best = 0;
      for (let j = 1; j < p.values.length; j++) if (u[o + j] > u[o + best]) best = j;
      c[k] = p.values[best];
      o += p.values.length;
    } else c[k] = fromUnit(p, u[o++]);
  }
  return c as Config<S>;
}

/** A uniformly random config (log-uniform for log parameters). */
export function sampleConfig<S extends Space>(space: S, rng: Rng): Config<S> {
  const c: Record<string, Value> = {};
  for (const [k, p] of Object.entries(space)) {
    if (p.kind === 'choice') c[k] = p.values[rng.int(p.values.length)];
    else if (p.kind === 'intRange' && !p.log) c[k] = p.low + rng.int(p.high - p.low + 1);
    else c[k] = fromUnit(p, rng.uniform());
  }
  return c as Config<S>;
}

/** Values a grid takes for each parameter: `points` spread over numeric ranges, all choices. */
export function gridAxes(space: Space, points: number): Value[][] {
  return Object.values(space).map((p) => {
    if (p.kind === 'choice') return [...p.values];
    const us = points === 1 ? [0.5] : Array.from({ length: points }, (_, i) => i / (points - 1));
    return [...new Set(us.map((u) => fromUnit(p, u)))];
  });
}

/** Number of points of the grid. */
export function gridSize(space: Space, points: number): number {
  return gridAxes(space, points).reduce((n, a) => n * a.length, 1);
}

/** The index-th grid config (mixed radix, last parameter fastest), without building the grid. */
export function gridPoint<S extends Space>(space: S, axes: Value[][], index: number): Config<S> {
  const keys = Object.keys(space), c: Record<string, Value> = {};
  for (let i = keys.length - 1; i >= 0; i--) {
    c[keys[i]] = axes[i][index % axes[i].length];
    index = Math.floor(index / axes[i].length);
  }
  return Object.fromEntries(keys.map((k) => [k, c[k]])) as Config<S>;
}

/** A stable string for a config (to spot repeats). */
export function configKey(config: Record<string, Value>): string {
  return JSON.stringify(Object.entries(config).map(([k, v]) => [k, typeof v === 'number' ? +v.toPrecision(12) : v]));
}

/**
 * A space-filling visiting order of a grid with the given axis lengths: grid indices (mixed radix,
 * last axis fastest) in the order a Weyl (Kronecker) low-discrepancy sequence reaches their cells:
 * u_k = frac(1/2 + k·α), α_i = frac(√p_i) for the i-th prime, so the centre comes first and every
 * axis sees most of its values within the first few points (checked against the R_d and Halton
 * sequences, which repeat values on some axes early). Cells not reached after 32 passes follow in grid
 * order, so every index comes exactly once. A search cut short by a budget thus samples the whole grid
 * instead of one corner of it.
 */
export function* spaceFillingOrder(lengths: number[]): Generator<number> {
  const d = lengths.length, size = lengths.reduce((n, l) => n * l, 1);
  const primes: number[] = [];
  for (let p = 2; primes.length < d; p++) if (primes.every((q) => p % q)) primes.push(p);
  const alpha = primes.map((p) => Math.sqrt(p) % 1);
  const seen = new Uint8Array(size);
  let count = 0;
  for (let k = 0; count < size && k < 32 * size; k++) {
    let index = 0;
    for (let i = 0; i < d; i++) { const u = (0.5 + k * alpha[i]) % 1; index = index * lengths[i] + Math.min(lengths[i] - 1, Math.floor(u * lengths[i])); }
    if (!seen[index]) { seen[index] = 1; count++; yield index; }
  }
  for (let i = 0; i < size && count < size; i++) if (!seen[i]) { seen[i] = 1; count++; yield i; }
}
