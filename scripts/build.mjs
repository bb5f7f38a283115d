// npm run build: op dispatch → two wasm builds (SIMD128, SIMD128 + relaxed) → host bundles → types.
// Flags: --kernels (wasm only; NOTE: asc itself reads process.argv --wasm, so not that name), --no-types (skip the declaration emit).
import { genDispatch } from './gen-dispatch.mjs';
import asc from 'assemblyscript/asc';
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const args = new Set(process.argv.slice(2));
const t0 = performance.now();
await genDispatch();
mkdirSync('build', { recursive: true });
for (const target of ['simd', 'relaxed']) {
  const { error, stderr } = await asc.main(['assembly/index.ts', '--config', 'asconfig.json', '--target', target]);
  if (error) { console.error(stderr.toString()); process.exit(1); }
}
{ // the standalone WASI program (own config: asc would otherwise merge ./asconfig.json)
  const { error, stderr } = await asc.main(['assembly/wasi/main.ts', '--config', 'asconfig.wasi.json']);
  if (error) { console.error(stderr.toString()); process.exit(1); }
}
if (!args.has('--kernels')) {
  const common = { bundle: true, format: 'esm', sourcemap: true, logLevel: 'warning', target: 'es2022' };
  await build({ ...common, platform: 'node', entryPoints: { node: 'targets/node/index.ts', cli: 'src/cli/main.ts' },
    outdir: 'dist', banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    packages: 'external' });
  // the browser and Workers targets build themselves (bundles, .wasm beside them, demo page, template Worker)
  await (await import('../targets/browser/build.mjs')).buildBrowser();
  await (await import('../targets/workers/build.mjs')).buildWorkers();
  if (!args.has('--no-types')) execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
}
console.log(`build: ${(performance.now() - t0).toFixed(0)} ms`);
