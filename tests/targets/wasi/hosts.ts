// Test helpers: run build/axon.wasi.wasm under both WASI hosts (Node's node:wasi over a temp
// directory with absolute paths, @bjorn3/browser_wasi_shim over in-memory files with relative
// paths) and compare results bit for bit.
import { expect } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runNodeWasi, wasiWasmPath } from '../../../targets/wasi/run.js';
import { runMemWasi } from '../../../targets/wasi/memfs.js';

export interface HostRun { host: 'node:wasi' | 'browser_wasi_shim'; code: number; stdout: string; stderr: string; files: Map<string, Uint8Array> }

let module: Promise<WebAssembly.Module> | undefined;
export const wasiModule = () => (module ??= WebAssembly.compile(readFileSync(wasiWasmPath())));

export function bytesOf(a: ArrayBufferView): Uint8Array { return new Uint8Array(a.buffer, a.byteOffset, a.byteLength); }
export function f32Of(b: Uint8Array): Float32Array { return new Float32Array(b.slice().buffer); }

/**
 * Runs the program on both hosts. In `args`, '@name' is a file in the shared directory (given as
 * /data/name to node:wasi and as name to the in-memory host); `files` are its initial contents.
 */
export async function onBothHosts(args: string[], files: Record<string, Uint8Array>): Promise<HostRun[]> {
  const dir = mkdtempSync(join(tmpdir(), 'axon-wasi-'));
  try {
    for (const [k, v] of Object.entries(files)) writeFileSync(join(dir, k), v);
    const outNames = args.filter((a) => a.startsWith('@')).map((a) => a.slice(1));
    const n = await runNodeWasi(args.map((a) => (a.startsWith('@') ? `/data/${a.slice(1)}` : a)), { preopens: { '/data': dir } }, await wasiModule());
    const nodeFiles = new Map<string, Uint8Array>();
    for (const k of outNames) if (existsSync(join(dir, k))) nodeFiles.set(k, new Uint8Array(readFileSync(join(dir, k))));
    const m = await runMemWasi(await wasiModule(), args.map((a) => (a.startsWith('@') ? a.slice(1) : a)), files);
    return [{ host: 'node:wasi', ...n, files: nodeFiles }, { host: 'browser_wasi_shim', ...m }];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Bit-identical f32 arrays, with the first differing index in the failure. */
export function expectSameBits(got: ArrayBufferView | undefined, want: ArrayBufferView, what: string): void {
  expect(got, `${what}: missing`).toBeDefined();
  const a = bytesOf(got!), b = bytesOf(want);
  expect(a.length, `${what}: byte length`).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      const k = i >> 2;
      expect.fail(`${what}: first difference at f32 #${k}: got ${f32Of(a.subarray(k * 4, k * 4 + 4))[0]}, want ${f32Of(b.subarray(k * 4, k * 4 + 4))[0]}`);
    }
  }
}
