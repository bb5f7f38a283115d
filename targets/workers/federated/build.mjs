// Builds the federated fine-tuning Worker (called by scripts/build.mjs) into dist/federated/worker.js:
// one ES module with the Durable Object class (no wasm: the server only adds and scales vectors).
import { build } from 'esbuild';

export async function buildFederated({ outdir = 'dist/federated', minify = true } = {}) {
  await build({
    entryPoints: { worker: 'targets/workers/federated/worker.ts' }, outdir, bundle: true, format: 'esm', platform: 'browser',
    conditions: ['workerd', 'worker'], target: 'es2022', minify, sourcemap: true, logLevel: 'warning',
  });
}
