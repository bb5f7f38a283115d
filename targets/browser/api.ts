// Browser target: the public API plus a default engine that fetches the wasm build from beside this
// module and compiles it while it downloads (WebAssembly.instantiateStreaming). Every layer is in it
// (the one-file dist/browser/axon.js is built from here); index.ts (axon/browser) adds on-demand layers.
// The URLs are literal `new URL('…', import.meta.url)` so bundlers (Vite, webpack, esbuild with a
// file loader) can find and emit the .wasm files; dist/browser/ ships them next to axon.js (the
// threaded builds too: fetched only on a cross-origin isolated page that asks for threads).
import { Engine, EngineOptions, WasmSource } from '../../src/runtime/engine.js';
import { setDefaultEngineLoader } from '../../src/runtime/default.js';
import { browserWorkerStarter } from './threads.js';

export * from '../../src/index.js';
export { loadModel, type LoadModelOptions } from './model_file.js';

export interface BrowserEngineOptions extends EngineOptions {
  /** where axon.simd.wasm / axon.relaxed.wasm live (default: beside this module) */
  baseUrl?: string | URL;
  /** fetch options (credentials, cache, integrity is per file so not here) */
  init?: RequestInit;
}

type Urls = { simd: URL; relaxed: URL; simdThreads: URL; relaxedThreads: URL; coreSimd: URL; coreRelaxed: URL; inferSimd: URL; inferRelaxed: URL };
function urls(base?: string | URL): Urls {
  if (base !== undefined) {
    const b = new URL(String(base), globalThis.location?.href);
    return { simd: new URL('axon.simd.wasm', b), relaxed: new URL('axon.relaxed.wasm', b), simdThreads: new URL('axon.simd-mt.wasm', b), relaxedThreads: new URL('axon.relaxed-mt.wasm', b),
      coreSimd: new URL('axon.core.simd.wasm', b), coreRelaxed: new URL('axon.core.relaxed.wasm', b), inferSimd: new URL('axon.infer.simd.wasm', b), inferRelaxed: new URL('axon.infer.relaxed.wasm', b) };
  }
  return { simd: new URL('axon.simd.wasm', import.meta.url), relaxed: new URL('axon.relaxed.wasm', import.meta.url),
    simdThreads: new URL('axon.simd-mt.wasm', import.meta.url), relaxedThreads: new URL('axon.relaxed-mt.wasm', import.meta.url),
    coreSimd: new URL('axon.core.simd.wasm', import.meta.url), coreRelaxed: new URL('axon.core.relaxed.wasm', import.meta.url),
    inferSimd: new URL('axon.infer.simd.wasm', import.meta.url), inferRelaxed: new URL('axon.infer.relaxed.wasm', import.meta.url) };
}

/**
 * A fetch for Engine.create: the Response itself (compiled while streaming) when the server says
 * application/wasm; the bytes otherwise (instantiateStreaming refuses other MIME types).
 */
function fetchWasm(url: URL, init?: RequestInit): () => Promise<WasmSource> {
  return async () => {
    const res = await fetch(url, init);
    if (!res.ok) throw new Error(`axon: ${url} answered HTTP ${res.status}; serve the .wasm files beside axon.js or pass { baseUrl }`);
    const type = res.headers.get('content-type') ?? '';
    return type.split(';')[0].trim() === 'application/wasm' ? res : res.arrayBuffer();
  };
}

let shared: Promise<Engine> | undefined;

/**
 * Loads (once per page, unless options are given) the best build: relaxed SIMD where it validates
 * and self-tests, else SIMD128. With `threads` above 1 (or 'auto': navigator.hardwareConcurrency) on
 * a cross-origin isolated page, its threaded twin (Web Workers over shared memory); elsewhere one thread.
 * With `kernels: 'core'` or `'infer'`, that smaller build (src/kernel_sets.ts).
 */
export function loadEngine(opts?: BrowserEngineOptions): Promise<Engine> {
  const make = () => {
    const u = urls(opts?.baseUrl), get = (url: URL) => fetchWasm(url, opts?.init);
    return Engine.create({
      simd: get(u.simd), relaxed: get(u.relaxed), simdThreads: get(u.simdThreads), relaxedThreads: get(u.relaxedThreads),
      kernelSets: { core: { simd: get(u.coreSimd), relaxed: get(u.coreRelaxed) }, infer: { simd: get(u.inferSimd), relaxed: get(u.inferRelaxed) } },
      startWorker: browserWorkerStarter, cores: () => globalThis.navigator?.hardwareConcurrency ?? 1,
    }, opts);
  };
  if (opts) return make();
  const p = (shared ??= make());
  p.catch(() => { if (shared === p) shared = undefined; }); // a failed fetch may be retried
  return p;
}

// (a model picks the smallest kernel set its session needs, the least to download: src/model/engine_choice.ts)
setDefaultEngineLoader((kernels) => (kernels === 'full' ? loadEngine() : loadEngine({ kernels })));
