// A Worker as a federated client: a Worker in real workerd (the axon/workers target, its wasm as
// compiled modules) joins a job on the federated Worker (another workerd), trains a round on the
// data it is sent and pushes its delta; a Node client does the same. Both are accepted with the
// same bits, and the round closes on the two updates.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { build } from 'esbuild';
import { startWorker } from '../../../targets/workers/miniflare.mjs';
import { buildFederated } from '../../../targets/workers/federated/build.mjs';
import { startFederated } from '../../../targets/workers/federated/miniflare.mjs';
import { OPT, N, X, Y, twoClientJob, expectSameAsNode, ROUND_SOURCE } from '../federated_kit.js';

const ENTRY = `
import { Tensor } from ${JSON.stringify(join(process.cwd(), 'targets/workers/index.ts'))};
import { FederatedClient } from ${JSON.stringify(join(process.cwd(), 'src/federated/client.ts'))};
${ROUND_SOURCE}
export default { async fetch(req) { return Response.json(await federatedRound(await req.json())); } };`;

describe('a Worker as a federated client', () => {
  let dir: string, client: Awaited<ReturnType<typeof startWorker>>, server: Awaited<ReturnType<typeof startFederated>>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'axon-fed-worker-'));
    await build({ stdin: { contents: ENTRY, resolveDir: process.cwd(), loader: 'js' }, outfile: join(dir, 'client', 'worker.js'), bundle: true, format: 'esm', platform: 'browser', conditions: ['workerd', 'worker'], target: 'es2022', logLevel: 'warning', loader: { '.wasm': 'copy' }, assetNames: '[name]' });
    client = await startWorker({ dir: join(dir, 'client'), build: 'simd' });
    await buildFederated({ outdir: join(dir, 'fed'), minify: false });
    server = await startFederated({ dir: join(dir, 'fed') });
  }, 120_000);
  afterAll(async () => { await client?.close(); await server?.close(); if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('trains a round in workerd and in Node: both accepted, the same bits, the round closes', async () => {
    const tokens = await twoClientJob(server.url, 'w', 'worker');
    const r = await fetch(client.url, { method: 'POST', body: JSON.stringify({ url: server.url, job: 'w', client: 'worker', token: tokens.worker, x: X, y: Y, n: N, compile: OPT }) });
    expect(r.status, await r.clone().text()).toBe(200);
    await expectSameAsNode(server.url, 'w', tokens.node, await r.json());
  });
});
