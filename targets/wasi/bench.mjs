// Bundles targets/wasi/bench.ts with esbuild and runs it (no TS runner needed): node targets/wasi/bench.mjs
import { build } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';

const dir = mkdtempSync(join(tmpdir(), 'axon-bench-'));
const out = join(dir, 'bench.mjs');
await build({ entryPoints: [fileURLToPath(new URL('./bench.ts', import.meta.url))], bundle: true, platform: 'node', format: 'esm', target: 'es2022', outfile: out, packages: 'external', logLevel: 'warning',
  define: { 'import.meta.url': JSON.stringify(pathToFileURL(fileURLToPath(new URL('./bench.ts', import.meta.url))).href) } });
try { await import(pathToFileURL(out).href); } finally { rmSync(dir, { recursive: true, force: true }); }
