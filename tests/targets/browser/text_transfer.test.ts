// The text demo's transfer path in real Chromium: demo/text.html fetches the pretrained encoder
// (encoder.onnx.gz, gunzipped by the browser), imports it from ONNX, freezes it and fine-tunes a new
// head on 300 examples — the same model `axon train models/text/transfer.json` makes on Node with the
// same build and epochs: the same test accuracy, the same scores for what is typed.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { chromium, Browser, Page } from 'playwright-core';
import { buildBrowser } from '../../../targets/browser/build.mjs';
import { serveStatic } from '../../../targets/browser/serve.mjs';
import { train } from '../../../targets/node/cli/train.js';
import { loadEngine, modelFromBytes, TextModel } from '../../../targets/node/index.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE = existsSync(CHROMIUM);
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const EPOCHS = 6;

if (!HAVE && process.env.CI) {
  it('needs Chromium', () => { throw new Error(`Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`); });
}

type TextState = { status: string; error: string; epochs: unknown[]; testAccuracy: number; text: string; label: string; scores: number[]; predictions: number; mode: string; trainable: number; frozen: number };
const textState = (page: Page) => page.evaluate(() => (globalThis as unknown as { axonText: { state: TextState } }).axonText.state);

describe.skipIf(!HAVE)('text demo, transfer path, in Chromium', () => {
  let browser: Browser, page: Page, server: { url: string; close: () => Promise<void> }, dir: string;
  const errors: string[] = [], requests: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'axon-browser-transfer-'));
    await buildBrowser({ outdir: dir });
    server = await serveStatic(dir);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    page = await browser.newPage({ viewport: { width: 1040, height: 1000 } });
    page.on('request', (r) => requests.push(new URL(r.url()).pathname));
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('imports the pretrained encoder, freezes it, fine-tunes the head on 300 examples: the model `axon train models/text/transfer.json` makes on Node', async () => {
    await page.goto(`${server.url}/demo/text.html`);
    await page.waitForFunction(() => (globalThis as any).axonText?.state.status === 'ready-to-train', null, { timeout: 30_000 });
    await page.fill('#epochs', String(EPOCHS));
    await page.click('#transfer');
    await page.waitForFunction(() => ['trained', 'error'].includes((globalThis as any).axonText.state.status), null, { timeout: 180_000 });
    const s = await textState(page);
    expect(s.error).toBe('');
    expect([s.mode, s.trainable, s.frozen]).toEqual(['transfer', 9610, 19]);
    expect(s.epochs).toHaveLength(EPOCHS);
    expect(requests).toContain('/demo/encoder.onnx.gz');
    expect(await page.textContent('#accuracy')).toMatch(/frozen pretrained encoder, 9610 trainable parameters, 300 training examples/);
    const report = (await train('models/text/transfer.json', { out: join(dir, 'node'), epochs: EPOCHS, build: 'relaxed', progress: false })) as { test: { accuracy: number } };
    expect(s.testAccuracy).toBe(report.test.accuracy);
    expect(s.testAccuracy).toBeGreaterThan(0.3);
  }, 240_000);

  it('classifies what is typed with the fine-tuned model, with the scores Node computes', async () => {
    const { model, graph } = modelFromBytes(readFileSync(join(dir, 'node/model.axon')), 'model.axon', await loadEngine({ build: 'relaxed' }));
    const node = await TextModel.from(model, graph.extra);
    for (const sentence of ['turn off the bedroom lights please', 'will it rain in paris tomorrow', 'lock the back door']) {
      const before = (await textState(page)).predictions;
      await page.fill('#sentence', sentence);
      await page.waitForFunction(([n, t]) => { const s = (globalThis as any).axonText.state; return s.predictions > n && s.text === t; }, [before, sentence] as const);
      const s = await textState(page);
      const [n] = await node.classify(sentence);
      expect(s.label, sentence).toBe(n.label);
      expect(s.scores, `${sentence}: page = Node`).toEqual(n.scores);
    }
    expect(errors, 'no console errors or uncaught exceptions').toEqual([]);
  });
});
