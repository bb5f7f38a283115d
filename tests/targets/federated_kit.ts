// Shared by the federated client tests on other hosts (Chromium, workerd): a two-client job on the
// federated Worker, the data both clients train on, and the Node client's round to compare with.
import { expect } from 'vitest';
import { Sequential, layers, modelToBytes, Tensor, type Model } from '../../targets/node/index.js';
import { FederatedClient, type UpdateResult } from '../../src/federated/client.js';
import { randn } from '../helpers.js';

export const OPT = { optimizer: { type: 'adam' as const, lr: 0.01 }, loss: 'categoricalCrossentropy' as const };
export const N = 12;
export const X = Array.from(randn(N * 8, 4)), Y = Array.from({ length: N * 3 }, (_, k) => (k % 3 === Math.floor(k / 3) % 3 ? 1 : 0));

/** Creates job `job` (quorum 2) for clients [other, 'node']; returns their tokens. */
export async function twoClientJob(url: string, job: string, other: string): Promise<Record<string, string>> {
  const m = new Sequential({ inputShape: [8], seed: 9 });
  m.add(layers.dense({ units: 6, activation: 'tanh' }));
  m.add(layers.dense({ units: 3, activation: 'softmax' }));
  const auth = { authorization: 'Bearer owner-token' };
  expect((await fetch(`${url}/jobs/${job}`, { method: 'POST', headers: auth, body: JSON.stringify({ model: Buffer.from(modelToBytes(m)).toString('base64'), config: { quorum: 2, rounds: 2 } }) })).status).toBe(201);
  return ((await (await fetch(`${url}/jobs/${job}/tokens`, { method: 'POST', headers: auth, body: JSON.stringify({ clients: [other, 'node'] }) })).json()) as { tokens: Record<string, string> }).tokens;
}

/** The Node client's round on the same data: accepted, closes the round, and equals the other host's update and weights bit for bit. */
export async function expectSameAsNode(url: string, job: string, token: string, other: { res: UpdateResult; weights: Record<string, number[]> }): Promise<void> {
  expect(other.res).toMatchObject({ accepted: true, round: 0, closed: false });
  const fc = new FederatedClient({ url, job, client: 'node', token });
  const local: Model = await fc.model();
  local.compile(OPT);
  const res = await fc.trainRound(local, new Tensor(Float32Array.from(X), [N, 8]), new Tensor(Float32Array.from(Y), [N, 3]), { epochs: 2, batchSize: 4 });
  expect(res).toMatchObject({ accepted: true, round: 0, closed: true, next: 1 });
  expect(res.norm).toBe(other.res.norm);
  for (const [k, v] of local.getWeights()) expect(other.weights[k], k).toEqual(Array.from(v));
}

/** The other host's side, as a module body: `federatedRound(o)` runs one round and returns { res, weights }. */
export const ROUND_SOURCE = `
async function federatedRound(o) {
  const fc = new FederatedClient({ url: o.url, job: o.job, client: o.client, token: o.token });
  const m = await fc.model();
  m.compile(o.compile);
  const res = await fc.trainRound(m, new Tensor(Float32Array.from(o.x), [o.n, 8]), new Tensor(Float32Array.from(o.y), [o.n, 3]), { epochs: 2, batchSize: 4 });
  return { res, weights: Object.fromEntries([...m.getWeights()].map(([k, v]) => [k, Array.from(v)])) };
}`;
