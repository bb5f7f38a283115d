// The text application end to end on Node: `axon train models/text/config.json` trains the
// Transformer intent classifier from scratch on the shipped (synthetic) dataset, the model file
// carries its tokenizer, `axon run --text` / `--text-file` classify sentences (the hand-written
// ones too, phrasings the generator never makes), padding does not change an answer, and bad
// configs, texts and models get AxonErrors.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { train } from '../../targets/node/cli/train.js';
import { runText } from '../../targets/node/cli/run_text.js';
import { info, formatInfo } from '../../targets/node/cli/info.js';
import { modelFromBytes, TextModel, AxonError, Tensor } from '../../src/index.js';
import { engine } from '../helpers.js';

const root = new URL('../../', import.meta.url).pathname;
const config = join(root, 'models/text/config.json');
let dir: string, report: Record<string, any>, modelPath: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'axon-text-'));
  report = await train(config, { out: dir, progress: false, build: 'simd' });
  modelPath = join(dir, 'model.axon');
}, 240_000);
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

const expectAxonError = async (p: Promise<unknown>, code: string, msg: RegExp) => {
  let err: unknown;
  try { await p; } catch (e) { err = e; }
  expect(err, 'an AxonError').toBeInstanceOf(AxonError);
  expect((err as AxonError).code).toBe(code);
  expect((err as AxonError).message).toMatch(msg);
};

describe('axon train models/text/config.json', () => {
  it('trains from scratch to a high accuracy on the held-out test part; the file carries the tokenizer and class names', async () => {
    expect(report.test.accuracy, `test accuracy ${report.test.accuracy}`).toBeGreaterThan(0.96);
    expect(report.test.loss).toBeLessThan(0.2);
    const { graph } = modelFromBytes(readFileSync(modelPath), 'model.axon', await engine());
    const text = graph.extra!.text as Record<string, any>;
    expect(text.maxLength).toBe(32);
    expect(text.inputs).toEqual({ ids: 'ids', mask: 'mask' });
    expect(text.labels).toEqual(['call_contact', 'lights_off', 'lights_on', 'lock_door', 'play_music', 'set_temperature', 'set_timer', 'shopping_list', 'volume', 'weather']);
    expect(text.tokenizer).toEqual(JSON.parse(readFileSync(join(root, 'models/text/tokenizer.json'), 'utf8')));
    const i = await info(modelPath);
    expect(i.text).toEqual({ tokenizer: 'WordPiece', vocab: 1179, maxLength: 32, labels: text.labels });
    expect(formatInfo(i)).toMatch(/text: WordPiece tokenizer \(1,179 tokens\), at most 32 tokens; classes call_contact, /);
    expect(graph.inputs).toEqual([{ name: 'ids', shape: [null], dtype: 'i32', maxShape: [32], range: [0, 1178] }, { name: 'mask', shape: [null], dtype: 'i32', maxShape: [32], range: [0, 1] }]);
  });

  it('axon run --text classifies sentences; --text-file with labels reports the accuracy (hand-written sentences too)', async () => {
    const r = await runText(modelPath, { text: ['turn off the bedroom lights please', 'what is the weather in oslo tomorrow', 'add apples to my shopping list', 'call grandma'], build: 'simd' });
    expect(r.labels).toEqual(['lights_off', 'weather', 'shopping_list', 'call_contact']);
    const out = JSON.parse(r.json!);
    expect(out.shape).toEqual([4, 10]);
    expect(out.predictions.map((p: number[]) => p.reduce((a, b) => a + b, 0))).toEqual(out.predictions.map(() => expect.closeTo(1, 5)));
    const hand = await runText(modelPath, { textFile: join(root, 'models/text/handwritten.tsv'), build: 'simd' });
    console.log(`hand-written sentences: accuracy ${(hand.accuracy! * 100).toFixed(1)}% of ${hand.samples}`);
    expect(hand.samples).toBe(60);
    expect(hand.accuracy).toBeGreaterThan(0.7);
  });

  it('the CLI: `axon run model --text ...` prints the labels', () => {
    const out = execFileSync(process.execPath, [join(root, 'dist/cli.js'), 'run', modelPath, '--text', 'lock the front door', '--build', 'simd'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(JSON.parse(out).labels).toEqual(['lock_door']);
  });

  it('padding does not change an answer: a text alone, in a batch padded to its longest, or padded to maxLength', async () => {
    const { model, graph } = modelFromBytes(readFileSync(modelPath), 'model.axon', await engine());
    const tm = await TextModel.from(model, graph.extra);
    const texts = ['louder', 'set an alarm for 7 am tomorrow morning please thanks', 'is the garage door locked'];
    const batch = await tm.classify(texts), padded = tm.encode(texts, { padding: 'max_length' });
    const full = ((await model.predict(padded.inputs)) as Record<string, Tensor>).intent;
    for (let i = 0; i < texts.length; i++) {
      const [alone] = await tm.classify(texts[i]);
      for (let c = 0; c < 10; c++) {
        expect(Math.abs(alone.scores[c] - batch[i].scores[c])).toBeLessThan(1e-6);
        expect(Math.abs(full.data[i * 10 + c] - batch[i].scores[c])).toBeLessThan(1e-6);
      }
    }
    expect(padded.batch.ids.shape).toEqual([3, 32]);
  });
});

it('data.testText: a separate labelled test file replaces the test split (the hand-written sentences)', async () => {
  const c = JSON.parse(readFileSync(config, 'utf8'));
  c.text.tokenizer = join(root, 'models/text/tokenizer.json');
  c.data = { text: join(root, 'models/text/intents.tsv'), testText: join(root, 'models/text/handwritten.tsv'), validationSplit: 0.1 };
  writeFileSync(join(dir, 'testtext.json'), JSON.stringify(c));
  const r = await train(join(dir, 'testtext.json'), { out: join(dir, 'testtext'), progress: false, epochs: 1, build: 'simd' }) as Record<string, any>;
  const cm = r.test.confusionMatrix as number[][];
  expect(cm.flat().reduce((a, b) => a + b, 0)).toBe(60);
  expect(cm.map((row) => row.reduce((a, b) => a + b, 0))).toEqual(new Array(10).fill(6));
}, 120_000);

describe('bad input', () => {
  it('text for a model without a tokenizer, --text with --input, a text longer than the model takes', async () => {
    const digits = join(dir, 'digits.axon');
    const { modelToBytes, Sequential, layers } = await import('../../src/index.js');
    writeFileSync(digits, modelToBytes(new Sequential({ inputShape: [4] }).add(layers.dense({ units: 2 }))));
    await expectAxonError(runText(digits, { text: ['hello'] }), 'BAD_MODEL_FILE', /has no tokenizer/);
    await expectAxonError(runText(modelPath, { text: ['hello'], input: ['x.npy'] }), 'BAD_CONFIG', /exclusive/);
    const { model, graph } = modelFromBytes(readFileSync(modelPath), 'model.axon', await engine());
    const tm = await TextModel.from(model, graph.extra);
    const long = Array.from({ length: 60 }, () => 'lights').join(' ');
    expect(tm.encode(long).batch.ids.shape, 'cut at maxLength').toEqual([1, 32]);
    expect(() => tm.encode(long, { truncation: false })).toThrow(/more than maxLength 32/);
    // ids the embedding cannot index are refused by the model, naming the input
    await expectAxonError(model.predict({ ids: new Tensor(Int32Array.from([2, 5000, 3]), [1, 3], 'i32'), mask: new Tensor(Int32Array.from([1, 1, 1]), [1, 3], 'i32') }), 'BAD_DATA', /"ids"|ids/);
    await expectAxonError(TextModel.from(model, { text: { ...(graph.extra!.text as object), inputs: { ids: 'tokens' } } }), 'BAD_MODEL_FILE', /"tokens", which is not an i32/);
  });

  it.each([
    ['no data.text', (c: any) => { delete c.data.text; c.data.x = 'x.npy'; }, /data.text must name/],
    ['maxLength out of range', (c: any) => { c.text.maxLength = 1; }, /text.maxLength must be an integer in \[2, 4096\]/],
    ['an embedding too small for the tokenizer', (c: any) => { c.model.layers[0].inputDim = 100; }, /inputDim 100 is smaller than the tokenizer's 1179 ids/],
    ['an encoder block without a name', (c: any) => { delete c.model.layers[3].name; }, /an encoder block needs a "name"/],
    ['a label file line without a tab', (c: any) => { c.data.text = 'bad.tsv'; }, /bad.tsv:2: expected "label<TAB>text"/],
    ['a missing tokenizer file', (c: any) => { c.text.tokenizer = 'nope.json'; }, /cannot read the tokenizer file/],
  ])('config: %s', async (_, edit, msg) => {
    const c = JSON.parse(readFileSync(config, 'utf8'));
    edit(c);
    c.text.tokenizer = c.text.tokenizer === 'nope.json' ? join(dir, 'nope.json') : join(root, 'models/text', c.text.tokenizer);
    c.data.text = c.data.text === 'bad.tsv' ? join(dir, 'bad.tsv') : c.data.text && join(root, 'models/text', c.data.text);
    writeFileSync(join(dir, 'bad.tsv'), 'lights_on\tturn on the lights\nno tab here\n');
    writeFileSync(join(dir, 'bad.json'), JSON.stringify(c));
    let err: unknown;
    try { await train(join(dir, 'bad.json'), { out: join(dir, 'bad-out'), progress: false, epochs: 1 }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(AxonError);
    expect((err as AxonError).message).toMatch(msg);
  });
});
