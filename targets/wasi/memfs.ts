// A second WASI host that needs no file system and no Node: @bjorn3/browser_wasi_shim (pure JS,
// in-memory files), so axon.wasi.wasm also runs in browsers and Workers. The files are given as
// bytes in one preopened directory; the files the program wrote come back in `files`.
import { WASI, File, ConsoleStdout, PreopenDirectory, OpenFile, type Inode } from '@bjorn3/browser_wasi_shim';

export interface MemWasiResult { code: number; stdout: string; stderr: string; files: Map<string, Uint8Array> }

/**
 * Runs the program with `args` (without argv[0]) and `files` in a preopened directory named
 * `dir` ('.' by default, so relative paths work). A Module avoids run-time compilation (Workers).
 */
export async function runMemWasi(wasm: WebAssembly.Module | BufferSource, args: string[], files: Record<string, Uint8Array>, dir = '.'): Promise<MemWasiResult> {
  const module = wasm instanceof WebAssembly.Module ? wasm : await WebAssembly.compile(wasm);
  const contents = new Map<string, Inode>(Object.entries(files).map(([k, v]) => [k, new File(v)]));
  const chunks = { out: [] as Uint8Array[], err: [] as Uint8Array[] };
  const fds = [
    new OpenFile(new File([])),
    new ConsoleStdout((b) => chunks.out.push(b.slice())),
    new ConsoleStdout((b) => chunks.err.push(b.slice())),
    new PreopenDirectory(dir, contents),
  ];
  const wasi = new WASI(['axon.wasi.wasm', ...args], [], fds, { debug: false });
  const instance = await WebAssembly.instantiate(module, { wasi_snapshot_preview1: wasi.wasiImport } as WebAssembly.Imports);
  const code = wasi.start(instance as unknown as Parameters<WASI['start']>[0]);
  const text = (parts: Uint8Array[]) => new TextDecoder().decode(concat(parts));
  const out = new Map<string, Uint8Array>();
  for (const [k, v] of contents) if (v instanceof File) out.set(k, v.data);
  return { code, stdout: text(chunks.out), stderr: text(chunks.err), files: out };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}
