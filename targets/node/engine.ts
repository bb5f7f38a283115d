// The Node target's engine: the wasm builds from the package's build/ folder, read and compiled
// synchronously (the async APIs cost a few ms of cold start). Shared by both Node entries.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Engine, EngineOptions } from '../../src/runtime/engine.js';
import { setDefaultEngineLoader } from '../../src/runtime/default.js';

/** build/ at the package root: two levels up from dist/chunks/ (bundled) and from targets/node/ (source). */
export function wasmDir(): string {
  for (const rel of ['../../build/', '../build/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(dir + 'axon.simd.wasm')) return dir;
  }
  throw new Error('axon: build/axon.simd.wasm not found; run `npm run build`');
}

let shared: Promise<Engine> | undefined;

/** Loads (once per process, unless options are given) the best wasm build for this Node. */
export function loadEngine(opts?: EngineOptions): Promise<Engine> {
  const make = () => {
    const dir = wasmDir();
    // (lazy compilation: compiling is mostly validation; kernels compile on first call)
    const compile = (file: string) => async () => new WebAssembly.Module(readFileSync(dir + file));
    return Engine.create({ simd: compile('axon.simd.wasm'), relaxed: compile('axon.relaxed.wasm') }, opts);
  };
  if (opts) return make();
  return (shared ??= make());
}

setDefaultEngineLoader(() => loadEngine());
