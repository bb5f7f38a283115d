// The text demo in real Chromium: demo/text.html fetches the intents dataset and its tokenizer.json,
// tokenizes in the page, trains the Transformer intent classifier (models/text/config.json's
// architecture) with a live chart, and classifies what is typed in the text box. The page's model
// is the one `axon train` makes on Node with the same build, seed and epochs: same test accuracy,
// same scores.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
const EPOCHS = 4;

if (!HAVE && process.env.CI) {
  it('needs Chromium', () => { throw new Error(`Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`); });
}

type TextState = { status: string; build: string; epochs: Array<Record<string, number>>; testAccuracy: number; error: string; samples: number; text: string; label: string; scores: number[]; labels: string[]; tokens: string[]; predictions: number };
const textState = (page: Page) => page.evaluate(() => (globalThis as unknown as { axonText: { state: TextState } }).axonText.state);

describe.skipIf(!HAVE)('text demo in Chromium', () => {
  let browser: Browser, page: Page, server: { url: string; close: () => Promise<void> }, dir: string;
  const errors: string[] = [], requests: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'axon-browser-text-'));
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

  it('loads the dataset and the tokenizer, tokenizes all 3,300 utterances in the page', async () => {
    await page.goto(`${server.url}/demo/text.html`);
    await page.waitForFunction(() => { const s = (globalThis as any).axonText?.state; return s && s.status !== 'loading'; }, null, { timeout: 30_000 });
    const s = await textState(page);
    expect(s.error).toBe('');
    expect(s.status).toBe('ready-to-train');
    expect(s.build).toBe('relaxed');
    expect(s.samples).toBe(3300);
    expect(s.labels).toHaveLength(10);
    expect(requests).toEqual(expect.arrayContaining(['/demo/intents.tsv', '/demo/tokenizer.json', '/axon.relaxed.wasm']));
    expect(await page.textContent('#status')).toMatch(/2310 train \/ 330 validation \/ 660 test; WordPiece tokenizer, 1179 ids/);
  });

  it('trains in the page with a live chart, the same model as `axon train` on Node (same build, seed, epochs)', async () => {
    await page.fill('#epochs', String(EPOCHS));
    await page.click('#train');
    await page.waitForFunction(() => ['trained', 'error'].includes((globalThis as any).axonText.state.status), null, { timeout: 180_000 });
    const s = await textState(page);
    expect(s.error).toBe('');
    expect(s.epochs).toHaveLength(EPOCHS);
    expect(s.epochs[EPOCHS - 1].loss).toBeLessThan(s.epochs[0].loss / 3);
    expect(s.testAccuracy).toBeGreaterThan(0.95);
    expect(await page.innerHTML('#chart')).toContain('<svg');
    // Node, the same build: the same accuracy and, below, the same scores
    const out = join(dir, 'node');
    const report = await train('models/text/config.json', { out, epochs: EPOCHS, build: 'relaxed', progress: false }) as { test: { accuracy: number } };
    expect(s.testAccuracy).toBe(report.test.accuracy);
  }, 240_000);

  it('classifies what is typed in the text box, with the scores Node computes', async () => {
    const { model, graph } = modelFromBytes(readFileSync(join(dir, 'node/model.axon')), 'model.axon', await loadEngine({ build: 'relaxed' }));
    const node = await TextModel.from(model, graph.extra);
    const typed: Array<[string, string]> = [['turn off the bedroom lights please', 'lights_off'], ['will it rain in paris tomorrow', 'weather'], ['play some jazz', 'play_music'], ['call mom', 'call_contact']];
    for (const [sentence, want] of typed) {
      const before = (await textState(page)).predictions;
      await page.fill('#sentence', '');
      await page.type('#sentence', sentence);
      await page.waitForFunction(([n, t]) => { const s = (globalThis as any).axonText.state; return s.predictions > n && s.text === t; }, [before, sentence] as const);
      const s = await textState(page);
      expect(s.label, sentence).toBe(want);
      expect(await page.textContent('#prediction')).toBe(want.replace('_', ' '));
      expect(s.tokens.length).toBeGreaterThan(1);
      const [n] = await node.classify(sentence);
      expect(s.scores, `${sentence}: page = Node`).toEqual(n.scores);
    }
    expect(await page.locator('#probs .bar').count()).toBe(10);
    mkdirSync('test-artifacts', { recursive: true });
    await page.screenshot({ path: 'test-artifacts/browser-text-demo.png', fullPage: true });
    expect(errors, 'no console errors or uncaught exceptions').toEqual([]);
  });
});
