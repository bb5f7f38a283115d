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
import { Sequential, layers, modelToBytes, Tensor, type Model } from '../../../targets/node/index.js';
import { FederatedClient } from '../../../src/federated/client.js';
import { randn } from '../../helpers.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const OPT = { optimizer: { type: 'adam' as const, lr: 0.01 }, loss: 'categoricalCrossentropy' as const };
const ENTRY = `
import { FederatedClient } from ${JSON.stringify(join(process.cwd(), 'src/federated/client.ts'))};
import ${JSON.stringify(join(process.cwd(), 'targets/browser/index.ts'))};
import { Tensor } from ${JSON.stringify(join(process.cwd(), 'targets/browser/index.ts'))};
globalThis.federatedRound = async (o) => {
  const fc = new FederatedClient({ url: o.url, job: o.job, client: o.client, token: o.token });
  const m = await fc.model();
  m.compile(o.compile);
  const res = await fc.trainRound(m, new Tensor(Float32Array.from(o.x), [o.n, 8]), new Tensor(Float32Array.from(o.y), [o.n, 3]), { epochs: 2, batchSize: 4 });
  return { res, weights: Object.fromEntries([...m.getWeights()].map(([k, v]) => [k, Array.from(v)])) };
};`;

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
    const m = new Sequential({ inputShape: [8], seed: 9 });
    m.add(layers.dense({ units: 6, activation: 'tanh' }));
    m.add(layers.dense({ units: 3, activation: 'softmax' }));
    const auth = { authorization: 'Bearer owner-token' };
    expect((await fetch(`${server.url}/jobs/j`, { method: 'POST', headers: auth, body: JSON.stringify({ model: Buffer.from(modelToBytes(m)).toString('base64'), config: { quorum: 2, rounds: 2 } }) })).status).toBe(201);
    const { tokens } = await (await fetch(`${server.url}/jobs/j/tokens`, { method: 'POST', headers: auth, body: JSON.stringify({ clients: ['page', 'node'] }) })).json() as { tokens: Record<string, string> };
    const n = 12, x = Array.from(randn(n * 8, 4)), y = Array.from({ length: n * 3 }, (_, k) => (k % 3 === Math.floor(k / 3) % 3 ? 1 : 0));
    const tab = await browser.newPage(), errors: string[] = [];
    tab.on('pageerror', (e) => errors.push(String(e)));
    await tab.goto(`${page.url}/index.html`);
    await tab.waitForFunction(() => typeof (globalThis as any).federatedRound === 'function');
    const inPage = await tab.evaluate((o) => (globalThis as any).federatedRound(o), { url: server.url, job: 'j', client: 'page', token: tokens.page, x, y, n, compile: OPT });
    expect(errors).toEqual([]);
    expect(inPage.res).toMatchObject({ accepted: true, round: 0, closed: false });
    const fc = new FederatedClient({ url: server.url, job: 'j', client: 'node', token: tokens.node });
    const local: Model = await fc.model();
    local.compile(OPT);
    const res = await fc.trainRound(local, new Tensor(Float32Array.from(x), [n, 8]), new Tensor(Float32Array.from(y), [n, 3]), { epochs: 2, batchSize: 4 });
    expect(res).toMatchObject({ accepted: true, round: 0, closed: true, next: 1 });
    expect(res.norm).toBe(inPage.res.norm);
    for (const [k, v] of local.getWeights()) expect(inPage.weights[k], k).toEqual(Array.from(v));
  });
});
