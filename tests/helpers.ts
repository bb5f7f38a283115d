// Test helpers: an engine for the build under test, arena I/O, seeded data, comparisons,
// and central-difference gradient checks in f64.
import { expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { Engine, BuildName } from '../src/runtime/engine.js';
import { Rng } from '../src/runtime/rng.js';

export const BUILD = (process.env.AXON_BUILD ?? 'simd') as BuildName;

export async function engine(build: BuildName = BUILD): Promise<Engine> {
  const read = (b: string) => readFileSync(new URL(`../build/axon.${b}.wasm`, import.meta.url));
  return Engine.create({ simd: read('simd'), relaxed: read('relaxed') }, { build });
}

export function randn(n: number, seed = 1, scale = 1): Float32Array {
  const r = new Rng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r.normal() * scale;
  return a;
}

export function randInt(n: number, hi: number, seed = 1): Int32Array {
  const r = new Rng(seed);
  return Int32Array.from({ length: n }, () => r.int(hi));
}

/** Kernel call on fresh arena copies of the inputs; returns the arena pointers. */
export class Arena {
  private readonly m: number;
  constructor(readonly e: Engine) { this.m = e.mark(); }
  f32(data: ArrayLike<number> | number): number {
    const a = typeof data === 'number' ? new Float32Array(data) : Float32Array.from(data);
    return this.e.put(a.length ? a : new Float32Array(4));
  }
  i32(data: ArrayLike<number>): number { return this.e.put(Int32Array.from(data)); }
  read(p: number, n: number): Float32Array { return this.e.f32(p, n).slice(); }
  free(): void { this.e.reset(this.m); }
}

/** max |a-b| / (atol + rtol |b|) <= 1, with a readable failure. */
export function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, rtol = 1e-5, atol = 1e-6, what = ''): void {
  expect(a.length, `${what} length`).toBe(b.length);
  let worst = 0, at = -1;
  for (let i = 0; i < a.length; i++) {
    const r = Math.abs(a[i] - b[i]) / (atol + rtol * Math.abs(b[i]));
    if (!(r <= worst)) { worst = r; at = i; }
  }
  if (!(worst <= 1)) expect.fail(`${what} mismatch at ${at}: got ${a[at]}, want ${b[at]} (rtol ${rtol}, atol ${atol})`);
}

/**
 * Central-difference gradient of a scalar f64 function of x. Perturbation points where the
 * function has a kink (|x| < kink) are skipped by the caller's choice of inputs.
 */
export function numGrad(f: (x: Float64Array) => number, x: Float64Array, h = 1e-6): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    x[i] = v + h; const fp = f(x);
    x[i] = v - h; const fm = f(x);
    x[i] = v;
    g[i] = (fp - fm) / (2 * h);
  }
  return g;
}

/** Shapes to exercise: one tile, several tiles, smaller than a tile, ragged. */
export const SIZES = [1, 3, 4, 7, 8, 16, 33, 100, 257];
