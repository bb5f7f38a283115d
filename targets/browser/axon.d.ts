// Types of dist/browser/axon.js (copied there by the build): the public API plus the browser loader.
export * from '../types/src/index.js';
import type { Engine, EngineOptions } from '../types/src/index.js';
export interface BrowserEngineOptions extends EngineOptions {
  /** where axon.simd.wasm / axon.relaxed.wasm live (default: beside axon.js) */
  baseUrl?: string | URL;
  init?: RequestInit;
}
/** Loads (once per page, unless options are given) the best build: relaxed SIMD where it validates and self-tests, else SIMD128; with threads > 1 on a cross-origin isolated page, its threaded twin. */
export declare function loadEngine(opts?: BrowserEngineOptions): Promise<Engine>;
