// Browser target bundles (called by scripts/build.mjs): dist/esm/ (the package's shakeable
// `axon/browser` entry: one ES module per source file), dist/browser/axon.js (one minified ES module, the
// whole API, for a <script type="module"> or a CDN) with the .wasm builds beside it (SIMD128, relaxed, their
// threaded twins, and the smaller core and infer builds), and the demo pages in dist/browser/demo/
// (index.html: digits; text.html: a Transformer on typed commands, from scratch or a pretrained ONNX
// encoder fine-tuned; generate.html: a causal LM continuing a prompt; kws.html: keyword spotting on the microphone).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';

const WASM = ['simd', 'relaxed', 'simd-mt', 'relaxed-mt', 'core.simd', 'core.relaxed', 'infer.simd', 'infer.relaxed'];
/** The .ts files under dir (recursively). */
const tsFiles = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsFiles(`${dir}/${e.name}`) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [`${dir}/${e.name}`] : []));

export async function buildBrowser({ outdir = 'dist/browser' } = {}) {
  const common = { bundle: true, format: 'esm', platform: 'browser', target: 'es2022', logLevel: 'warning', sourcemap: true };
  mkdirSync(`${outdir}/demo`, { recursive: true });
  await build({ ...common, entryPoints: ['targets/browser/api.ts'], outfile: `${outdir}/axon.js`, minify: true }); // (every layer: no on-demand families)
  for (const b of WASM) copyFileSync(`build/axon.${b}.wasm`, `${outdir}/axon.${b}.wasm`);
  // the package's `axon/browser` entry: every module transpiled on its own (ES modules, no bundle),
  // so an app's bundler keeps only what the app reaches (package.json sideEffects names the few
  // modules that register something when loaded); the .wasm files beside its index
  await build({ entryPoints: [...tsFiles('src'), 'targets/browser/index.ts', 'targets/browser/api.ts', 'targets/browser/threads.ts', 'targets/browser/model_file.ts'], outdir: 'dist/esm', outbase: '.', format: 'esm', platform: 'browser', target: 'es2022', logLevel: 'warning' });
  for (const b of WASM) copyFileSync(`build/axon.${b}.wasm`, `dist/esm/targets/browser/axon.${b}.wasm`);
  copyFileSync('targets/browser/axon.d.ts', `${outdir}/axon.d.ts`); // refers to ../types/src (the main tsc emit)
  // the demo imports '../index.js' (the shim, for types); in dist it uses the published ../axon.js
  const useBundle = { name: 'axon-bundle', setup(b) { b.onResolve({ filter: /^\.\.\/index\.js$/ }, () => ({ path: '../axon.js', external: true })); } };
  for (const page of ['demo', 'text', 'generate', 'kws']) await build({ ...common, entryPoints: [`targets/browser/demo/${page}.ts`], outfile: `${outdir}/demo/${page}.js`, plugins: [useBundle] });
  for (const f of ['index.html', 'text.html', 'generate.html', 'kws.html']) copyFileSync(`targets/browser/demo/${f}`, `${outdir}/demo/${f}`);
  for (const f of ['digits-x.npy', 'digits-y.npy']) copyFileSync(`models/digits/${f}`, `${outdir}/demo/${f}`);
  for (const f of ['intents.tsv', 'tokenizer.json', 'encoder.onnx.gz']) copyFileSync(`models/text/${f}`, `${outdir}/demo/${f}`); // the text demo (text.html)
  copyFileSync('models/text/transfer.json', `${outdir}/demo/transfer.json`); // (its transfer path)
  copyFileSync('models/lm/config.json', `${outdir}/demo/lm.json`); // the generation demo (generate.html)
  copyFileSync('models/kws/kws.int8.axon', `${outdir}/demo/kws.int8.axon`); // the microphone demo (kws.html)
}
