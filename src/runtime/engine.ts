// The engine: one instantiated wasm build, its arena, typed views and plan execution.
// Instantiates from bytes or from a precompiled WebAssembly.Module (Workers forbid compiling at
// run time). Picks the relaxed build only where it validates AND passes a known-answer self-test.
// With more than one thread asked for, and shared memory and a way to start workers here, it
// picks the threaded twin of that build (same kernels and bits; see threads.ts).
import { AxonError } from '../errors.js';
import { probeFeatures } from './probe.js';
import { OPS_HASH } from '../ops.js';
import type { KernelSet } from '../kernel_sets.js';
import { SHARED_PAGES, ThreadPool, WorkerStarter, resolveThreads, sharedMemoryAvailable } from './threads.js';

export type BuildName = 'simd' | 'relaxed';
export type WasmSource = BufferSource | WebAssembly.Module | Promise<Response> | Response;
type Source = WasmSource | (() => Promise<WasmSource>);
export interface EngineSources {
  simd: Source; relaxed?: Source;
  /** the threaded builds (shared memory + atomics) and how this target starts a worker */
  simdThreads?: Source; relaxedThreads?: Source; startWorker?: () => Promise<WorkerStarter>;
  /** cores this host has ('auto' threads) */
  cores?: () => number;
  /** the smaller builds (src/kernel_sets.ts; one thread) */
  kernelSets?: Partial<Record<'core' | 'infer', { simd: Source; relaxed?: Source }>>;
}
export interface EngineOptions {
  build?: BuildName | 'auto';
  /**
   * Threads kernels may use: 1 (the default) or 'auto' = the host's cores. More than one needs shared
   * memory (Node; browsers on cross-origin isolated pages) and a threaded build; elsewhere the
   * engine runs on one thread. Results are the same bits whatever the count.
   */
  threads?: number | 'auto';
  /**
   * 'full' (the default): every kernel. 'core': the smaller build without the transformer kernels
   * (embedding, layer norm, attention, masked pooling, dynamic int8); 'infer': core without the
   * training kernels (backward passes, losses, optimizers, augmentation), for pages that only
   * predict. A plan that needs more is refused with UNSUPPORTED. One thread only (with more threads
   * the full threaded build is used). Models on the default engine pick the smallest by themselves.
   */
  kernels?: KernelSet;
}

type Kernel = (...args: number[]) => number;
export interface AxonExports {
  memory: WebAssembly.Memory;
  arena_base(): number; arena_mark(): number; arena_reset(m: number): void; arena_alloc(bytes: number): number;
  plan_validate(plan: number, bytes: number, base: number): number; plan_run(plan: number, base: number): number;
  selftest_relaxed(): number;
  mt_prepare(workers: number, limit: number): number; mt_set_limit(limit: number): void; mt_ready(): number; mt_wanted(): number; mt_stop(): void;
  ops_hash(): number; kernel_set(): number;
  [kernel: string]: unknown;
}

export type TypedArray = Float32Array | Int32Array | Uint32Array | Uint8Array | Int8Array;
type TypedCtor<T extends TypedArray> = { new (buf: ArrayBuffer, off: number, len: number): T; BYTES_PER_ELEMENT: number };

/** A typed-array view into the arena that stays valid when memory grows (re-derived on demand). */
export class ArenaView<T extends TypedArray> {
  private cache?: T;
  constructor(private readonly engine: Engine, readonly ptr: number, readonly length: number, private readonly ctor: TypedCtor<T>) {}
  get array(): T {
    const buf = this.engine.memory.buffer as ArrayBuffer;
    if (!this.cache || this.cache.buffer !== buf) this.cache = new this.ctor(buf, this.ptr, this.length);
    return this.cache;
  }
}

async function compile(src: WasmSource): Promise<WebAssembly.Module> {
  if (src instanceof WebAssembly.Module) return src;
  // NOTE: bytes first: touching `Response` in Node loads undici (~75 ms of cold start).
  if (ArrayBuffer.isView(src) || src instanceof ArrayBuffer) return WebAssembly.compile(src);
  if (typeof Response !== 'undefined' && (src instanceof Response || src instanceof Promise)) {
    const res = await src;
    return typeof WebAssembly.compileStreaming === 'function' ? WebAssembly.compileStreaming(res) : WebAssembly.compile(await res.arrayBuffer());
  }
  throw new AxonError('WASM_UNAVAILABLE', 'wasm source must be bytes, a WebAssembly.Module or a fetch Response');
}

/**
 * Synchronously where the host allows it (Node, Workers, browser workers): the async API costs a
 * few ms of cold start in Node. A browser's main thread refuses modules over 4 KB (RangeError).
 */
async function instantiate(module: WebAssembly.Module, shared: boolean): Promise<AxonExports> { return (await instantiated(module, shared)).ex; }
/** `sync`: made synchronously (so this host can make another one that way). `shared`: a threaded build (its own shared memory). */
async function instantiated(module: WebAssembly.Module, shared: boolean): Promise<{ ex: AxonExports; sync: boolean }> {
  try { return { ex: instantiateSync(module, shared), sync: true }; } catch (e) { if (!(e instanceof RangeError)) throw e; }
  return { ex: (await WebAssembly.instantiate(module, imports(shared))).exports as unknown as AxonExports, sync: false };
}
const imports = (shared: boolean): WebAssembly.Imports => (shared ? { env: { memory: new WebAssembly.Memory({ ...SHARED_PAGES, shared: true }) } } : {});
const instantiateSync = (module: WebAssembly.Module, shared: boolean) => new WebAssembly.Instance(module, imports(shared)).exports as unknown as AxonExports;

/** Threads of an engine: how many it may use, and how to start the workers (threaded builds only). */
interface ThreadSetup { threads: number; start?: () => Promise<WorkerStarter> }
const ONE: ThreadSetup = { threads: 1 };

// an engine nobody references stops its workers (they would otherwise wait forever)
const poolRegistry = new FinalizationRegistry<{ pool: ThreadPool; ex: AxonExports }>(({ pool, ex }) => pool.stop(ex));

export class Engine {
  private own?: AxonExports;
  /** the own instance is untouched (nobody used exports, memory or kernels) and can be re-made synchronously: spawn() may hand it over */
  private spare = false;
  private pool?: ThreadPool;
  private poolStart?: Promise<void>;
  /** Threads kernels may use (1: the single-thread build, or no workers possible here). */
  readonly threads: number;
  /** Whether this is a threaded build (shared memory; workers start when a kernel first wants them). */
  readonly threaded: boolean;
  private readonly setup: ThreadSetup;
  /** Which kernels this build has (src/kernel_sets.ts). */
  readonly kernelSet: KernelSet;
  constructor(exports: AxonExports, readonly build: BuildName, readonly module: WebAssembly.Module, setup: ThreadSetup = ONE) {
    if (exports.ops_hash() >>> 0 !== OPS_HASH) throw new AxonError('WASM_UNAVAILABLE', `the ${build} wasm build was generated from a different op list than this host (hash ${(exports.ops_hash() >>> 0).toString(16)} vs ${OPS_HASH.toString(16)}); rebuild with npm run build`);
    this.own = exports;
    this.kernelSet = (['infer', 'core', 'full'] as const)[exports.kernel_set()] ?? 'full';
    this.setup = setup;
    this.threaded = !!setup.start;
    this.threads = this.threaded ? setup.threads : 1;
    if (this.threaded) exports.mt_set_limit(this.threads);
  }

  /** This engine's own instance (made again, synchronously, if spawn() handed the first one to a session). */
  get exports(): AxonExports {
    this.spare = false;
    if (!this.own) { this.own = instantiateSync(this.module, this.threaded); if (this.threaded) this.own.mt_set_limit(this.threads); }
    return this.own;
  }
  get memory(): WebAssembly.Memory { return this.exports.memory; }
  get kernels(): Record<string, Kernel> { return this.exports as unknown as Record<string, Kernel>; }

  /** An engine over `ex`, whose instance spawn() may hand over while nobody has used it (see spawn). */
  private static fresh(ex: AxonExports, build: BuildName, mod: WebAssembly.Module, sync: boolean, setup: ThreadSetup): Engine {
    const e = new Engine(ex, build, mod, setup);
    e.spare = sync && ex.arena_mark() === ex.arena_base();
    return e;
  }

  /** Loads the best build this JS engine supports (or the one asked for). */
  static async create(sources: EngineSources, opts: EngineOptions = {}): Promise<Engine> {
    const f = probeFeatures();
    if (!f.wasm || !f.simd) throw new AxonError('WASM_UNAVAILABLE', 'this JavaScript engine has no WebAssembly SIMD128; Axon needs it (Chrome 91+, Firefox 89+, Safari 16.4+, Node 16.4+)');
    const want = opts.build ?? 'auto';
    if (want !== 'auto' && want !== 'simd' && want !== 'relaxed') throw new AxonError('BAD_ARGUMENT', `build must be "auto", "simd" or "relaxed", got ${JSON.stringify(want)}`);
    const get = async (s: Source) => (typeof s === 'function' ? s() : s);
    const threads = resolveThreads(opts.threads, opts.threads === 'auto' ? sources.cores?.() ?? 1 : 1);   // (cores only when asked: in Node, node:os)
    const mt = threads > 1 && !!sources.startWorker && sharedMemoryAvailable();
    const setup: ThreadSetup = mt ? { threads, start: sources.startWorker } : ONE;
    const kernels = opts.kernels ?? 'full';
    if (kernels !== 'full' && kernels !== 'core' && kernels !== 'infer') throw new AxonError('BAD_ARGUMENT', `kernels must be "full", "core" or "infer", got ${JSON.stringify(kernels)}`);
    const small = kernels !== 'full' && !mt ? sources.kernelSets?.[kernels] ?? (kernels === 'infer' ? sources.kernelSets?.core : undefined) : undefined;
    const simd = small ? small.simd : sources.simd, relaxed = small ? small.relaxed : sources.relaxed;
    const pick = (plain: Source, threaded?: Source) => (mt && threaded ? threaded : plain);
    if (want !== 'simd' && relaxed && f.relaxedSimd) {
      const shared = mt && !!sources.relaxedThreads;
      const mod = await compile(await get(pick(relaxed, sources.relaxedThreads)));
      const { ex, sync } = await instantiated(mod, shared);
      if (ex.selftest_relaxed() === 1) return Engine.fresh(ex, 'relaxed', mod, sync, shared ? setup : ONE);
      if (want === 'relaxed') throw new AxonError('SELFTEST_FAILED', 'the relaxed-SIMD build failed its known-answer self-test on this engine (Node 20 miscomputes the relaxed int8 dot before tier-up); use build: "simd"');
    } else if (want === 'relaxed') {
      throw new AxonError('WASM_UNAVAILABLE', 'relaxed SIMD is not available here (Node 20 needs --experimental-wasm-relaxed-simd); use build: "simd" or "auto"');
    }
    const shared = mt && !!sources.simdThreads;
    const mod = await compile(await get(pick(simd, sources.simdThreads)));
    const { ex, sync } = await instantiated(mod, shared);
    return Engine.fresh(ex, 'simd', mod, sync, shared ? setup : ONE);
  }

  /**
   * A fresh instance of the same build with its own memory. Each model session lives in its own
   * instance, so sessions never share (or free) each other's arena. The first spawn() of an engine
   * nobody has used yet (no exports, memory or kernels access since create()) hands over the
   * engine's own, already made instance instead (a process that loads one model instantiates
   * once); the engine then makes itself a new one on its next use.
   */
  async spawn(): Promise<Engine> {
    if (this.spare && this.own) {
      const given = new Engine(this.own, this.build, this.module, this.setup);
      this.own = undefined;
      this.spare = false;
      return given;
    }
    return new Engine(await instantiate(this.module, this.threaded), this.build, this.module, this.setup);
  }

  /**
   * Starts this instance's workers (once) and resolves when they are parked and kernels can use
   * them; resolves at once on one thread. Plans start them by themselves the first time a kernel
   * is big enough to want them (see afterRun), so calling this is only needed to have them from
   * the first call on.
   */
  startThreads(): Promise<void> {
    if (!this.threaded || !this.setup.start) return Promise.resolve();
    return (this.poolStart ??= (async () => {
      const ex = this.exports, starter = await this.setup.start!();
      const pool = (this.pool = new ThreadPool(ex, this.module, this.threads - 1, starter));
      poolRegistry.register(this, { pool, ex }, this);
      await pool.ready;
    })().catch(() => { this.exports.mt_set_limit(1); }));
  }

  /** After a plan ran: start the workers if a kernel wanted them (no cost on one thread). */
  afterRun(): void {
    if (this.threaded && !this.poolStart && this.exports.mt_wanted()) void this.startThreads();
  }

  /** Stops this instance's workers, if any (it runs on one thread from then on). */
  stopThreads(): void {
    if (!this.pool || !this.own) return;
    poolRegistry.unregister(this);
    this.pool.stop(this.own);
    this.pool = undefined;
  }

  get base(): number { return this.exports.arena_base(); }
  mark(): number { return this.exports.arena_mark(); }
  reset(mark: number): void { this.exports.arena_reset(mark); }

  /** 16-byte aligned arena block; throws OUT_OF_MEMORY when memory cannot grow. */
  alloc(bytes: number): number {
    if (!Number.isInteger(bytes) || bytes < 0 || bytes > 0xffff0000) throw new AxonError('OUT_OF_MEMORY', `cannot allocate ${bytes} bytes: wasm32 memory is limited to 4 GiB`);
    const p = this.exports.arena_alloc(bytes) >>> 0;
    if (p === 0) throw new AxonError('OUT_OF_MEMORY', `wasm memory could not grow by ${bytes} bytes (now ${this.memory.buffer.byteLength} bytes); use a smaller batch or model`);
    return p;
  }

  /**
   * alloc() filled with zeros. Only the part in memory that existed before is written: pages that
   * memory.grow adds are zero by the wasm spec, and untouched pages cost nothing until used.
   */
  allocZeroed(bytes: number): number {
    const had = this.memory.buffer.byteLength, p = this.alloc(bytes);
    if (p < had) new Uint8Array(this.memory.buffer, p, Math.min(bytes, had - p)).fill(0);
    return p;
  }

  f32(ptr: number, n: number): Float32Array { return new Float32Array(this.memory.buffer, ptr, n); }
  i32(ptr: number, n: number): Int32Array { return new Int32Array(this.memory.buffer, ptr, n); }
  u8(ptr: number, n: number): Uint8Array { return new Uint8Array(this.memory.buffer, ptr, n); }
  view<T extends TypedArray>(ptr: number, n: number, ctor: TypedCtor<T>): ArenaView<T> { return new ArenaView(this, ptr, n, ctor); }

  /** Copies `data` into the arena at ptr. */
  write(ptr: number, data: TypedArray): void {
    new Uint8Array(this.memory.buffer, ptr, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }

  /** Allocates and fills a block; returns its pointer. */
  put(data: TypedArray): number {
    const p = this.alloc(data.byteLength);
    this.write(p, data);
    return p;
  }
}
