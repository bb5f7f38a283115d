// The template Worker serving the text application in real workerd: a Transformer intent
// classifier trained by `axon train models/text/config.json` (few epochs), whose model file
// carries the tokenizer. POST /predict {"text": ...} tokenizes inside workerd (@huggingface/tokenizers
// bundled into worker.js) and answers the class names with scores bit-identical to the Node target;
// pre-tokenized ids give the same; bad texts get 400 JSON errors; the digits Worker refuses text.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { buildWorkers } from '../../../targets/workers/build.mjs';
import { startWorker } from '../../../targets/workers/miniflare.mjs';
import { train } from '../../../targets/node/cli/train.js';
import { loadEngine, modelFromBytes, TextModel } from '../../../targets/node/index.js';

type Json = Record<string, any>;
async function post(url: string, body: object | string): Promise<{ status: number; json: Json }> {
  const res = await fetch(url, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  return { status: res.status, json: (await res.json()) as Json };
}
const SENTENCES = ['turn off the bedroom lights please', 'what is the weather in oslo tomorrow', 'add apples to my shopping list', 'call grandma', 'set a timer for 5 minutes'];

describe('Workers template serving text (workerd)', () => {
  let dir: string, worker: { url: string; close: () => Promise<void> }, digits: { url: string; close: () => Promise<void> }, tm: TextModel;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'axon-workers-text-'));
    await train('models/text/config.json', { out: join(dir, 'model'), epochs: 4, progress: false, build: 'simd' });
    await buildWorkers({ outdir: join(dir, 'out'), model: join(dir, 'model/model.axon') });
    worker = await startWorker({ dir: join(dir, 'out'), build: 'simd' });
    digits = await startWorker({ dir: 'dist/workers', build: 'simd' });
    const { model, graph } = modelFromBytes(readFileSync(join(dir, 'model/model.axon')), 'model.axon', await loadEngine({ build: 'simd' }));
    tm = await TextModel.from(model, graph.extra);
  }, 240_000);
  afterAll(async () => {
    await worker?.close();
    await digits?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the model card says it reads text: tokenizer, vocabulary, maximum length, class names', async () => {
    const card = (await (await fetch(`${worker.url}/`)).json()) as Json;
    expect(card.text).toEqual({ tokenizer: 'WordPiece', vocabSize: 1179, maxLength: 32, labels: tm.spec.labels });
    expect(card.inputs.map((d: Json) => d.name)).toEqual(['ids', 'mask']);
  });

  it('POST /predict {"text": [...]} = the Node target: the same classes, scores bit for bit', async () => {
    const { status, json } = await post(`${worker.url}/predict`, { text: SENTENCES });
    expect(status, JSON.stringify(json)).toBe(200);
    const want = await tm.classify(SENTENCES);
    expect(json.labels).toEqual(want.map((r) => r.label));
    expect(json.labels.slice(0, 4)).toEqual(['lights_off', 'weather', 'shopping_list', 'call_contact']);
    expect(Float32Array.from((json.scores as number[][]).flat())).toEqual(Float32Array.from(want.flatMap((r) => r.scores)));
    expect(json.build).toBe('simd');
    const one = await post(`${worker.url}/predict`, { text: 'lock the front door' });
    expect(one.json.labels).toEqual(['lock_door']);
  });

  it('ids encoded ahead ({"inputs": {"ids", "mask"}}) give the same scores as the text', async () => {
    const { batch } = tm.encode(SENTENCES);
    const nested = (t: { data: Int32Array; shape: readonly number[] }) => Array.from({ length: t.shape[0] }, (_, r) => Array.from(t.data.subarray(r * t.shape[1], (r + 1) * t.shape[1])));
    const byIds = await post(`${worker.url}/predict`, { inputs: { ids: nested(batch.ids), mask: nested(batch.mask) } });
    expect(byIds.status, JSON.stringify(byIds.json)).toBe(200);
    const byText = await post(`${worker.url}/predict`, { text: SENTENCES });
    expect(Float32Array.from((byIds.json.outputs.intent as number[][]).flat())).toEqual(Float32Array.from((byText.json.scores as number[][]).flat()));
  });

  it.each([
    [{ text: 42 }, 'BAD_ARGUMENT', /"text" must be a string or a non-empty list of strings/],
    [{ text: [] }, 'BAD_ARGUMENT', /non-empty list/],
    [{ text: ['ok', null] }, 'BAD_ARGUMENT', /list of strings/],
    [{ text: Array.from({ length: 65 }, () => 'louder') }, 'BAD_ARGUMENT', /at most 64 per request/],
    [{ text: 'x'.repeat(2001) }, 'BAD_ARGUMENT', /2001 characters, more than the 2000 allowed/],
  ])('bad text %# → 400 with the reason, and the Worker keeps serving', async (body, code, msg) => {
    const { status, json } = await post(`${worker.url}/predict`, body);
    expect(status).toBe(400);
    expect(json.code).toBe(code);
    expect(json.error).toMatch(msg);
    expect((await post(`${worker.url}/predict`, { text: 'louder' })).status).toBe(200);
  });

  it('a Worker whose model has no tokenizer refuses text', async () => {
    const { status, json } = await post(`${digits.url}/predict`, { text: 'turn on the lights' });
    expect(status).toBe(400);
    expect(json.code).toBe('NO_TOKENIZER');
  });
});
