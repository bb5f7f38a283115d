// Kernel-test kit: describe a call as a list of arguments (buffers and scalars), run it on fresh
// guarded arena copies, and compare __simd against __ref. Every call checks that nothing was
// written outside the output buffers (guard bytes around every buffer) and that inputs are unchanged.
import { expect } from 'vitest';
import { Engine } from '../../src/runtime/engine.js';
import { BUILD, expectClose } from '../helpers.js';

type Kind = 'f32' | 'i32' | 'u32' | 'u8';
const CTOR = { f32: Float32Array, i32: Int32Array, u32: Uint32Array, u8: Uint8Array };
export type Data = Float32Array | Int32Array | Uint32Array | Uint8Array;

/** A buffer argument: `out` buffers may be written, inputs must come back unchanged. */
export class Buf {
  readonly data: Data;
  constructor(readonly kind: Kind, data: ArrayLike<number>, readonly isOut: boolean) { this.data = CTOR[kind].from(data); }
}
export type Arg = number | Buf;

/** Output (or in/out) f32 buffer: n zeros or the given initial contents. */
export const out = (init: number | ArrayLike<number>): Buf => new Buf('f32', typeof init === 'number' ? new Float32Array(init) : init, true);
export const inp = (d: ArrayLike<number>): Buf => new Buf('f32', d, false);
export const idx = (d: ArrayLike<number>): Buf => new Buf('i32', d, false);
export const bytes = (d: ArrayLike<number>): Buf => new Buf('u8', d, false);
/** PRNG state (4 u32), written by the kernel. */
export const state = (s: ArrayLike<number>): Buf => new Buf('u32', s, true);

const GUARD = 32; // bytes each side; the buffer itself starts 16-byte aligned and ends unpadded
const guardByte = (i: number) => (0xa5 ^ (i * 29)) & 0xff;

export interface Result { outs: Data[]; ret: number }

/** Runs kernel `name` on guarded arena copies of args; returns the output buffers in order. */
export function run(e: Engine, name: string, args: Arg[]): Result {
  const k = e.kernels[name];
  if (typeof k !== 'function') throw new Error(`no kernel ${name} in the ${e.build} build`);
  const mark = e.mark();
  try {
    const bufs = args.map((a) => {
      if (typeof a === 'number') return null;
      const nb = a.data.byteLength;
      const base = e.alloc(GUARD + nb + GUARD);
      const mem = new Uint8Array(e.memory.buffer, base, GUARD + nb + GUARD);
      for (let i = 0; i < GUARD; i++) { mem[i] = guardByte(i); mem[GUARD + nb + i] = guardByte(i + 1); }
      e.write(base + GUARD, a.data);
      return { a, base, ptr: base + GUARD, nb };
    });
    const ret = k(...args.map((a, i) => (typeof a === 'number' ? a : bufs[i]!.ptr)));
    const outs: Data[] = [];
    for (const b of bufs) {
      if (!b) continue;
      const mem = new Uint8Array(e.memory.buffer, b.base, GUARD + b.nb + GUARD);
      for (let i = 0; i < GUARD; i++) {
        if (mem[i] !== guardByte(i)) expect.fail(`${name}: wrote ${GUARD - i} bytes before a buffer`);
        if (mem[GUARD + b.nb + i] !== guardByte(i + 1)) expect.fail(`${name}: wrote byte ${i} past the end of a ${b.a.data.length}-element buffer`);
      }
      const got = new CTOR[b.a.kind](e.memory.buffer.slice(b.ptr, b.ptr + b.nb));
      if (b.a.isOut) outs.push(got);
      else if (!sameBits(got, b.a.data)) expect.fail(`${name}: modified an input buffer`);
    }
    return { outs, ret };
  } finally {
    e.reset(mark);
  }
}

/** The output buffers as f32 (the usual case). */
export const call = (e: Engine, name: string, args: Arg[]): Float32Array[] => run(e, name, args).outs as Float32Array[];

function sameBits(a: Data, b: Data): boolean {
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength), y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** Tolerance: 'exact' compares bit patterns; otherwise expectClose's rtol/atol. */
export type Tol = 'exact' | { rtol: number; atol: number };
export const EXACT: Tol = 'exact';
export const close = (rtol: number, atol: number): Tol => ({ rtol, atol });
/** Exact on the SIMD128 build; a fused multiply-add (relaxed build) may differ in the last bit. */
export const FMA: Tol = BUILD === 'relaxed' ? close(1e-6, 1e-6) : EXACT;

export function expectMatch(got: ArrayLike<number>, want: ArrayLike<number>, tol: Tol, what: string): void {
  if (tol === 'exact') {
    const a = Float32Array.from(got), b = Float32Array.from(want);
    expect(a.length, `${what} length`).toBe(b.length);
    const i = a.findIndex((v, j) => !Object.is(v, b[j]));
    if (i >= 0) expect.fail(`${what}: element ${i} is ${a[i]}, want exactly ${b[i]}`);
  } else expectClose(got, want, tol.rtol, tol.atol, what);
}

/** `${name}__simd` against `${name}__ref` on the same arguments: outputs and return value. */
export function twins(e: Engine, name: string, args: Arg[], tol: Tol, what = ''): void {
  const r = run(e, `${name}__ref`, args), s = run(e, `${name}__simd`, args);
  expect(s.ret, `${name} ${what} return value`).toBe(r.ret);
  r.outs.forEach((o, i) => expectMatch(s.outs[i], o, tol, `${name} ${what} output ${i}`));
}

/** Rows x cols shapes for row kernels: cols below, at and above one vector, ragged. */
export const ROWS_COLS: [number, number][] = [[1, 1], [2, 3], [3, 4], [1, 5], [4, 7], [2, 8], [5, 10], [3, 33], [7, 100], [2, 257]];

/** Units in the last place of f32 at the true value v. */
export function ulps(got: number, want: number): number {
  const a = Math.abs(want);
  const u = a < 2 ** -126 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(a)) - 23);
  return Math.abs(got - want) / u;
}

/** Uniform values in [lo, hi], f32-rounded, from a fixed seed. */
export function uniform(n: number, lo: number, hi: number, seed = 7): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((hi - lo) * s) / 2 ** 32;
  });
}
