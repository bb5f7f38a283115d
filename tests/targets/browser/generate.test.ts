// The generation demo in real Chromium: demo/generate.html trains the character LM of
// models/lm/config.json in the page (one epoch here) — the same losses as `axon train` on Node with
// the same build — or loads the model file Node wrote, and continues what is typed, greedy or
// seeded top-k / top-p: the text the Node target generates with the same options.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { chromium, Browser, Page } from 'playwright-core';
import { buildBrowser } from '../../../targets/browser/build.mjs';
import { serveStatic } from '../../../targets/browser/serve.mjs';
import { train } from '../../../targets/node/cli/train.js';
import { loadEngine, modelFromBytes, CharLm } from '../../../targets/node/index.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE = existsSync(CHROMIUM);
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

if (!HAVE && process.env.CI) {
  it('needs Chromium', () => { throw new Error(`Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`); });
}

type GenState = { status: string; build: string; error: string; lines: number; losses: number[]; source: string; prompt: string; text: string; generations: number };
const genState = (page: Page) => page.evaluate(() => (globalThis as unknown as { axonGenerate: { state: GenState } }).axonGenerate.state);

describe.skipIf(!HAVE)('generation demo in Chromium', () => {
  let browser: Browser, page: Page, server: { url: string; close: () => Promise<void> }, dir: string, node: CharLm, nodeLosses: number[];
  const errors: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'axon-browser-gen-'));
    await buildBrowser({ outdir: dir });
    server = await serveStatic(dir);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    page = await browser.newPage({ viewport: { width: 1040, height: 700 } });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    const report = (await train('models/lm/config.json', { out: join(dir, 'node'), epochs: 1, build: 'relaxed', progress: false })) as { losses: number[] };
    nodeLosses = report.losses;
    const engine = await loadEngine({ build: 'relaxed' });
    const { model, graph } = modelFromBytes(readFileSync(join(dir, 'node/model.axon')), 'model.axon', engine);
    node = CharLm.from(model, graph.extra, 'model.axon', engine);
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const generated = async (prompt: string) => {
    const before = (await genState(page)).generations;
    await page.fill('#prompt', prompt);
    await page.waitForFunction(([n, p]) => { const s = (globalThis as any).axonGenerate.state; return s.generations > n && s.prompt === p; }, [before, prompt] as const, { timeout: 30_000 });
    return genState(page);
  };

  it('trains the LM in the page: the losses `axon train models/lm/config.json` gets on Node (same build, seed, epochs)', async () => {
    await page.goto(`${server.url}/demo/generate.html`);
    await page.waitForFunction(() => { const s = (globalThis as any).axonGenerate?.state; return s && s.status !== 'loading'; }, null, { timeout: 30_000 });
    let s = await genState(page);
    expect(s.error).toBe('');
    expect([s.status, s.build, s.lines]).toEqual(['ready-to-train', 'relaxed', 500]);
    await page.fill('#epochs', '1');
    await page.click('#train');
    await page.waitForFunction(() => ['ready', 'error'].includes((globalThis as any).axonGenerate.state.status), null, { timeout: 180_000 });
    s = await genState(page);
    expect(s.error).toBe('');
    expect(s.losses).toEqual(nodeLosses);
  }, 200_000);

  it('continues what is typed: greedy, then seeded top-k and top-p, as the Node target does', async () => {
    let s = await generated('turn off the ');
    expect(s.text).toBe(await node.generate('turn off the ', { maxNewTokens: 60 }));
    expect(await page.textContent('#continuation')).toBe(s.text);
    await page.selectOption('#strategy', 'topK');
    await page.fill('#seed', '5');
    s = await generated('set a ');
    expect(s.text).toBe(await node.generate('set a ', { maxNewTokens: 60, strategy: 'topK', k: 4, temperature: 1, seed: 5 }));
    await page.selectOption('#strategy', 'topP');
    s = await generated('play ');
    expect(s.text).toBe(await node.generate('play ', { maxNewTokens: 60, strategy: 'topP', p: 0.9, temperature: 1, seed: 5 }));
  });

  it('loads the model file Node wrote and generates the same text', async () => {
    await page.setInputFiles('#file', join(dir, 'node/model.axon'));
    await page.waitForFunction(() => (globalThis as any).axonGenerate.state.source === 'model.axon', null, { timeout: 30_000 });
    await page.selectOption('#strategy', 'topK');
    const s = await generated('what is the ');
    expect(s.text).toBe(await node.generate('what is the ', { maxNewTokens: 60, strategy: 'topK', k: 4, temperature: 1, seed: 5 }));
    mkdirSync('test-artifacts', { recursive: true });
    await page.screenshot({ path: 'test-artifacts/browser-generate-demo.png', fullPage: true });
    expect(errors, 'no console errors or uncaught exceptions').toEqual([]);
  });
});
