// Workers target bundles (called by scripts/build.mjs), into dist/workers/:
//   axon.js    the axon/workers entry (ESM, minified); imports ./axon.simd.wasm and ./axon.relaxed.wasm
//   worker.js  the template Worker (targets/workers/template), ready for workerd/miniflare/wrangler,
//              importing the same .wasm files and ./digits.axon (or the model file given as `model`:
//              the template serves any model; tests build it around a multi-input one)
// esbuild's `copy` loader keeps `import m from './x.wasm'` as an import and copies the file beside
// the bundle, so the Workers runtime receives it as a precompiled module.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';

/** Points the template's `../model/digits.axon` import at another model file. */
const modelPlugin = (model) => ({
  name: 'axon-model',
  setup(b) { b.onResolve({ filter: /\/model\/digits\.axon$/ }, () => ({ path: resolve(model) })); },
});

export async function buildWorkers({ outdir = 'dist/workers', minify = true, model = undefined } = {}) {
  mkdirSync(outdir, { recursive: true });
  await build({
    entryPoints: { axon: 'targets/workers/index.ts', worker: 'targets/workers/template/src/worker.ts' },
    outdir, bundle: true, format: 'esm', platform: 'browser', conditions: ['workerd', 'worker'], target: 'es2022',
    minify, sourcemap: true, logLevel: 'warning', loader: { '.wasm': 'copy', '.axon': 'copy' }, assetNames: '[name]',
    plugins: model ? [modelPlugin(model)] : [],
  });
  copyFileSync('targets/workers/axon.d.ts', `${outdir}/axon.d.ts`); // refers to ../types/src (the main tsc emit)
}
