// Shared parts of the per-target latency benchmarks (bench/kws_targets.mjs, bench/imu_targets.mjs):
// the WASI program `axon.wasi.wasm infer` timed per item under node:wasi, and a page in headless
// Chromium (Debian's /usr/bin/chromium driven by playwright-core) served from a directory.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WASI } from 'node:wasi';
import { Model, layers } from '../dist/node.js';

/** The DS-CNN of models/kws/config.json with seeded weights (timings do not depend on the weights' values). */
export function kwsSeededModel(engine) {
  const cfg = JSON.parse(readFileSync('models/kws/config.json', 'utf8')), m = new Model({ inputShape: [16000], seed: 42, engine, name: 'kws-f32' });
  for (const { type, ...o } of cfg.model.layers) m.add(layers[type](o));
  return m;
}

export const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];

// NOTE: Node 20's fast API calls into node:wasi crash (segfault) under this program; plain JS wrappers avoid them (as targets/wasi/run.ts)
export const plainCalls = (imp) => Object.fromEntries(Object.entries(imp).map(([ns, fns]) => [ns, Object.fromEntries(Object.entries(fns).map(([k, f]) => [k, typeof f === 'function' ? (...a) => f(...a) : f]))]));

/**
 * ms per item of `axon infer <bundle> x.bin out.bin` (the compiled WASI program `wasm`) under node:wasi:
 * (time for 1 + n items - time for 1) / n, so instantiating and loading the bundle are left out;
 * the median of `runs`. `item` is one input row (f32); the files go to `dir`, where the bundle is.
 */
export async function wasiPerItem(wasm, dir, bundle, item, { n = 100, runs = 3 } = {}) {
  for (const k of [1, n + 1]) { const b = new Float32Array(k * item.length); for (let j = 0; j < k; j++) b.set(item, j * item.length); writeFileSync(join(dir, `x${k}.bin`), new Uint8Array(b.buffer)); }
  const run = async (k) => {
    const w = new WASI({ version: 'preview1', args: ['axon', 'infer', `/d/${bundle}`, `/d/x${k}.bin`, '/d/out.bin'], preopens: { '/d': dir }, returnOnExit: true });
    const t0 = performance.now(), inst = await WebAssembly.instantiate(wasm, plainCalls(w.getImportObject())), code = w.start(inst);
    if (code !== 0) throw new Error(`wasi exit ${code}`);
    return performance.now() - t0;
  };
  const t = [];
  for (let r = 0; r < runs; r++) { const a = await run(1), b = await run(n + 1); t.push((b - a) / n); }
  return median(t);
}

/** fn(page, url) on a page of headless Chromium over a static server on `site`; undefined when there is no Chromium. */
export async function withChromium(site, fn) {
  if (!(await import('node:fs')).existsSync('/usr/bin/chromium')) return undefined;
  const { chromium } = await import('playwright-core'), { serveStatic } = await import('../targets/browser/serve.mjs');
  const server = await serveStatic(site), browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  try { return await fn(await browser.newPage(), server.url); } finally { await browser.close(); await server.close(); }
}

/**
 * Models on a blank page of headless Chromium (dist/browser/axon.js and its wasm, one thread): each
 * `{ kind, bytes, input }` loaded with modelFromBytes and timed on its input (f32) of `shape` (batch 1), rounds of
 * `ms` interleaved between models. Returns the page's build and, per model, its output and ms per call
 * of each round; undefined when there is no Chromium. `dir` is a scratch directory.
 */
export async function chromiumLatency(dir, models, shape, { rounds = 7, ms = 300 } = {}) {
  const site = join(dir, 'site');
  mkdirSync(site, { recursive: true });
  for (const f of readdirSync('dist/browser')) if (f === 'axon.js' || f.endsWith('.wasm')) copyFileSync(join('dist/browser', f), join(site, f));
  for (const m of models) writeFileSync(join(site, `${m.kind}.axon`), m.bytes);
  writeFileSync(join(site, 'index.html'), '<!doctype html><meta charset="utf-8"><title>axon bench</title>');
  return withChromium(site, async (page, url) => {
    await page.goto(`${url}/index.html`);
    return page.evaluate(async ({ kinds, inputs, shape, rounds, ms }) => {
      const axon = await import('/axon.js'), engine = await axon.loadEngine({ threads: 1 });
      const runs = await Promise.all(kinds.map(async (kind, k) => {
        const { model } = axon.modelFromBytes(new Uint8Array(await (await fetch(`/${kind}.axon`)).arrayBuffer()), kind, engine);
        const x = new axon.Tensor(Float32Array.from(inputs[k]), shape);
        return { model, x, out: Array.from((await model.predict(x)).data), t: [] };
      }));
      for (let r = 0; r < rounds; r++) for (const m of runs) {
        let n = 0; const t0 = performance.now();
        while (performance.now() - t0 < ms) { await m.model.predict(m.x); n++; }
        m.t.push((performance.now() - t0) / n);
      }
      return { build: engine.build, ua: navigator.userAgent.match(/Chrome\/[\d.]+/)?.[0], results: runs.map((m) => ({ out: m.out, t: m.t })) };
    }, { kinds: models.map((m) => m.kind), inputs: models.map((m) => Array.from(m.input)), shape, rounds, ms });
  });
}
