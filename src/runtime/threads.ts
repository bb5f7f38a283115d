// Threads for the threaded wasm builds: whether this host can run them, and the worker pool of one
// engine instance. The pool is started lazily (when a kernel call first wanted more threads, or
// when asked), each worker instantiates the same module over the same shared memory and parks in
// mt_worker (assembly/mt.ts); the kernels split their own work between the threads. Targets say
// how to start a worker (Node: worker_threads); hosts without one stay on one thread.
import { AxonError } from '../errors.js';

/** What a worker gets: the module, the instance's shared memory, its thread id (1 ..). */
export interface WorkerInit { module: WebAssembly.Module; memory: WebAssembly.Memory; tid: number }
export interface WorkerHandle { terminate(): void }
/** Starts one worker that instantiates `module` over `memory` and calls mt_worker(tid). */
export type WorkerStarter = (init: WorkerInit, onError: (e: unknown) => void) => WorkerHandle;

/** Pages of a threaded instance's memory: the module's minimum, and wasm32's maximum. */
export const SHARED_PAGES = { initial: 4, maximum: 65536 } as const;

// (module (memory 1 1 shared))
const SHARED_MODULE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 5, 4, 1, 3, 1, 1]);

/** Whether shared wasm memory works here (SharedArrayBuffer, cross-origin isolated where that applies). */
export function sharedMemoryAvailable(): boolean {
  if (typeof SharedArrayBuffer !== 'function' || typeof WebAssembly !== 'object') return false;
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) return false;
  try { return WebAssembly.validate(SHARED_MODULE); } catch { return false; }
}

/** threads: 'auto' = the cores this host reports; a number is used as given (at least 1). */
export function resolveThreads(threads: number | 'auto' | undefined, cores: number): number {
  if (threads === undefined) return 1;   // (opt-in until the 2-thread figures are measured on a quiet machine: BENCHMARKS T2)
  if (threads === 'auto') return Math.max(1, Math.floor(cores) || 1);
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) throw new AxonError('BAD_CONFIG', `threads must be 'auto' or an integer in [1, 256], got ${JSON.stringify(threads)}`);
  return threads;
}

/** What the pool needs of a threaded instance's exports (the engine's AxonExports has them). */
export interface MtExports { memory: WebAssembly.Memory; mt_prepare(workers: number, limit: number): number; mt_set_limit(n: number): void; mt_ready(): number; mt_stop(): void }

/** The workers of one threaded instance. */
export class ThreadPool {
  private handles: WorkerHandle[] = [];
  readonly ready: Promise<void>;
  failed?: unknown;

  constructor(ex: MtExports, module: WebAssembly.Module, readonly workers: number, start: WorkerStarter) {
    const limit = workers + 1;
    if (ex.mt_prepare(workers, limit) === 0) { // no memory for the workers' scratch: stay on one thread
      ex.mt_set_limit(1);
      this.ready = Promise.resolve();
      return;
    }
    const fail = (e: unknown) => { this.failed ??= e; ex.mt_set_limit(1); };
    for (let tid = 1; tid <= workers; tid++) this.handles.push(start({ module, memory: ex.memory, tid }, fail));
    this.ready = new Promise((resolve) => {
      const poll = () => (ex.mt_ready() >= workers || this.failed !== undefined ? resolve() : setTimeout(poll, 1));
      poll();
    });
  }

  /** Stops the workers (the instance runs on one thread from then on). */
  stop(ex?: MtExports): void {
    ex?.mt_set_limit(1);
    ex?.mt_stop();
    for (const h of this.handles) h.terminate();
    this.handles = [];
  }
}
