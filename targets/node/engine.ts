// The Node target's engine: the wasm builds from the package's build/ folder, read and compiled
// synchronously (the async APIs cost a few ms of cold start). Shared by both Node entries.
import { existsSync } from 'node:fs';
import { readWhole } from './read_file.js';
import { fileURLToPath } from 'node:url';
import { Engine, EngineOptions } from '../../src/runtime/engine.js';
import { setDefaultEngineLoader } from '../../src/runtime/default.js';
import { nodeWorkerStarter } from './threads.js';

/** build/ candidates: two levels up from dist/chunks/ (bundled) and from targets/node/ (source), one from a file in dist/. */
function wasmDirs(): string[] {
  // (a POSIX file: URL of plain characters is "file://" + its path: no URL parsing, no fileURLToPath,
  // whose first calls cost ~0.5 ms of a cold start; the OS resolves the "..")
  const here = import.meta.url;
  if (process.platform !== 'win32' && /^file:\/\/\/[\w./-]*$/.test(here)) return ['../../build/', '../build/'].map((rel) => here.slice(7, here.lastIndexOf('/') + 1) + rel);
  return ['../../build/', '../build/'].map((rel) => fileURLToPath(new URL(rel, here)));
}

/** build/ at the package root. */
export function wasmDir(): string {
  const dir = wasmDirs().find((d) => existsSync(d + 'axon.simd.wasm'));
  if (!dir) throw new Error('axon: build/axon.simd.wasm not found; run `npm run build`');
  return dir;
}

/** A wasm build's bytes from the first build/ that has it (no separate existence check: the read is the check). */
function readWasm(file: string) {
  for (const dir of wasmDirs()) {
    try { return readWhole(dir + file); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; }
  }
  throw new Error(`axon: build/${file} not found; run \`npm run build\``);
}

let shared: Promise<Engine> | undefined;

/** Loads (once per process, unless options are given) the best wasm build for this Node (with threads: 'auto' or n > 1, the threaded one; with kernels: 'core' or 'infer', that smaller build). */
export function loadEngine(opts?: EngineOptions): Promise<Engine> {
  const make = () => {
    // (lazy compilation: compiling is mostly validation; kernels compile on first call)
    const compile = (file: string) => async () => new WebAssembly.Module(readWasm(file));
    return Engine.create({
      simd: compile('axon.simd.wasm'), relaxed: compile('axon.relaxed.wasm'),
      simdThreads: compile('axon.simd-mt.wasm'), relaxedThreads: compile('axon.relaxed-mt.wasm'),
      kernelSets: { core: { simd: compile('axon.core.simd.wasm'), relaxed: compile('axon.core.relaxed.wasm') }, infer: { simd: compile('axon.infer.simd.wasm'), relaxed: compile('axon.infer.relaxed.wasm') } },
      // (node:os only for threads: 'auto': loading it costs ~0.5 ms of a cold start)
      startWorker: nodeWorkerStarter, cores: () => (process.getBuiltinModule('node:os') as typeof import('node:os')).availableParallelism(),
    }, opts);
  };
  if (opts) return make();
  return (shared ??= make());
}

// (a model picks the smallest kernel set its session needs: src/model/engine_choice.ts)
setDefaultEngineLoader((kernels) => (kernels === 'full' ? loadEngine() : loadEngine({ kernels })));
