// The template Worker serving a causal language model in real workerd: POST /generate continues a
// prompt with the character LM `axon train models/lm/config.json` makes (one epoch here), greedy or
// sampled (topK / topP / temperature) with a seed: the same seed gives the same text, and the text
// the Node target generates with the same options; bad fields get 400 naming the field; a model
// that is no language model refuses /generate.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { buildWorkers } from '../../../targets/workers/build.mjs';
import { startWorker } from '../../../targets/workers/miniflare.mjs';
import { train } from '../../../targets/node/cli/train.js';
import { loadEngine, modelFromBytes, CharLm } from '../../../targets/node/index.js';

type Json = Record<string, any>;
async function post(url: string, body: object | string, type = 'application/json'): Promise<{ status: number; json: Json }> {
  const res = await fetch(url, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': type } });
  return { status: res.status, json: (await res.json()) as Json };
}

describe('Workers template: POST /generate with a causal LM (workerd)', () => {
  let dir: string, worker: { url: string; close: () => Promise<void> }, digits: { url: string; close: () => Promise<void> }, lm: CharLm;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'axon-workers-lm-'));
    await train('models/lm/config.json', { out: join(dir, 'model'), epochs: 1, progress: false, build: 'simd' });
    await buildWorkers({ outdir: join(dir, 'out'), model: join(dir, 'model/model.axon') });
    worker = await startWorker({ dir: join(dir, 'out'), build: 'simd' });
    digits = await startWorker({ dir: 'dist/workers', build: 'simd' });
    const engine = await loadEngine({ build: 'simd' });
    const { model, graph } = modelFromBytes(readFileSync(join(dir, 'model/model.axon')), 'model.axon', engine);
    lm = CharLm.from(model, graph.extra, 'model.axon', engine);
  }, 240_000);
  afterAll(async () => {
    await worker?.close();
    await digits?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the model card says it is a causal LM and lists /generate', async () => {
    const card = (await (await fetch(`${worker.url}/`)).json()) as Json;
    expect(card).toMatchObject({ task: 'causalLm', vocabSize: lm.vocab.size, maxLength: 20, endpoints: ['POST /generate'], build: 'simd' });
  });

  it('greedy by default: the text the Node target generates', async () => {
    const { status, json } = await post(`${worker.url}/generate`, { prompt: 'turn off the ', maxTokens: 30 });
    expect(status, JSON.stringify(json)).toBe(200);
    expect(json.strategy).toBe('greedy');
    expect(json.text).toBe(await lm.generate('turn off the ', { maxNewTokens: 30 }));
    expect(json.text.length).toBeGreaterThan(0);
    expect(json.tokens).toBe([...json.text].length);
  });

  it.each([
    [{ topK: 5, temperature: 0.9 }, { strategy: 'topK', k: 5, temperature: 0.9 }],
    [{ topP: 0.8 }, { strategy: 'topP', p: 0.8 }],
    [{ temperature: 1.2 }, { strategy: 'topK', k: 0, temperature: 1.2 }],
  ] as const)('sampled %j: deterministic for a seed, the same as Node, another seed another text', async (opts, node) => {
    const body = { prompt: 'set a ', maxTokens: 40, ...opts };
    const a = await post(`${worker.url}/generate`, { ...body, seed: 7 }), b = await post(`${worker.url}/generate`, { ...body, seed: 7 });
    expect(a.status, JSON.stringify(a.json)).toBe(200);
    expect(b.json.text).toBe(a.json.text);
    const k = node.strategy === 'topK' ? (node.k || lm.vocab.size) : undefined;
    expect(a.json.text).toBe(await lm.generate('set a ', { maxNewTokens: 40, ...node, k, seed: 7 }));
    const others = await Promise.all([1, 2, 3].map((seed) => post(`${worker.url}/generate`, { ...body, seed })));
    expect(others.some((o) => o.json.text !== a.json.text), 'some other seed gives another text').toBe(true);
  });

  it.each([
    [{}, /"prompt" must be a string/],
    [{ prompt: 'hi', maxTokens: 0 }, /"maxTokens" must be an integer in \[1, 200\]/],
    [{ prompt: 'hi', maxTokens: 1000 }, /"maxTokens" must be an integer in \[1, 200\]/],
    [{ prompt: 'hi', topK: 3, topP: 0.5 }, /"topK" or "topP", not both/],
    [{ prompt: 'hi', topK: 999 }, /"topK" must be an integer in \[1, \d+\]/],
    [{ prompt: 'hi', topP: 1.5 }, /"topP" must be a number in \(0, 1\]/],
    [{ prompt: 'hi', temperature: -1 }, /"temperature" must be a number in \(0, 100\]/],
    [{ prompt: 'hi', seed: 1.5 }, /"seed" must be an integer/],
    [{ prompt: 'hi', steps: 3 }, /unknown field "steps"/],
    [{ prompt: 'x'.repeat(501) }, /at most 500/],
    [{ prompt: 'héllo ☃' }, /is not in the model's vocabulary/],
  ])('bad request %# → 400 naming the field, and the Worker keeps serving', async (body, msg) => {
    const { status, json } = await post(`${worker.url}/generate`, body);
    expect(status, JSON.stringify(json)).toBe(400);
    expect(json.error).toMatch(msg);
    expect((await post(`${worker.url}/generate`, { prompt: 'ok', maxTokens: 3 })).status).toBe(200);
  });

  it('text/plain is 415; a GET is 405; a model that is no language model refuses /generate', async () => {
    expect((await post(`${worker.url}/generate`, 'prompt', 'text/plain')).status).toBe(415);
    expect((await fetch(`${worker.url}/generate`)).status).toBe(405);
    const { status, json } = await post(`${digits.url}/generate`, { prompt: 'hello' });
    expect(status).toBe(400);
    expect(json.code).toBe('NOT_A_LANGUAGE_MODEL');
  });
});
