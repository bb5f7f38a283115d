// The fine-tuning lifecycle in real Chromium: a model file fine-tuned in the page (its compile
// settings: Adam), its predictions with the new weights, and the file it saves (loaded back, the
// normalizer kept) equal the Node target doing the same, bit for bit.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { build } from 'esbuild';
import { chromium, Browser, Page } from 'playwright-core';
import { serveStatic } from '../../../targets/browser/serve.mjs';
import { loadEngine, modelFromBytes, Normalizer, parseNpy, Tensor } from '../../../targets/node/index.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const MODEL = new Uint8Array(readFileSync('targets/workers/template/model/digits.axon'));
const X = parseNpy(readFileSync('models/digits/digits-x.npy'), 'x'), Y = parseNpy(readFileSync('models/digits/digits-y.npy'), 'y');
const rows = (a: number, b: number) => Array.from(X.data.subarray(a * 64, b * 64), (v) => v / 16);

describe.skipIf(!existsSync(CHROMIUM))('fine-tuning lifecycle in Chromium', () => {
  let browser: Browser, page: Page, server: { url: string; close: () => Promise<void> }, dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'axon-lifecycle-browser-'));
    await build({ entryPoints: ['tests/targets/browser/lifecycle-entry.ts'], outfile: join(dir, 'lifecycle.js'), bundle: true, format: 'esm', platform: 'browser', target: 'es2022', logLevel: 'warning' });
    for (const b of ['simd', 'relaxed']) copyFileSync(`build/axon.${b}.wasm`, join(dir, `axon.${b}.wasm`));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="lifecycle.js"></script>');
    server = await serveStatic(dir);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    page = await browser.newPage();
    await page.goto(`${server.url}/index.html`);
    await page.waitForFunction(() => typeof (globalThis as any).axonLifecycle === 'function');
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('fine-tune → predict with the new weights → save → load = the Node target', async () => {
    const job = { model: Array.from(MODEL), x: rows(0, 96), y: Array.from(Y.data.subarray(0, 96)), test: rows(1700, 1730), epochs: 3 };
    const got = await page.evaluate((j) => (globalThis as any).axonLifecycle(j), job) as { pred: number[]; again: number[]; saved: number[] };
    const { model, graph } = modelFromBytes(MODEL, 'digits.axon', await loadEngine({ build: 'simd' }));
    const norm = Normalizer.fromJSON(graph.extra!.normalizer), prep = (v: number[]) => norm.apply(new Tensor(Float32Array.from(v), [v.length / 64, 64]));
    const before = Array.from((await model.predict(prep(job.test))).data);
    await model.fit(prep(job.x), new Tensor(Int32Array.from(job.y), [96]), { epochs: 3, batchSize: 16 });
    const want = Array.from((await model.predict(prep(job.test))).data);
    expect(got.pred).toEqual(want);
    expect(got.pred).not.toEqual(before);
    expect(got.again).toEqual(want);
    const saved = modelFromBytes(Uint8Array.from(got.saved));
    expect(saved.graph.extra).toEqual(graph.extra);
    expect(saved.graph.compile).toEqual(graph.compile);
  });
});
