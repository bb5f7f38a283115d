// Threads: a parallel-for inside ONE kernel call (never across plan instructions). The threaded
// build (ASC_FEATURE_THREADS: shared memory + atomics) runs the tasks of a call on the calling
// thread and on the pool's workers; every other build, and the threaded one before its workers are
// up, runs them in order on the calling thread. A task writes outputs no other task writes and
// computes each of them exactly as one thread would, so results are bit-identical to one thread
// whatever the thread count (and whichever thread ran which task).
//
// Control block: MT_CTL_BYTES at the start of the arena (arena.ts keeps it out of the bump
// allocator; NOT in a data segment: a worker's instantiation would rewrite those). Words:
//   GEN   futex word the workers wait on; the caller bumps it per job
//   READY workers in mt_worker;  WANT  set when a job would have used missing workers
//   LIMIT threads to use (host sets; 1 + workers);  DONE  tasks finished in the current job
//   STOP  workers leave mt_worker;  SCR  first worker's scratch (WORKER_SCRATCH bytes each)
//   HOT   1 while a plan runs (plan_run): workers that ran a job of it keep spinning for the next
//   PARKED workers asleep in wait32 (the caller notifies only when some are)
//   FN    the task function;  ARGS  the job's 52 argument words (written before the blocks are
//         published; kernels use words 0 .. 39, splitSpan 40 .. 49, parallelRange 50, 51)
//   NBLK  blocks of the current job;  BLK  MT_BLOCKS u64 words, tag << 32 | next << 16 | end
// Task assignment is static first: the n tasks of a job are cut into one contiguous block per
// thread, in thread order, and thread tid runs block tid from its front. A thread whose block is
// done takes tasks from the ends of the other blocks (compare-and-swap on the block's word), so a
// late or descheduled thread delays the job by at most the task it is in. With every layer's work
// cut in the same order (rows, images, pixels), each thread goes on with the data it wrote in the
// layer before, in its own core's cache. The tag in a block's word changes per job, so a thread
// still in an old job can never claim from a block that changed under it; a worker that claims a
// task knows its job is unfinished, so the caller cannot overwrite the arguments before it is done.
export const MT_CTL_BYTES: usize = 512;
/** Scratch per worker (bytes): the largest per-task scratch any parallel kernel takes. */
export const WORKER_SCRATCH: usize = 1 << 20;
/**
 * Multiply-adds below which a call stays on one thread. Alone, a split GEMM pays from ~2^18
 * (bench/mt_threshold.mjs); W5's training step (3.2M-MAC GEMMs) runs 1.0x at 2^22, ~1.6x at 2^21
 * or 2^20 once its Adam update, gradient checks and the zero fills around them split (or go) too,
 * since each thread then goes on with the rows it wrote (BENCHMARKS.md T2).
 */
export const MT_MIN_WORK: i64 = 1 << 21;
/**
 * How much more a convolution's multiply-adds (forward; the implicit input gradient) count toward MT_MIN_WORK than a Dense GEMM's. In
 * a CNN's inference plan every layer is a convolution: when all of them split, each thread goes on
 * with the pixels it wrote, while one that stays on one thread reads half its input from the other
 * core (W4 b1 at 2 threads: 1.16x over one thread with every convolution at MT_MIN_WORK, 1.50x at a
 * quarter of it; BENCHMARKS.md T2). A GEMM over 64+ rows of an activation counts so too (gemm.ts: it splits
 * by those rows); W5's 32-row training GEMMs keep MT_MIN_WORK.
 */
export const MT_CONV_SCALE: i64 = 4;
/**
 * Element-operations below which an elementwise, pooling or padding call stays on one thread. With
 * the workers awake during a plan (HOT) a split add pays from ~8k elements, Adam from ~1k
 * (bench/mt_threshold.mjs); 2^16 keeps the batch-1 layers of W2 and W6 on one thread. Low, too,
 * because a layer left on one thread reads the half of its input the other core wrote (W3's
 * max-pooling ran 0.78x at 2 threads that way), while one split in the same row order reads what
 * its own thread wrote; a job costs ~1.5 µs (BENCHMARKS.md T2).
 */
export const MT_MIN_ELEMS: i64 = 1 << 16;

const GEN: usize = 0, READY: usize = 4, WANT: usize = 8, LIMIT: usize = 12, DONE: usize = 16, STOP: usize = 20;
const SCR: usize = 24, HOT: usize = 28, PARKED: usize = 32, NBLK: usize = 36, FN: usize = 40, ARGS: usize = 48;
const BLK: usize = 256;
/** Blocks of static assignment (threads beyond it only take tasks from the others' ends). */
const MT_BLOCKS: i32 = 32;
// spins (two atomic loads each) before a worker parks: after a job outside a plan, and while a plan runs
const SPIN: i32 = 1 << 16, HOT_SPIN: i32 = 1 << 26;

export type Task = (t: i32, tid: i32) => void;

// @ts-ignore: decorator
@inline export function mtCtl(): usize { return (__heap_base + 15) & ~15; }

let tag: u32 = 0;
// > 0 inside a job or on a worker: a kernel a task calls runs on that task's thread (no nested jobs)
let depth: i32 = 0;
// jobs this instance ran on more than one thread (tests check that threads were used)
let jobs: i32 = 0;

/** Threads a job may use now (1 + parked workers, up to LIMIT); 1 in single-thread builds. */
export function mt_threads(): i32 {
  if (!ASC_FEATURE_THREADS) return 1;
  const c = mtCtl();
  return max(1, min(atomic.load<i32>(c + LIMIT), 1 + atomic.load<i32>(c + READY)));
}

// the thresholds in force (mt_set_thresholds: benchmarks move them to find where threads pay)
let minWork: i64 = MT_MIN_WORK;
let minElems: i64 = MT_MIN_ELEMS;

/** Threads worth using for `work` multiply-adds (asks the host for workers when some are missing). */
export function mtFor(work: i64): i32 { return mtAbove(work, minWork); }

/** Threads worth using for an elementwise call of `n` elements costing `cost` element-operations each. */
export function mtForElems(n: i32, cost: i32): i32 { return mtAbove(<i64>n * cost, minElems); }


function mtAbove(work: i64, least: i64): i32 {
  if (!ASC_FEATURE_THREADS || work < least || depth > 0) return 1;
  const c = mtCtl(), n = mt_threads();
  if (n < atomic.load<i32>(c + LIMIT)) atomic.store<i32>(c + WANT, 1);
  return n;
}

/** Sets the thresholds (multiply-adds, element-operations; <= 0 keeps the default): for benchmarks only. */
export function mt_set_thresholds(work: i32, elems: i32): void {
  minWork = work > 0 ? <i64>work : MT_MIN_WORK;
  minElems = elems > 0 ? <i64>elems : MT_MIN_ELEMS;
}

// job arguments (set before parallel(); read by the task function on any thread)
// @ts-ignore: decorator
@inline export function setArg(k: i32, v: i32): void { store<i32>(mtCtl() + ARGS + (<usize>k << 2), v); }
// @ts-ignore: decorator
@inline export function setArgF(k: i32, v: f32): void { store<f32>(mtCtl() + ARGS + (<usize>k << 2), v); }
// @ts-ignore: decorator
@inline export function arg(k: i32): i32 { return load<i32>(mtCtl() + ARGS + (<usize>k << 2)); }
// @ts-ignore: decorator
@inline export function argF(k: i32): f32 { return load<f32>(mtCtl() + ARGS + (<usize>k << 2)); }
// @ts-ignore: decorator
@inline export function argP(k: i32): usize { return <usize>load<u32>(mtCtl() + ARGS + (<usize>k << 2)); }

// ---- ranges: [0, n) in chunks of a multiple of `align` (job arguments RN, RS) ----
const RN: i32 = 50, RS: i32 = 51;

/**
 * Runs fn over [0, n) cut into chunks (`perThread` per thread) whose starts are multiples of `align`;
 * fn reads its chunk with rangeLo/rangeHi. Kernels with no set-up per chunk (rows of a direct loop)
 * take more: the threads' blocks are then even to within a chunk (14 rows: 7 and 7, not 8 and 6).
 */
export function parallelRange(fn: Task, n: i32, align: i32, threads: i32, perThread: i32 = 2): void {
  const chunks = max(1, min(perThread * threads, (n + align - 1) / align));
  const step = ((n + chunks - 1) / chunks + align - 1) / align * align;
  setArg(RN, n); setArg(RS, step);
  parallel(fn, (n + step - 1) / step, threads);
}
// @ts-ignore: decorator
@inline export function rangeLo(t: i32): i32 { return t * arg(RS); }
// @ts-ignore: decorator
@inline export function rangeHi(t: i32): i32 { return min(arg(RN), (t + 1) * arg(RS)); }

// ---- spans: elementwise (or row-wise) bodies over [0, n), split into chunks ----

/** A body over n elements (or rows) of up to three arrays, with one integer and two float parameters. */
export type Span = (a: usize, b: usize, c: usize, n: i32, k: i32, f: f32, g: f32) => void;
// job arguments of splitSpan
const SP_FN: i32 = 40, SP_A: i32 = 41, SP_B: i32 = 43, SP_C: i32 = 45, SP_K: i32 = 47, SP_F: i32 = 48, SP_G: i32 = 49;

/**
 * span(a, b, c, n, k, f, g), on several threads when n elements costing `cost` element-operations
 * each are enough work: chunks start at multiples of `align` (a multiple of every SIMD step of the
 * body, so each element takes the same path as on one thread) and arrays advance by sa, sb, sc
 * bytes per element (0: not advanced, e.g. a bias row or a parameter block).
 */
export function splitSpan(span: Span, a: usize, sa: i32, b: usize, sb: i32, c: usize, sc: i32, n: i32, k: i32, f: f32, g: f32,
                          cost: i32, align: i32): void {
  const th = mtForElems(n, cost);
  if (th <= 1) { span(a, b, c, n, k, f, g); return; }
  setArg(SP_FN, <i32>changetype<usize>(span));
  setArg(SP_A, <i32>a); setArg(SP_A + 1, sa); setArg(SP_B, <i32>b); setArg(SP_B + 1, sb); setArg(SP_C, <i32>c); setArg(SP_C + 1, sc);
  setArg(SP_K, k); setArgF(SP_F, f); setArgF(SP_G, g);
  parallelRange(spanTask, n, align, th);
}

function spanTask(t: i32, tid: i32): void {
  const i0 = rangeLo(t), o = <usize>i0;  // (strides are non-negative)
  changetype<Span>(argP(SP_FN))(argP(SP_A) + o * <usize>arg(SP_A + 1), argP(SP_B) + o * <usize>arg(SP_B + 1), argP(SP_C) + o * <usize>arg(SP_C + 1),
    rangeHi(t) - i0, arg(SP_K), argF(SP_F), argF(SP_G));
}

/** Scratch of thread tid (> 0; thread 0 uses the scratch the plan gave the kernel). */
// @ts-ignore: decorator
@inline export function workerScratch(tid: i32): usize { return <usize>load<u32>(mtCtl() + SCR) + <usize>(tid - 1) * WORKER_SCRATCH; }

// claims and runs tasks of the current job until none is left: its own block from the front,
// then every block from its end, the next thread's first (a thread past the blocks has only those)
function runTasks(tid: i32): void {
  const c = mtCtl(), nb = atomic.load<i32>(c + NBLK);
  if (tid < nb) while (claim(c + BLK + (<usize>tid << 3), tid, true)) {}
  for (let k = 1; k <= nb; k++) {
    const o = (tid + k) % nb;
    while (claim(c + BLK + (<usize>o << 3), tid, false)) {}
  }
}

// one task of the block whose word is at p (false: the block is done)
function claim(p: usize, tid: i32, front: bool): bool {
  while (true) {
    const v = atomic.load<u64>(p);
    const next = <i32>((v >> 16) & 0xffff), end = <i32>(v & 0xffff);
    if (next >= end) return false;
    if (atomic.cmpxchg<u64>(p, v, front ? v + (1 << 16) : v - 1) != v) continue;
    const c = mtCtl();
    changetype<Task>(<usize>load<u32>(c + FN))(front ? next : end - 1, tid);
    atomic.add<i32>(c + DONE, 1);
    return true;
  }
}

/** Runs fn(t, tid) for t in [0, n) (n < 65536) on up to `threads` threads; returns when all are done. */
export function parallel(fn: Task, n: i32, threads: i32): void {
  if (!ASC_FEATURE_THREADS || threads <= 1 || n <= 1) {
    for (let t = 0; t < n; t++) fn(t, 0);
    return;
  }
  const c = mtCtl(), nb = min(min(threads, n), MT_BLOCKS);
  depth++;
  jobs++;
  store<u32>(c + FN, <u32>changetype<usize>(fn));
  atomic.store<i32>(c + DONE, 0);
  tag++;
  for (let o = 0; o < nb; o++) {
    const lo = <i32>(<i64>o * n / nb), hi = <i32>(<i64>(o + 1) * n / nb);
    atomic.store<u64>(c + BLK + (<usize>o << 3), (<u64>tag << 32) | (<u64>lo << 16) | <u64>hi);
  }
  atomic.store<i32>(c + NBLK, nb);
  atomic.add<u32>(c + GEN, 1);
  if (atomic.load<i32>(c + PARKED) > 0) atomic.notify(c + GEN, threads - 1);
  runTasks(0);
  while (atomic.load<i32>(c + DONE) < n) {} // the last tasks of other threads (a short spin)
  depth--;
}

/** Marks the start (1) or end (0) of a plan run: while one runs, workers that ran one of its jobs spin for the next instead of parking. */
export function mtHot(on: i32): void {
  if (ASC_FEATURE_THREADS) atomic.store<i32>(mtCtl() + HOT, on);
}

/** Where the host-side pool puts its workers' scratch: `workers` blocks from the arena; 0 when memory cannot grow. */
export function mt_prepare(workers: i32, limit: i32): usize {
  if (!ASC_FEATURE_THREADS) return 0;
  const c = mtCtl();
  if (!load<u32>(c + SCR) && workers > 0) {
    const p = arena_alloc_floor(<usize>workers * WORKER_SCRATCH);
    if (!p) return 0;
    atomic.store<u32>(c + SCR, <u32>p);
  }
  atomic.store<i32>(c + LIMIT, limit);
  return <usize>load<u32>(c + SCR);
}

/** Whether a job since the last call wanted workers that are not there (clears the flag). */
export function mt_wanted(): i32 {
  if (!ASC_FEATURE_THREADS) return 0;
  return atomic.xchg<i32>(mtCtl() + WANT, 0);
}

/** Sets how many threads jobs may use (1 = none of the workers). */
export function mt_set_limit(limit: i32): void {
  if (ASC_FEATURE_THREADS) atomic.store<i32>(mtCtl() + LIMIT, limit);
}

/** Jobs this instance has split between threads. */
export function mt_jobs(): i32 { return jobs; }

/** Parked workers. */
export function mt_ready(): i32 { return ASC_FEATURE_THREADS ? atomic.load<i32>(mtCtl() + READY) : 0; }

/** A worker's whole life: park, run the tasks of each job, until mt_stop(). Called on a worker thread. */
export function mt_worker(tid: i32): void {
  if (!ASC_FEATURE_THREADS) return;
  const c = mtCtl();
  depth = 1;
  let seen = atomic.load<u32>(c + GEN);
  atomic.add<i32>(c + READY, 1);
  while (!atomic.load<i32>(c + STOP)) {
    // spin a while for the next job (for the rest of a running plan, up to HOT_SPIN), then sleep
    let spins = 0, hot = 0;
    while (atomic.load<u32>(c + GEN) == seen) {
      if (atomic.load<i32>(c + HOT)) { spins = 0; if (++hot > HOT_SPIN) break; } else if (++spins > SPIN) break;
    }
    if (atomic.load<u32>(c + GEN) == seen) {
      // (the caller bumps GEN before it reads PARKED: either it sees this worker parked and
      // notifies, or wait32 sees the new GEN and returns at once)
      atomic.add<i32>(c + PARKED, 1);
      memory.atomic.wait32(c + GEN, <i32>seen, -1);
      atomic.sub<i32>(c + PARKED, 1);
    }
    seen = atomic.load<u32>(c + GEN);
    runTasks(tid);
  }
  atomic.sub<i32>(c + READY, 1);
}

/** Makes every worker leave mt_worker. */
export function mt_stop(): void {
  if (!ASC_FEATURE_THREADS) return;
  const c = mtCtl();
  atomic.store<i32>(c + STOP, 1);
  atomic.add<u32>(c + GEN, 1);
  atomic.notify(c + GEN, -1);
}

import { arena_alloc_floor } from './arena';
