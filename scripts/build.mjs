// npm run build: op dispatch → eight wasm builds (SIMD128, SIMD128 + relaxed, each also threaded: shared memory + atomics, and as the smaller core and infer builds) → host bundles → types.
// Flags: --kernels (wasm only; NOTE: asc itself reads process.argv --wasm, so not that name), --host (host bundles only, over the wasm already in build/), --no-types (skip the declaration emit).
import { genDispatch } from './gen-dispatch.mjs';
import asc from 'assemblyscript/asc';
import { build } from 'esbuild';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { scriptChunk, minifyScript, inlineEntry, cjsEntry, lastReason } from './script-chunks.mjs';
import { execFileSync } from 'node:child_process';

const args = new Set(process.argv.slice(2));
const t0 = performance.now();
const { hash: opsHash } = await genDispatch();
mkdirSync('build', { recursive: true });
// the full builds, then the smaller ones (src/kernel_sets.ts: core, no transformer kernels; infer,
// no training kernels either; one thread only, the plan ABI exported)
for (const target of args.has('--host') ? [] : ['simd', 'relaxed', 'simd-mt', 'relaxed-mt', 'core-simd', 'core-relaxed', 'infer-simd', 'infer-relaxed']) {
  const entry = /^(core|infer)-/.test(target) ? 'assembly/core.ts' : 'assembly/index.ts';
  const { error, stderr } = await asc.main([entry, '--config', 'asconfig.json', '--target', target]);
  if (error) { console.error(stderr.toString()); process.exit(1); }
}
if (!args.has('--host')) { // the standalone WASI program (own config: asc would otherwise merge ./asconfig.json)
  const { error, stderr } = await asc.main(['assembly/wasi/main.ts', '--config', 'asconfig.wasi.json']);
  if (error) { console.error(stderr.toString()); process.exit(1); }
}
if (!args.has('--kernels')) {
  rmSync('dist/chunks', { recursive: true, force: true }); // (chunk names are content hashes: drop the old ones)
  rmSync('dist/infer.cjs', { force: true });
  const common = { bundle: true, format: 'esm', sourcemap: true, logLevel: 'warning', target: 'es2022' };
  // splitting: the entries share chunks (dist/chunks/), so `axon/infer` loads only inference code;
  // dependencies stay imports (no require shim needed); AXON_OPS_HASH: see src/ops.ts; AXON_SPECS_CURRENT: src/op_spec.ts
  const nodeEntries = { node: 'targets/node/index.ts', infer: 'targets/node/infer.ts', cli: 'targets/node/cli/main.ts' };
  await build({ ...common, platform: 'node', entryPoints: nodeEntries,
    outdir: 'dist', splitting: true, chunkNames: 'chunks/[name]-[hash]', packages: 'external',
    define: { AXON_OPS_HASH: String(opsHash), AXON_SPECS_CURRENT: 'true' } });
  // axon/federated: the client from the main entry's classes (same Model, same default engine)
  writeFileSync('dist/federated.js', "// axon/federated (Node): the federated client, from the main entry.\nexport { FederatedClient, encodeUpdate, decodeUpdate, layoutOf, jobConfig, serverStep } from './node.js';\n");
  // chunks that can be classic scripts load through the compile cache (targets/node/compile_cache.ts)
  // (only big ones: a small chunk costs less to compile than a cache file costs to find and read)
  const loader = await compileCacheSource();
  const scripts = new Map();
  for (const f of readdirSync('dist/chunks').filter((n) => n.endsWith('.js') && statSync(`dist/chunks/${n}`).size > 16384)) {
    const info = scriptChunk(`dist/chunks/${f}`, loader);
    if (info) { scripts.set(f, info); await minifyScript(`dist/chunks/${f}`); } else console.log(`build: dist/chunks/${f} stays an ES module (${lastReason()})`);
  }
  const infer = inlineEntry('dist/infer.js', scripts, loader);
  if (infer) rmSync('dist/infer.js.map'); // (its map described the re-export)
  else console.log(`build: dist/infer.js stays a re-export (${lastReason()})`);
  if (!infer || !cjsEntry('dist/infer.cjs', infer, scripts.get(infer.chunk), loader)) console.log(`build: no require() entry for axon/infer (${lastReason()})`);
  writeFileSync('dist/compile-cache.js', [ // the loader as a module: tests and bench/coldstart.mjs read its states
    `export const compileCache = ${loader};`, 'export const cacheStates = compileCache(process.getBuiltinModule).states;', ''].join('\n'));
  // the browser and Workers targets build themselves (bundles, .wasm beside them, demo page, template Worker)
  await (await import('../targets/browser/build.mjs')).buildBrowser();
  await (await import('../targets/workers/build.mjs')).buildWorkers();
  await (await import('../targets/workers/federated/build.mjs')).buildFederated();
  if (!args.has('--no-types')) execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
}
console.log(`build: ${(performance.now() - t0).toFixed(0)} ms`);

/** The source of targets/node/compile_cache.ts's compileCache (self-contained, so it can be inlined). */
async function compileCacheSource() {
  const out = await build({ entryPoints: ['targets/node/compile_cache.ts'], bundle: true, write: false, format: 'esm', platform: 'node', target: 'es2022' });
  const { compileCache } = await import('data:text/javascript;base64,' + Buffer.from(out.outputFiles[0].text).toString('base64'));
  return String(compileCache);
}
