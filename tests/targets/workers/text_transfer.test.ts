// The template Worker serving the text transfer path in real workerd: the classifier
// `axon train models/text/transfer.json` makes (the pretrained encoder imported from ONNX and frozen,
// a new head fine-tuned on 300 examples; a few epochs here) answers POST /predict {"text": ...}
// with the classes and scores of the Node target, bit for bit; its card names the encoder's inputs.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { buildWorkers } from '../../../targets/workers/build.mjs';
import { startWorker } from '../../../targets/workers/miniflare.mjs';
import { train } from '../../../targets/node/cli/train.js';
import { loadEngine, modelFromBytes, TextModel } from '../../../targets/node/index.js';

type Json = Record<string, any>;
async function post(url: string, body: object): Promise<{ status: number; json: Json }> {
  const res = await fetch(url, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  return { status: res.status, json: (await res.json()) as Json };
}
const SENTENCES = ['turn off the bedroom lights please', 'what is the weather in oslo tomorrow', 'add apples to my shopping list', 'call grandma', 'set a timer for 5 minutes', 'lock the front door'];

describe('Workers template serving the text transfer model (workerd)', () => {
  let dir: string, worker: { url: string; close: () => Promise<void> }, tm: TextModel;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'axon-workers-transfer-'));
    await train('models/text/transfer.json', { out: join(dir, 'model'), epochs: 8, progress: false, build: 'simd' });
    await buildWorkers({ outdir: join(dir, 'out'), model: join(dir, 'model/model.axon') });
    worker = await startWorker({ dir: join(dir, 'out'), build: 'simd' });
    const { model, graph } = modelFromBytes(readFileSync(join(dir, 'model/model.axon')), 'model.axon', await loadEngine({ build: 'simd' }));
    tm = await TextModel.from(model, graph.extra);
  }, 240_000);
  afterAll(async () => {
    await worker?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the card: a text model reading the encoder\'s inputs (input_ids, attention_mask)', async () => {
    const card = (await (await fetch(`${worker.url}/`)).json()) as Json;
    expect(card.text).toEqual({ tokenizer: 'WordPiece', vocabSize: 1179, maxLength: 32, labels: tm.spec.labels });
    expect(card.inputs.map((d: Json) => d.name)).toEqual(['input_ids', 'attention_mask']);
    expect(card.outputs).toEqual(['intent']);
  });

  it('POST /predict {"text": [...]} = the Node target: the same classes, scores bit for bit', async () => {
    const { status, json } = await post(`${worker.url}/predict`, { text: SENTENCES });
    expect(status, JSON.stringify(json)).toBe(200);
    const want = await tm.classify(SENTENCES);
    expect(json.labels).toEqual(want.map((r) => r.label));
    expect(Float32Array.from((json.scores as number[][]).flat())).toEqual(Float32Array.from(want.flatMap((r) => r.scores)));
    const one = await post(`${worker.url}/predict`, { text: 'please switch off the lights in the kitchen' });
    expect(one.status).toBe(200);
    expect(one.json.labels).toHaveLength(1);
  });
});
