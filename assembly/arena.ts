// Bump allocator over linear memory, 16-byte aligned (v128). The host carves every buffer a
// plan needs from here; kernels never allocate. mark()/reset(mark) free everything above a mark.

let top: usize = (__heap_base + 15) & ~15;

/** Start of the arena (first usable byte). */
export function arena_base(): usize { return (__heap_base + 15) & ~15; }

/** Current top of the arena. */
export function arena_mark(): usize { return top; }

/** Frees everything allocated after `mark`. */
export function arena_reset(mark: usize): void {
  if (mark >= arena_base() && mark <= top) top = mark;
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
