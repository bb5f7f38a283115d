// How an app's bundler sees the published `axon/browser` entry: a consumer project (its
// node_modules/axon → this package, resolved through package.json `exports` to dist/esm) whose app is
// bundled by esbuild, minified, with code splitting on (as apps that load code on demand are built),
// and the chunks that come out: those the page loads at start (the entry and every chunk it imports
// statically) and those loaded on demand by `import()` (the layer families of src/layers/families.ts,
// the tokenizer library, the ONNX reader). Used by bench/size.mjs (W8) and the browser target's tests.
import { build } from 'esbuild';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Bundles `source` (an ES module importing 'axon/browser') into `outdir`. Returns the chunks as
 * { file, bytes, inputs } (inputs: the package modules in it, e.g. 'src/layers/attention.js'):
 * `start`, what the page loads first; `onDemand`, keyed by the module an `import()` loads (e.g.
 * 'src/layers/transformer_family.js'), the chunks that import adds beyond the start ones.
 */
export async function bundleApp(source, { outdir, splitting = true, minify = true } = {}) {
  const project = mkdtempSync(join(tmpdir(), 'axon-consumer-'));
  try {
    mkdirSync(join(project, 'node_modules'));
    symlinkSync(ROOT, join(project, 'node_modules', 'axon'), 'dir');
    writeFileSync(join(project, 'app.mjs'), source);
    const { metafile } = await build({
      entryPoints: [join(project, 'app.mjs')], outdir, bundle: true, minify, splitting, format: 'esm', platform: 'browser', target: 'es2022',
      metafile: true, logLevel: 'error', absWorkingDir: project, nodePaths: [join(ROOT, 'node_modules')],
    });
    const outputs = Object.fromEntries(Object.entries(metafile.outputs).filter(([k]) => k.endsWith('.js')).map(([k, o]) => [resolve(project, k), o]));
    const chunk = (file) => ({ file, bytes: readFileSync(file), inputs: Object.keys(outputs[file].inputs).map((p) => moduleName(resolve(project, p))) });
    const closure = (file, seen) => {
      if (seen.has(file)) return seen;
      seen.add(file);
      for (const i of outputs[file].imports) if (i.kind === 'import-statement' && !i.external) closure(resolve(project, i.path), seen);
      return seen;
    };
    const main = Object.keys(outputs).find((k) => outputs[k].entryPoint && resolve(project, outputs[k].entryPoint) === join(project, 'app.mjs'));
    const start = closure(main, new Set());
    const onDemand = {};
    for (const [file, o] of Object.entries(outputs)) {
      if (!o.entryPoint || file === main) continue;
      onDemand[moduleName(resolve(project, o.entryPoint))] = [...closure(file, new Set())].filter((f) => !start.has(f)).map(chunk);
    }
    return { start: [...start].map(chunk), onDemand };
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
}

/** A module's name in the package ('src/layers/attention.js'), or in node_modules ('@huggingface/tokenizers/…'). */
function moduleName(path) {
  const esm = path.lastIndexOf('/dist/esm/');
  if (esm >= 0) return path.slice(esm + '/dist/esm/'.length);
  const nm = path.lastIndexOf('/node_modules/');
  return nm >= 0 ? path.slice(nm + '/node_modules/'.length) : path;
}
