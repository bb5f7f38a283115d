// The text transfer path: the shipped pretrained encoder (models/text/encoder.onnx.gz, a BERT-style
// encoder pretrained by models/text/pretrain_encoder.py with torch, exported by torch.onnx.export)
// imports and matches onnxruntime-node on tokenized utterances; frozen under a new pooling + Dense
// head it fine-tunes (the encoder's weights bit for bit unchanged, the head's changed, the loss
// down); `axon train models/text/transfer.json` does the same from a config and writes a model
// file that classifies text; bad encoder configs are refused naming the key.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { importOnnx, loadTokenizer, parseLabelledText, Tensor, TextModel, modelFromBytes, AxonError, type TextTokenizer } from '../../src/index.js';
import { textClassifierFromEncoder } from '../../src/text/transfer.js';
import { frozenLayers } from '../../src/model/transfer.js';
import { train } from '../../targets/node/cli/train.js';
import { readEncoder } from '../../targets/node/cli/text_transfer.js';
import { compareOutputs, type Feeds } from '../import/encoder_kit.js';
import { MAX_ERR, reportMaxErr } from '../import/kit.js';
import type { Engine } from '../../src/runtime/engine.js';
import { engine } from '../helpers.js';

const root = new URL('../../', import.meta.url).pathname;
const ENCODER = join(root, 'models/text/encoder.onnx.gz');
let e: Engine, bytes: Uint8Array, tok: TextTokenizer, data: { labels: string[]; texts: string[] }, dir: string;
beforeAll(async () => {
  e = await engine();
  bytes = await readEncoder(ENCODER);
  tok = await loadTokenizer(readFileSync(join(root, 'models/text/tokenizer.json'), 'utf8'));
  data = parseLabelledText(readFileSync(join(root, 'models/text/intents.tsv'), 'utf8'));
  dir = mkdtempSync(join(tmpdir(), 'axon-text-transfer-'));
});
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

reportMaxErr('pretrained text encoder');
const int64 = (t: Tensor) => ({ data: BigInt64Array.from(t.data as Int32Array, (v) => BigInt(v)), dims: [...t.shape] });
const CLASSES = () => [...new Set(data.labels)].sort();

describe('the shipped pretrained text encoder', () => {
  it('the generator tokenized as the shipped tokenizer does (its record of the first 8 utterances)', () => {
    const rec = JSON.parse(readFileSync(join(root, 'models/text/encoder.json'), 'utf8'));
    for (let i = 0; i < 8; i++) {
      const b = tok.encode([data.texts[i]], { maxLength: 32 });
      expect(Array.from(b.ids.data as Int32Array), data.texts[i]).toEqual(rec.ids[i]);
    }
    expect(rec.model).toEqual({ vocab: 1179, hidden: 64, heads: 4, ff: 128, layers: 2, maxLength: 32 });
  });

  it('imports (ids + mask, open batch and length ≤ 32) and gives onnxruntime-node\'s hidden states within 1e-4 on padded batches of utterances', async () => {
    const imp = await importOnnx(bytes, { engine: e, file: 'encoder.onnx' });
    expect(imp.model.inputs.map((d) => [d.name, d.dtype, d.shape, d.max, d.range])).toEqual([['input_ids', 'i32', [null], [32], [0, 1178]], ['attention_mask', 'i32', [null], [32], [0, 1]]]);
    expect(imp.model.layers.filter((l) => l.type === 'multiHeadAttention')).toHaveLength(2);
    for (const [start, n] of [[0, 1], [8, 5], [100, 16]]) {
      const b = tok.encode(data.texts.slice(start, start + n), { maxLength: 32 });
      const f: Feeds = { input_ids: int64(b.ids), attention_mask: int64(b.mask) };
      MAX_ERR[`encoder ${n} rows`] = await compareOutputs(`encoder rows ${start}..${start + n}`, bytes, imp, f, 1e-4);
    }
  });

  it('frozen under a new mean-pooling + Dense head: a few AdamW steps lower the loss and change only the head', async () => {
    const imp = await importOnnx(bytes, { engine: e, seed: 3 });
    const m = textClassifierFromEncoder(imp, { classes: 10 });
    expect(m.outputNames).toEqual(['intent']);
    expect(frozenLayers(m)).toHaveLength(m.layers.length - 2);   // all but pool and intent
    m.compile({ optimizer: { type: 'adamw', lr: 0.01 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const n = 64, b = tok.encode(data.texts.slice(0, n), { maxLength: 32 }), labels = CLASSES();
    const x = { input_ids: b.ids, attention_mask: b.mask }, y = new Tensor(Int32Array.from(data.labels.slice(0, n), (l) => labels.indexOf(l)), [n], 'i32');
    const before = m.getWeights(), losses: number[] = [];
    for (let s = 0; s < 8; s++) losses.push((await m.trainStep(x, y)).loss);
    const after = m.getWeights();
    expect(losses[7], `losses ${losses.map((l) => l.toFixed(3))}`).toBeLessThan(losses[0] * 0.8);
    let frozen = 0;
    for (const [k, w] of before) {
      const same = Buffer.from(w.buffer, w.byteOffset, w.byteLength).equals(Buffer.from(after.get(k)!.buffer, after.get(k)!.byteOffset, after.get(k)!.byteLength));
      if (k.startsWith('intent.')) expect(same, `${k} trained`).toBe(false);
      else { expect(same, `${k} frozen`).toBe(true); frozen++; }
    }
    expect(frozen).toBeGreaterThan(20);
  });

  it('axon train models/text/transfer.json (2 epochs): 300 training rows, a frozen encoder, a model file that classifies text', async () => {
    const report = (await train(join(root, 'models/text/transfer.json'), { out: dir, epochs: 2, progress: false, build: 'simd' })) as Record<string, any>;
    expect(report.test.accuracy).toBeGreaterThan(0.3);   // 10 classes: chance is 0.1
    const h = JSON.parse(readFileSync(join(dir, 'history.json'), 'utf8'));
    expect((h.epochs ?? h)[1].loss).toBeLessThan((h.epochs ?? h)[0].loss);
    const { model, graph } = modelFromBytes(readFileSync(join(dir, 'model.axon')), 'model.axon', e);
    expect((graph.extra!.text as Record<string, unknown>).inputs).toEqual({ ids: 'input_ids', mask: 'attention_mask' });
    expect(frozenLayers(model)).toHaveLength(model.layers.length - 3);   // all but pool, head_1, intent
    const imported = (await importOnnx(bytes, { engine: e })).model.getWeights(), saved = model.getWeights();
    for (const [k, w] of imported) expect(Array.from(saved.get(k)!), `${k}: the encoder as imported`).toEqual(Array.from(w));
    const tm = await TextModel.from(model, graph.extra);
    const [r] = await tm.classify('turn off the kitchen lights');
    expect(tm.spec.labels).toEqual(CLASSES());
    expect(r.scores).toHaveLength(10);
  }, 120_000);

  it('refuses bad encoder configs, naming the key', async () => {
    const cfg = JSON.parse(readFileSync(join(root, 'models/text/transfer.json'), 'utf8'));
    const write = (c: object) => { const p = join(root, 'models/text', `.bad-transfer-${process.pid}.json`); writeFileSync(p, JSON.stringify(c)); return p; };
    const cases: Array<[object, RegExp]> = [
      [{ ...cfg, model: { encoder: { ...cfg.model.encoder, pooling: 'max' } } }, /model.encoder.pooling must be "mean" or "first"/],
      [{ ...cfg, model: { encoder: cfg.model.encoder, layers: [{ type: 'dense', units: 2 }] } }, /model.encoder replaces model.layers/],
      [{ ...cfg, text: { ...cfg.text, maxLength: 64 } }, /the encoder takes at most 32 tokens; set text.maxLength ≤ 32/],
      [{ ...cfg, model: { encoder: { onnx: 'nope.onnx.gz' } } }, /nope.onnx.gz: cannot read the encoder file/],
    ];
    for (const [c, msg] of cases) {
      const p = write(c);
      try {
        let err: unknown;
        try { await train(p, { out: dir, epochs: 1, progress: false }); } catch (x) { err = x; }
        expect(err, String(msg)).toBeInstanceOf(AxonError);
        expect((err as AxonError).message).toMatch(msg);
      } finally { rmSync(p, { force: true }); }
    }
  }, 60_000);
});
