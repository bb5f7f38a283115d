// Browser target bundles (called by scripts/build.mjs): dist/browser/axon.js (ESM, minified, the
// whole API) with the .wasm builds beside it (SIMD128, relaxed, and their threaded twins), and the
// demo pages in dist/browser/demo/ (index.html: digits; text.html: a Transformer on typed commands; kws.html: keyword spotting on the microphone).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';

export async function buildBrowser({ outdir = 'dist/browser' } = {}) {
  const common = { bundle: true, format: 'esm', platform: 'browser', target: 'es2022', logLevel: 'warning', sourcemap: true };
  mkdirSync(`${outdir}/demo`, { recursive: true });
  await build({ ...common, entryPoints: ['targets/browser/index.ts'], outfile: `${outdir}/axon.js`, minify: true });
  for (const b of ['simd', 'relaxed', 'simd-mt', 'relaxed-mt']) copyFileSync(`build/axon.${b}.wasm`, `${outdir}/axon.${b}.wasm`);
  copyFileSync('targets/browser/axon.d.ts', `${outdir}/axon.d.ts`); // refers to ../types/src (the main tsc emit)
  // the demo imports '../index.js' (the shim, for types); in dist it uses the published ../axon.js
  const useBundle = { name: 'axon-bundle', setup(b) { b.onResolve({ filter: /^\.\.\/index\.js$/ }, () => ({ path: '../axon.js', external: true })); } };
  for (const page of ['demo', 'text', 'kws']) await build({ ...common, entryPoints: [`targets/browser/demo/${page}.ts`], outfile: `${outdir}/demo/${page}.js`, plugins: [useBundle] });
  for (const f of ['index.html', 'text.html', 'kws.html']) copyFileSync(`targets/browser/demo/${f}`, `${outdir}/demo/${f}`);
  for (const f of ['digits-x.npy', 'digits-y.npy']) copyFileSync(`models/digits/${f}`, `${outdir}/demo/${f}`);
  for (const f of ['intents.tsv', 'tokenizer.json']) copyFileSync(`models/text/${f}`, `${outdir}/demo/${f}`); // the text demo (text.html)
  copyFileSync('models/kws/kws.int8.axon', `${outdir}/demo/kws.int8.axon`); // the microphone demo (kws.html)
}
