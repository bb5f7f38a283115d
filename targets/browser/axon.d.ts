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
import type { Model, ModelGraph, Limits } from '../types/src/index.js';
export interface LoadModelOptions {
  /** the engine the model runs on (default: the page's, loaded at the first predict or fit) */
  engine?: Engine;
  /** fetch options when `source` is a URL */
  init?: RequestInit;
  /** the name errors give the file (default: the URL, else "model") */
  name?: string;
  limits?: Partial<Limits>;
}
/** Loads an Axon model file from a URL (fetched) or its bytes, with the layer code it needs (the transformer, audio and augmentation layers load on demand in `axon/browser`): the async twin of modelFromBytes. */
export declare function loadModel(source: string | URL | Uint8Array | ArrayBuffer, opts?: LoadModelOptions): Promise<{ model: Model; graph: ModelGraph }>;
