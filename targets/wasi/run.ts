// Node-only helper: runs build/axon.wasi.wasm under Node's built-in WASI (preview1) with
// preopened directories, capturing stdout and stderr. The program itself needs no JS: any WASI
// runtime runs it the same way (wasmtime --dir=. axon.wasi.wasm infer bundle.axb in.bin out.bin).
import { WASI } from 'node:wasi';
import { readFileSync, existsSync, openSync, closeSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface WasiRunResult { code: number; stdout: string; stderr: string }
export interface NodeWasiOptions {
  /** guest directory name → host directory (e.g. { '/data': '/tmp/x' } or { '.': process.cwd() }) */
  preopens: Record<string, string>;
  env?: Record<string, string>;
}

/** build/axon.wasi.wasm at the repo root (from source) or beside dist/ (bundled). */
export function wasiWasmPath(): string {
  for (const rel of ['../../build/axon.wasi.wasm', '../build/axon.wasi.wasm']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new Error('axon: build/axon.wasi.wasm not found; run `npm run build`');
}

const modules = new Map<string, Promise<WebAssembly.Module>>();
function compiled(src: string | Uint8Array | WebAssembly.Module): Promise<WebAssembly.Module> {
  if (src instanceof WebAssembly.Module) return Promise.resolve(src);
  if (typeof src !== 'string') return WebAssembly.compile(src as BufferSource);
  let m = modules.get(src);
  if (!m) { m = WebAssembly.compile(readFileSync(src)); modules.set(src, m); }
  return m;
}

/**
 * The imports with every function wrapped in a JS function. Node's WASI functions are V8 fast API
 * calls, and in Node 20 a fast call can run while the program's grown memory has moved or a GC is
 * due (nodejs/node#46777, #53087): the host process segfaults (here: any bundle whose arena is
 * 32 MiB or more). Called through JS they take the regular path, at no measurable cost for this
 * program's few dozen calls.
 */
function withoutFastCalls(imports: WebAssembly.Imports): WebAssembly.Imports {
  const out: WebAssembly.Imports = {};
  for (const [ns, fns] of Object.entries(imports)) {
    out[ns] = Object.fromEntries(Object.entries(fns).map(([k, f]) => [k, typeof f === 'function' ? (...a: unknown[]) => (f as (...x: unknown[]) => unknown)(...a) : f]));
  }
  return out;
}

/** Runs the program with `args` (without argv[0]); returns the exit code and the captured output. */
export async function runNodeWasi(args: string[], o: NodeWasiOptions, wasm: string | Uint8Array | WebAssembly.Module = wasiWasmPath()): Promise<WasiRunResult> {
  const module = await compiled(wasm);
  const dir = mkdtempSync(join(tmpdir(), 'axon-wasi-io-'));
  const outPath = join(dir, 'stdout'), errPath = join(dir, 'stderr');
  const out = openSync(outPath, 'w'), err = openSync(errPath, 'w');
  try {
    const wasi = new WASI({ version: 'preview1', args: ['axon.wasi.wasm', ...args], env: o.env ?? {}, preopens: o.preopens, stdout: out, stderr: err, returnOnExit: true });
    const instance = await WebAssembly.instantiate(module, withoutFastCalls(wasi.getImportObject() as WebAssembly.Imports));
    const code = wasi.start(instance);
    return { code, stdout: readFileSync(outPath, 'utf8'), stderr: readFileSync(errPath, 'utf8') };
  } finally {
    closeSync(out); closeSync(err);
    rmSync(dir, { recursive: true, force: true });
  }
}
