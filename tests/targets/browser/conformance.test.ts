// The conformance suite (tests/targets/conformance) in real Chromium: the cases run in a page on
// the browser target's engine, once per wasm build, and must match the Node target bit for bit
// (and expected.json for SIMD128; see conformance/compare.ts).
import { describe, it, beforeAll, afterAll } from 'vitest';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { build } from 'esbuild';
import { chromium, Browser, Page } from 'playwright-core';
import { serveStatic } from '../../../targets/browser/serve.mjs';
import { expectConformance } from '../conformance/compare.js';
import type { HostResults } from '../conformance/run-all.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

describe.skipIf(!existsSync(CHROMIUM))('conformance in Chromium', () => {
  let browser: Browser, page: Page, server: { url: string; close: () => Promise<void> }, dir: string;
  const errors: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'axon-conformance-browser-'));
    await build({ entryPoints: ['tests/targets/conformance/browser-entry.ts'], outfile: join(dir, 'conformance.js'), bundle: true, format: 'esm', platform: 'browser', target: 'es2022', logLevel: 'warning' });
    for (const b of ['simd', 'relaxed']) copyFileSync(`build/axon.${b}.wasm`, join(dir, `axon.${b}.wasm`));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="conformance.js"></script>');
    server = await serveStatic(dir);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    page = await browser.newPage();
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${server.url}/index.html`);
    await page.waitForFunction(() => typeof (globalThis as any).axonConformance === 'function');
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const b of ['simd', 'relaxed'] as const) {
    it(`every case on the ${b} build = the Node target, bit for bit`, async () => {
      const got = await page.evaluate((build) => (globalThis as any).axonConformance(build), b) as HostResults;
      await expectConformance('Chromium', b, got);
      if (errors.length) throw new Error(errors.join('\n'));
    });
  }
});
