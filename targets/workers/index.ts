// Cloudflare Workers target (axon/workers): the public API plus a default engine made from the
// .wasm builds imported as modules. Workers refuse to compile wasm at run time
// (WebAssembly.compile/instantiate(bytes) and new WebAssembly.Module throw), so the bundler
// (wrangler, or esbuild's `copy` loader) keeps these imports and workerd compiles them at upload;
// here they arrive as WebAssembly.Module objects, and instantiating a Module is allowed.
import simd from '../../build/axon.simd.wasm';
import relaxed from '../../build/axon.relaxed.wasm';
import { Engine, EngineOptions } from '../../src/runtime/engine.js';
import { setDefaultEngineLoader } from '../../src/runtime/default.js';
import { useAllLayerFamilies } from '../../src/layers/all_families.js';

export * from '../../src/index.js';

let shared: Promise<Engine> | undefined;

/** The engine of this isolate (once; options give a fresh one): relaxed SIMD where it self-tests (workerd has it), else SIMD128. */
export function loadEngine(opts?: EngineOptions): Promise<Engine> {
  const make = () => Engine.create({ simd, relaxed }, opts);
  if (opts) return make();
  const p = (shared ??= make());
  p.catch(() => { if (shared === p) shared = undefined; });
  return p;
}

useAllLayerFamilies();   // (every layer in the Worker: modelFromBytes loads any model file synchronously)
// (the full build for every model: a Worker's upload carries both builds once, the core ones would add to it)
setDefaultEngineLoader(() => loadEngine());
