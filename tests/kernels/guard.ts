// Arena blocks with sentinel bytes on both sides, for kernels tested "inside guarded buffers" by hand
// (the int8 families, whose buffers mix dtypes and packed layouts the generic twins() kit does not know).
import { expect } from 'vitest';
import type { Engine } from '../../src/runtime/engine.js';

export const GUARD = 32, SENTINEL = 0x5a;

/** guarded(bytes) → pointer, expectGuards(p, bytes, what), put(typed array) → pointer; on the engine `get` returns (set in beforeAll). */
export function guards(get: () => Engine) {
  const guarded = (bytes: number): number => {
    const e = get(), p = e.alloc(bytes + 2 * GUARD + 16);
    e.u8(p, bytes + 2 * GUARD).fill(SENTINEL);
    return p + GUARD;
  };
  const expectGuards = (p: number, bytes: number, what: string): void => {
    const e = get(), ok = e.u8(p - GUARD, GUARD).every((b) => b === SENTINEL) && e.u8(p + bytes, GUARD).every((b) => b === SENTINEL);
    expect(ok, `${what}: wrote outside its buffer`).toBe(true);
  };
  const put = (data: Int8Array | Int32Array | Float32Array): number => { const p = guarded(data.byteLength); get().write(p, data); return p; };
  return { guarded, expectGuards, put };
}
