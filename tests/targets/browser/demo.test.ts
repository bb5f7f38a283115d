// The browser target in real Chromium (Debian's, driven by playwright-core): the demo page loads
// dist/browser/axon.js from a local static server, picks a wasm build, trains the digits MLP with
// live charts, and classifies digits drawn on its canvas.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { chromium, Browser, Page } from 'playwright-core';
import { buildBrowser } from '../../../targets/browser/build.mjs';
import { serveStatic } from '../../../targets/browser/serve.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE = existsSync(CHROMIUM);
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

if (!HAVE && process.env.CI) {
  it('needs Chromium', () => { throw new Error(`Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`); });
}

type DemoState = { status: string; build: string; threads: number; isolated: boolean; epochs: Array<Record<string, number>>; testAccuracy: number; error: string; lastInput: number[]; probabilities: number[]; prediction: number; predictions: number };
const demoState = (page: Page) => page.evaluate(() => (globalThis as unknown as { axonDemo: { state: DemoState } }).axonDemo.state);

describe.skipIf(!HAVE)('browser target in Chromium', () => {
  let browser: Browser, page: Page, server: { url: string; close: () => Promise<void> }, url: string, dir: string;
  const requests: string[] = [], errors: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'axon-browser-'));
    await buildBrowser({ outdir: dir });
    server = await serveStatic(dir);
    url = server.url;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    page = await browser.newPage({ viewport: { width: 1040, height: 1100 } });
    page.on('request', (r) => requests.push(new URL(r.url()).pathname));
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('loads the page (served cross-origin isolated) and picks the relaxed-SIMD build, threaded on a machine with several cores', async () => {
    const version = browser.version();
    await page.goto(`${url}/demo/index.html`);
    await page.waitForFunction(() => { const s = (globalThis as any).axonDemo?.state; return s && s.status !== 'loading'; }, null, { timeout: 30_000 });
    const s = await demoState(page), cores = await page.evaluate(() => navigator.hardwareConcurrency);
    expect(s.error, 'page error').toBe('');
    expect(s.status).toBe('ready-to-train');
    expect(Number(version.split('.')[0]), `Chromium ${version}`).toBeGreaterThanOrEqual(114);
    expect(s.build).toBe('relaxed');
    expect(s.isolated, 'served with COOP/COEP').toBe(true);
    expect(s.threads).toBe(cores);
    expect(await page.textContent('#build')).toContain('relaxed SIMD');
    expect(await page.textContent('#build')).toContain(cores > 1 ? `${cores} threads` : '1 thread');
    expect(requests).toContain(cores > 1 ? '/axon.relaxed-mt.wasm' : '/axon.relaxed.wasm');
    expect(requests, 'the SIMD128 build is fetched only when needed').not.toContain('/axon.simd.wasm');
    expect(requests.filter((r) => r.endsWith('.npy')).sort()).toEqual(['/demo/digits-x.npy', '/demo/digits-y.npy']);
  });

  it('trains in the page with a live chart per epoch and reaches high test accuracy', async () => {
    const epochs = 20;
    await page.fill('#epochs', String(epochs));
    await page.click('#train');
    // the chart is live: it shows partial training before the end
    await page.waitForFunction(() => { const s = (globalThis as any).axonDemo.state; return s.status === 'training' && s.epochs.length >= 2; }, null, { timeout: 30_000, polling: 10 });
    const midway = await page.locator('#chart polyline').count();
    expect(midway).toBeGreaterThan(0);
    await page.waitForFunction(() => ['trained', 'error'].includes((globalThis as any).axonDemo.state.status), null, { timeout: 60_000 });
    const s = await demoState(page);
    expect(s.error).toBe('');
    expect(s.epochs).toHaveLength(epochs);
    expect(s.epochs[epochs - 1].loss).toBeLessThan(s.epochs[0].loss / 4);
    expect(s.epochs[epochs - 1].val_accuracy).toBeGreaterThan(0.93);
    expect(s.testAccuracy).toBeGreaterThan(0.93);
    expect(await page.textContent('#accuracy')).toMatch(/test accuracy \d+\.\d%/);
    const svg = await page.innerHTML('#chart');
    expect(svg).toContain('<svg');
    expect(svg).toContain('validation accuracy');
  });

  it('classifies digits drawn on the canvas (dataset pixels injected) through the 8x8 downsample', async () => {
    const out = await page.evaluate(async () => {
      const demo = (globalThis as any).axonDemo;
      const t = demo.data.test, rows: Array<{ label: number; pred: number; input: number[]; want: number[]; sum: number; shown: string }> = [];
      for (let i = 0; i < 40; i++) {
        const want = Array.from(t.x.data.subarray(i * 64, i * 64 + 64) as Float32Array, (v) => v * 16);
        await demo.drawPixels(want);
        const s = demo.state;
        rows.push({ label: t.y.data[i], pred: s.prediction, input: s.lastInput, want, sum: s.probabilities.reduce((a: number, b: number) => a + b, 0), shown: document.getElementById('prediction')!.textContent! });
      }
      return rows;
    });
    for (const r of out) {
      expect(r.input, 'the canvas downsample gives back the dataset pixels').toEqual(r.want);
      expect(r.sum).toBeCloseTo(1, 5);
      expect(r.shown).toBe(String(r.pred));
    }
    const correct = out.filter((r) => r.pred === r.label).length;
    expect(correct, `${correct}/40 drawn test digits classified correctly`).toBeGreaterThanOrEqual(37);
    // leave a clearly drawn digit on screen for the screenshot: the first correctly classified one
    const shown = out.find((r) => r.pred === r.label)!;
    await page.evaluate((v) => (globalThis as any).axonDemo.drawPixels(v), shown.want);
    expect((await demoState(page)).prediction).toBe(shown.label);
    expect(await page.locator('#probs .bar').count()).toBe(10);
  });

  it('classifies a stroke drawn with the mouse', async () => {
    const before = (await demoState(page)).predictions;
    await page.click('#clear');
    const box = (await page.locator('#pad').boundingBox())!;
    await page.mouse.move(box.x + 128, box.y + 48);
    await page.mouse.down();
    for (let k = 1; k <= 10; k++) await page.mouse.move(box.x + 128, box.y + 48 + k * 17);
    await page.mouse.up();
    await page.waitForFunction((n) => (globalThis as any).axonDemo.state.predictions > n, before);
    const s = await demoState(page);
    expect(s.lastInput.slice(0, 8).every((v) => v === 0), 'nothing drawn in the top row').toBe(true);
    expect(s.lastInput[3 * 8 + 3] + s.lastInput[3 * 8 + 4], 'ink in the middle column').toBeGreaterThan(8);
    expect(s.probabilities).toHaveLength(10);
    expect(await page.textContent('#prediction')).toBe(String(s.prediction));
    // the screenshot: trained charts plus a dataset digit on the pad
    await page.evaluate(() => { const d = (globalThis as any).axonDemo; return d.drawPixels(Array.from(d.data.test.x.data.subarray(0, 64) as Float32Array, (v) => v * 16)); });
    mkdirSync('test-artifacts', { recursive: true });
    await page.screenshot({ path: 'test-artifacts/browser-demo.png', fullPage: true });
    expect(existsSync('test-artifacts/browser-demo.png')).toBe(true);
  });

  it('loads the SIMD128 build on request, and .wasm served without application/wasm', async () => {
    // a string, not a function: vitest's transform would rewrite import() inside a function body
    const r = await page.evaluate(`(async () => {
      const m = await import('/axon.js');
      const simd = await m.loadEngine({ build: 'simd' });
      const plain = await m.loadEngine({ baseUrl: '/plain/' });
      return { simd: simd.build, plain: plain.build, same: simd === plain };
    })()`);
    expect(r).toEqual({ simd: 'simd', plain: 'relaxed', same: false });
    expect(requests).toContain('/axon.simd.wasm');
    expect(requests).toContain('/plain/axon.relaxed.wasm');
    expect(errors, 'no console errors or uncaught exceptions').toEqual([]);
  });
});
