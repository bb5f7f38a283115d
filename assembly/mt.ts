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
//   READY workers parked in mt_worker;  WANT  set when a job would have used missing workers
//   LIMIT threads to use (host sets; 1 + workers);  DONE  tasks finished in the current job
//   STOP  workers leave mt_worker;  SCR  first worker's scratch (WORKER_SCRATCH bytes each)
//   CTR   u64 tag << 32 | next << 16 | count: tasks are claimed by compare-and-swap on it, so a
//         late worker can never claim a task of a job that changed under it
//   FN    the task function;  ARGS  the job's 52 argument words (written before CTR is published;
//         kernels use words 0 .. 39, splitSpan 40 .. 49, parallelRange 50, 51)
// A worker that claims a task knows its job is unfinished, so the caller cannot overwrite the
// arguments before that task is done.

export const MT_CTL_BYTES: usize = 256;
/** Scratch per worker (bytes): the largest per-task scratch any parallel kernel takes. */
export const WORKER_SCRATCH: usize = 1 << 20;
/** Multiply-adds below which a call stays on one thread: alone, a split GEMM pays from ~2^18 (bench/mt_threshold.mjs), but inside a plan the next op then reads half its input from the other core, and a training step of 3.2M-MAC GEMMs (W5) ran 0.82x at 2^20; at 2^22 it is 0.98x, W3/W4 1.46x/1.22x in the quiet T2 run (BENCHMARKS.md T2). */
export const MT_MIN_WORK: i64 = 1 << 22;
/**
 * How much more a convolution's multiply-adds (forward; the implicit input gradient) count toward MT_MIN_WORK than a Dense GEMM's. In
 * a CNN's inference plan every layer is a convolution: when all of them split, each thread goes on
 * with the pixels it wrote, while one that stays on one thread reads half its input from the other
 * core (W4 b1 at 2 threads: 1.16x over one thread with every convolution at MT_MIN_WORK, 1.50x at a
 * quarter of it; BENCHMARKS.md T2). Dense layers (W5's training GEMMs) keep MT_MIN_WORK.
 */
export const MT_CONV_SCALE: i64 = 4;
/** Element-operations below which an elementwise call stays on one thread (bench/mt_threshold.mjs; BENCHMARKS.md T2). */
export const MT_MIN_ELEMS: i64 = 1 << 20;

const GEN: usize = 0, READY: usize = 4, WANT: usize = 8, LIMIT: usize = 12, DONE: usize = 16, STOP: usize = 20;
const SCR: usize = 24, CTR: usize = 32, FN: usize = 40, ARGS: usize = 48;
const SPIN: i32 = 1 << 14;

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

/** Runs fn over [0, n) cut into chunks (two per thread) whose starts are multiples of `align`; fn reads its chunk with rangeLo/rangeHi. */
export function parallelRange(fn: Task, n: i32, align: i32, threads: i32): void {
  const chunks = max(1, min(2 * threads, (n + align - 1) / align));
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

// claims and runs tasks of the current job until none is left
function runTasks(tid: i32): void {
  const c = mtCtl();
  while (true) {
    const v = atomic.load<u64>(c + CTR);
    const next = <i32>((v >> 16) & 0xffff), n = <i32>(v & 0xffff);
    if (next >= n) return;
    if (atomic.cmpxchg<u64>(c + CTR, v, v + (1 << 16)) != v) continue;
    changetype<Task>(<usize>load<u32>(c + FN))(next, tid);
    atomic.add<i32>(c + DONE, 1);
  }
}

/** Runs fn(t, tid) for t in [0, n) (n < 65536) on up to `threads` threads; returns when all are done. */
export function parallel(fn: Task, n: i32, threads: i32): void {
  if (!ASC_FEATURE_THREADS || threads <= 1 || n <= 1) {
    for (let t = 0; t < n; t++) fn(t, 0);
    return;
  }
  const c = mtCtl();
  depth++;
  jobs++;
  store<u32>(c + FN, <u32>changetype<usize>(fn));
  atomic.store<i32>(c + DONE, 0);
  tag++;
  atomic.store<u64>(c + CTR, (<u64>tag << 32) | <u64>n);
  atomic.add<u32>(c + GEN, 1);
  atomic.notify(c + GEN, threads - 1);
  runTasks(0);
  while (atomic.load<i32>(c + DONE) < n) {} // the last tasks of other threads (a short spin)
  depth--;
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
    let spins = 0;
    while (atomic.load<u32>(c + GEN) == seen && spins < SPIN) spins++;
    if (atomic.load<u32>(c + GEN) == seen) memory.atomic.wait32(c + GEN, <i32>seen, -1);
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
