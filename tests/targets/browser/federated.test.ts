// A federated client in real Chromium: a page (its own origin) joins a job on the federated Worker
// in real workerd (CORS), pulls the model and the round's weights, trains on its local data with
// the browser target and pushes its delta; a Node client does the same on the same data. Both are
// accepted, their trained weights are the same bits, and the round closes on the two updates.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { build } from 'esbuild';
import { chromium, Browser } from 'playwright-core';
import { serveStatic } from '../../../targets/browser/serve.mjs';
import { buildFederated } from '../../../targets/workers/federated/build.mjs';
import { startFederated } from '../../../targets/workers/federated/miniflare.mjs';
import { OPT, N, X, Y, twoClientJob, expectSameAsNode, ROUND_SOURCE } from '../federated_kit.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const ENTRY = `
import { FederatedClient } from ${JSON.stringify(join(process.cwd(), 'src/federated/client.ts'))};
import { Tensor } from ${JSON.stringify(join(process.cwd(), 'targets/browser/index.ts'))};
${ROUND_SOURCE}
globalThis.federatedRound = federatedRound;`;

describe.skipIf(!existsSync(CHROMIUM))('a federated client in Chromium', () => {
  let browser: Browser, page: { url: string; close: () => Promise<void> }, server: Awaited<ReturnType<typeof startFederated>>, dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'axon-fed-browser-'));
    await build({ stdin: { contents: ENTRY, resolveDir: process.cwd(), loader: 'js' }, outfile: join(dir, 'fed.js'), bundle: true, format: 'esm', platform: 'browser', target: 'es2022', logLevel: 'warning' });
    for (const f of readdirSync('build').filter((n) => n.endsWith('.wasm') && n !== 'axon.wasi.wasm')) copyFileSync(join('build', f), join(dir, f));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="fed.js"></script>');
    page = await serveStatic(dir);
    await buildFederated({ outdir: join(dir, 'fed'), minify: false });
    server = await startFederated({ dir: join(dir, 'fed') });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  }, 120_000);
  afterAll(async () => { await browser?.close(); await page?.close(); await server?.close(); if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('trains a round in the page and in Node: both accepted, the same bits, the round closes', async () => {
    const tokens = await twoClientJob(server.url, 'j', 'page');
    const tab = await browser.newPage(), errors: string[] = [];
    tab.on('pageerror', (e) => errors.push(String(e)));
    await tab.goto(`${page.url}/index.html`);
    await tab.waitForFunction(() => typeof (globalThis as any).federatedRound === 'function');
    const inPage = await tab.evaluate((o) => (globalThis as any).federatedRound(o), { url: server.url, job: 'j', client: 'page', token: tokens.page, x: X, y: Y, n: N, compile: OPT });
    expect(errors).toEqual([]);
    await expectSameAsNode(server.url, 'j', tokens.node, inPage);
  });
});
