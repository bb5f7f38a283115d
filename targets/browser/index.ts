// Browser target (axon/browser): the public API plus a default engine that fetches the wasm build
// from beside this module and compiles it while it downloads (WebAssembly.instantiateStreaming).
// The URLs are literal `new URL('…', import.meta.url)` so bundlers (Vite, webpack, esbuild with a
// file loader) can find and emit the .wasm files; dist/browser/ ships them next to axon.js.
import { Engine, EngineOptions, WasmSource } from '../../src/runtime/engine.js';
import { setDefaultEngineLoader } from '../../src/runtime/default.js';

export * from '../../src/index.js';

export interface BrowserEngineOptions extends EngineOptions {
  /** where axon.simd.wasm / axon.relaxed.wasm live (default: beside this module) */
  baseUrl?: string | URL;
  /** fetch options (credentials, cache, integrity is per file so not here) */
  init?: RequestInit;
}

function urls(base?: string | URL): { simd: URL; relaxed: URL } {
  if (base !== undefined) {
    const b = new URL(String(base), globalThis.location?.href);
    return { simd: new URL('axon.simd.wasm', b), relaxed: new URL('axon.relaxed.wasm', b) };
  }
  return { simd: new URL('axon.simd.wasm', import.meta.url), relaxed: new URL('axon.relaxed.wasm', import.meta.url) };
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

/** Loads (once per page, unless options are given) the best build: relaxed SIMD where it validates and self-tests, else SIMD128. */
export function loadEngine(opts?: BrowserEngineOptions): Promise<Engine> {
  const make = () => {
    const u = urls(opts?.baseUrl);
    return Engine.create({ simd: fetchWasm(u.simd, opts?.init), relaxed: fetchWasm(u.relaxed, opts?.init) }, opts);
  };
  if (opts) return make();
  const p = (shared ??= make());
  p.catch(() => { if (shared === p) shared = undefined; }); // a failed fetch may be retried
  return p;
}

setDefaultEngineLoader(() => loadEngine());
