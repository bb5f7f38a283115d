// Types of dist/workers/axon.js (copied there by the build): the public API plus the Workers loader.
export * from '../types/src/index.js';
import type { Engine, EngineOptions } from '../types/src/index.js';
/** The engine of this isolate (once; options give a fresh one): relaxed SIMD where it self-tests, else SIMD128. */
export declare function loadEngine(opts?: EngineOptions): Promise<Engine>;
