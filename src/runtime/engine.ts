// The engine: one instantiated wasm build, its arena, typed views and plan execution.
// Instantiates from bytes or from a precompiled WebAssembly.Module (Workers forbid compiling at
// run time). Picks the relaxed build only where it validates AND passes a known-answer self-test.
import { AxonError } from '../errors.js';
import { probeFeatures } from './probe.js';
import { OPS_HASH } from '../ops.js';

export type BuildName = 'simd' | 'relaxed';
export type WasmSource = BufferSource | WebAssembly.Module | Promise<Response> | Response;
export interface EngineSources { simd: WasmSource | (() => Promise<WasmSource>); relaxed?: WasmSource | (() => Promise<WasmSource>) }
export interface EngineOptions { build?: BuildName | 'auto' }

type Kernel = (...args: number[]) => number;
export interface AxonExports {
  memory: WebAssembly.Memory;
  arena_base(): number; arena_mark(): number; arena_reset(m: number): void; arena_alloc(bytes: number): number;
  plan_validate(plan: number, bytes: number, base: number): number; plan_run(plan: number, base: number): number;
  selftest_relaxed(): number;
  ops_hash(): number;
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
async function instantiate(module: WebAssembly.Module): Promise<AxonExports> { return (await instantiated(module)).ex; }
/** `sync`: made synchronously (so this host can make another one that way). */
async function instantiated(module: WebAssembly.Module): Promise<{ ex: AxonExports; sync: boolean }> {
  try { return { ex: instantiateSync(module), sync: true }; } catch (e) { if (!(e instanceof RangeError)) throw e; }
  return { ex: (await WebAssembly.instantiate(module, {})).exports as unknown as AxonExports, sync: false };
}
const instantiateSync = (module: WebAssembly.Module) => new WebAssembly.Instance(module, {}).exports as unknown as AxonExports;

export class Engine {
  private own?: AxonExports;
  /** the own instance is untouched (nobody used exports, memory or kernels) and can be re-made synchronously: spawn() may hand it over */
  private spare = false;
  constructor(exports: AxonExports, readonly build: BuildName, readonly module: WebAssembly.Module) {
    if (exports.ops_hash() >>> 0 !== OPS_HASH) throw new AxonError('WASM_UNAVAILABLE', `the ${build} wasm build was generated from a different op list than this host (hash ${(exports.ops_hash() >>> 0).toString(16)} vs ${OPS_HASH.toString(16)}); rebuild with npm run build`);
    this.own = exports;
  }

  /** This engine's own instance (made again, synchronously, if spawn() handed the first one to a session). */
  get exports(): AxonExports { this.spare = false; return (this.own ??= instantiateSync(this.module)); }
  get memory(): WebAssembly.Memory { return this.exports.memory; }
  get kernels(): Record<string, Kernel> { return this.exports as unknown as Record<string, Kernel>; }

  /** An engine over `ex`, whose instance spawn() may hand over while nobody has used it (see spawn). */
  private static fresh(ex: AxonExports, build: BuildName, mod: WebAssembly.Module, sync: boolean): Engine {
    const e = new Engine(ex, build, mod);
    e.spare = sync && ex.arena_mark() === ex.arena_base();
    return e;
  }

  /** Loads the best build this JS engine supports (or the one asked for). */
  static async create(sources: EngineSources, opts: EngineOptions = {}): Promise<Engine> {
    const f = probeFeatures();
    if (!f.wasm || !f.simd) throw new AxonError('WASM_UNAVAILABLE', 'this JavaScript engine has no WebAssembly SIMD128; Axon needs it (Chrome 91+, Firefox 89+, Safari 16.4+, Node 16.4+)');
    const want = opts.build ?? 'auto';
    if (want !== 'auto' && want !== 'simd' && want !== 'relaxed') throw new AxonError('BAD_ARGUMENT', `build must be "auto", "simd" or "relaxed", got ${JSON.stringify(want)}`);
    const get = async (s: EngineSources['simd']) => (typeof s === 'function' ? s() : s);
    if (want !== 'simd' && sources.relaxed && f.relaxedSimd) {
      const mod = await compile(await get(sources.relaxed));
      const { ex, sync } = await instantiated(mod);
      if (ex.selftest_relaxed() === 1) return Engine.fresh(ex, 'relaxed', mod, sync);
      if (want === 'relaxed') throw new AxonError('SELFTEST_FAILED', 'the relaxed-SIMD build failed its known-answer self-test on this engine (Node 20 miscomputes the relaxed int8 dot before tier-up); use build: "simd"');
    } else if (want === 'relaxed') {
      throw new AxonError('WASM_UNAVAILABLE', 'relaxed SIMD is not available here (Node 20 needs --experimental-wasm-relaxed-simd); use build: "simd" or "auto"');
    }
    const mod = await compile(await get(sources.simd));
    const { ex, sync } = await instantiated(mod);
    return Engine.fresh(ex, 'simd', mod, sync);
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
      const given = new Engine(this.own, this.build, this.module);
      this.own = undefined;
      this.spare = false;
      return given;
    }
    return new Engine(await instantiate(this.module), this.build, this.module);
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
