// A WASI device in a federated job (targets/wasi/federated.ts): the host pulls the round's weights,
// the WASI program fine-tunes a device bundle on the device's data files, the host merges its weights
// back and pushes the delta to the federated Worker in real workerd. A Node client training the same
// data with Model.fit gives the same update, bit for bit, and the round closes on the two.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { buildFederated } from '../../../targets/workers/federated/build.mjs';
import { startFederated } from '../../../targets/workers/federated/miniflare.mjs';
import { wasiFederatedRound } from '../../../targets/wasi/federated.js';
import { Sequential, layers, modelToBytes, modelFromBytes, Tensor, setDefaultEngineLoader } from '../../../src/index.js';
import { FederatedClient } from '../../../src/federated/client.js';
import { engine, randn } from '../../helpers.js';
import { bytesOf } from './hosts.js';

setDefaultEngineLoader(() => engine());
const COMPILE = { optimizer: { type: 'adam' as const, lr: 0.01 }, loss: 'sparseCategoricalCrossentropy' as const };
const ROWS = 45, X = randn(ROWS * 8, 3), Y = Int32Array.from({ length: ROWS }, (_, i) => (i * 7) % 3);

describe('a WASI device as a federated client', () => {
  let dir: string, server: Awaited<ReturnType<typeof startFederated>>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'axon-fed-wasi-'));
    await buildFederated({ outdir: join(dir, 'fed'), minify: false });
    server = await startFederated({ dir: join(dir, 'fed') });
  }, 120_000);
  afterAll(async () => { await server?.close(); if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('trains a round under WASI and pushes the same update as Model.fit on Node; the round closes', async () => {
    const m = new Sequential({ inputShape: [8], seed: 4 });
    m.add(layers.dense({ units: 6, activation: 'relu' }));
    m.add(layers.dense({ units: 3, activation: 'softmax' }));
    const file = modelToBytes(m), auth = { authorization: 'Bearer owner-token' };
    expect((await fetch(`${server.url}/jobs/dev`, { method: 'POST', headers: auth, body: JSON.stringify({ model: Buffer.from(file).toString('base64'), config: { quorum: 2, rounds: 3 } }) })).status).toBe(201);
    const { tokens } = await (await fetch(`${server.url}/jobs/dev/tokens`, { method: 'POST', headers: auth, body: JSON.stringify({ clients: ['device', 'node'] }) })).json() as { tokens: Record<string, string> };
    const device = new FederatedClient({ url: server.url, job: 'dev', client: 'device', token: tokens.device });
    const res = await wasiFederatedRound(device, { modelFile: file, compile: COMPILE, batch: 16, x: bytesOf(X), y: bytesOf(Y), rows: ROWS, args: ['--epochs', '2', '--lr', '0.01'] });
    expect(res).toMatchObject({ accepted: true, round: 0, closed: false });
    expect(res.stdout).toMatch(/epoch 2\/2 loss/);
    // the Node client: the same weights, Model.fit with the same options
    const node = new FederatedClient({ url: server.url, job: 'dev', client: 'node', token: tokens.node });
    const local = modelFromBytes(file).model;
    local.compile(COMPILE);
    const mine = await node.trainRound(local, new Tensor(X, [ROWS, 8]), new Tensor(Y, [ROWS]), { epochs: 2, batchSize: 16 });
    expect(mine).toMatchObject({ accepted: true, round: 0, closed: true, next: 1 });
    expect(mine.norm).toBe(res.norm);
  });
});
