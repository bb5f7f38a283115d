// Bump allocator over linear memory, 16-byte aligned (v128). The host carves every buffer a
// plan needs from here; kernels never allocate. mark()/reset(mark) free everything above a mark.
// The threaded build keeps the threads' control block (mt.ts) below the arena, and the workers'
// scratch, once allocated, below a floor that reset() never goes under.
import { MT_CTL_BYTES } from './mt';

// @ts-ignore: decorator
@inline function base(): usize { return ((__heap_base + 15) & ~15) + (ASC_FEATURE_THREADS ? MT_CTL_BYTES : 0); }

let top: usize = base();
let floor: usize = base();

/** Start of the arena (first usable byte). */
export function arena_base(): usize { return base(); }

/** Current top of the arena. */
export function arena_mark(): usize { return top; }

/** Frees everything allocated after `mark` (never what lies below the floor). */
export function arena_reset(mark: usize): void {
  if (mark >= base() && mark <= top) top = max(mark, floor);
}

/** Allocates `bytes` (rounded up to 16), growing memory as needed; returns 0 when memory cannot grow. */
export function arena_alloc(bytes: usize): usize {
  const p = top;
  if (bytes > (~<usize>15) - p) return 0;   // (rounding up would wrap around: no such allocation)
  const end = p + ((bytes + 15) & ~15);
  const have = (<usize>memory.size()) << 16;
  if (end > have) {
    const pages = <i32>((end - have + 0xffff) >> 16);
    if (memory.grow(pages) < 0) return 0;
  }
  top = end;
  return p;
}

/** arena_alloc, and reset() keeps it (the threads' scratch). */
export function arena_alloc_floor(bytes: usize): usize {
  const p = arena_alloc(bytes);
  if (p) floor = top;
  return p;
}
