// On-demand layer families in the published `axon/browser` entry (src/layers/families.ts), as an app's
// bundler sees them (targets/browser/app_bundle.mjs: esbuild, code splitting): an app that loads a
// classic model carries none of the transformer, recurrent, audio or augmentation layer modules at start (they
// are chunks of their own), and in real Chromium a classic model loads synchronously without fetching
// them, a Transformer's sync load fails with AxonError NOT_LOADED saying what to do, and the documented
// paths (loadModel(url or bytes), loadLayers(bytes) + modelFromBytes) fetch the chunk and predict what Node does.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, basename } from 'node:path';
import { tmpdir } from 'node:os';
import { chromium, Browser, Page } from 'playwright-core';
import { serveStatic } from '../../../targets/browser/serve.mjs';
import { bundleApp } from '../../../targets/browser/app_bundle.mjs';
import { loadEngine, modelFromBytes, modelToBytes, Model, Sequential, layers, addEncoderBlock, Tensor, Rng, type Engine } from '../../../targets/node/index.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
/** the modules of the on-demand families (none may be in a classic app's start chunks) */
const ON_DEMAND = ['src/layers/attention.js', 'src/layers/embedding.js', 'src/layers/layernorm.js', 'src/layers/sequence.js', 'src/quant/qattention.js', 'src/layers/audio.js', 'src/layers/augment.js',
  'src/layers/recurrent.js', 'src/layers/recurrent_bidirectional.js'];
type Chunk = { file: string; bytes: Uint8Array; inputs: string[] };
type App = { start: Chunk[]; onDemand: Record<string, Chunk[]> };

const CLASSIC_APP = `
import { modelFromBytes, Tensor } from 'axon/browser';
const bytes = new Uint8Array(await (await fetch('digits.axon')).arrayBuffer());
const { model } = modelFromBytes(bytes, 'digits.axon');
document.body.textContent = String((await model.predict(new Tensor(new Float32Array(64), [1, 64]))).data[0]);
`;
// the test page: each function takes a model file's bytes and feeds ({ name: [data, shape, dtype] })
const PAGE_APP = `
import { modelFromBytes, loadModel, loadLayers, loadEngine, Tensor, AxonError } from 'axon/browser';
const tensors = (feeds) => Object.fromEntries(Object.entries(feeds).map(([k, [d, s, t]]) => [k, new Tensor(t === 'i32' ? Int32Array.from(d) : Float32Array.from(d), s)]));
const outputs = async (model, feeds) => { const y = await model.predict(tensors(feeds)); return Object.values(y).map((t) => Array.from(t.data)); };
const engine = () => loadEngine({ build: 'simd' });
globalThis.axonLazy = {
  async sync(bytes, feeds) {
    try { return { outputs: await outputs(modelFromBytes(Uint8Array.from(bytes), 'page.axon', await engine()).model, feeds) }; }
    catch (e) { return { error: { axon: e instanceof AxonError, code: e.code, message: e.message, details: e.details } }; }
  },
  async loadModel(bytes, feeds) { return { outputs: await outputs((await loadModel(Uint8Array.from(bytes), { engine: await engine() })).model, feeds) }; },
  async loadLayers(bytes, feeds) { await loadLayers(Uint8Array.from(bytes)); return this.sync(bytes, feeds); },
  async loadAll() { await loadLayers(); },
  async fetchModel(url, feeds) {
    try { return { outputs: await outputs((await loadModel(url, { engine: await engine() })).model, feeds) }; }
    catch (e) { return { error: { axon: e instanceof AxonError, code: e.code, message: e.message } }; }
  },
};
`;

/** A small Transformer classifier: ids + padding mask → embedding, positions, one encoder block, masked mean, Dense. */
function encoderModel(engine: Engine): Model {
  const m = new Model({ inputs: [{ name: 'ids', shape: [8], dtype: 'i32', range: [0, 20] }, { name: 'mask', shape: [8], dtype: 'i32' }], seed: 5, engine });
  m.add(layers.embedding({ inputDim: 20, outputDim: 16, name: 'tok' }), { inputs: ['ids'] });
  m.add(layers.positionEmbedding({ maxLength: 8, name: 'pos' }), { inputs: ['tok'] });
  const out = addEncoderBlock(m, { input: 'pos', heads: 2, ff: 32, mask: 'mask', activation: 'gelu', name: 'enc' });
  m.add(layers.maskedMeanPooling({ name: 'pool' }), { inputs: [out, 'mask'] });
  m.add(layers.dense({ units: 3, name: 'head' }), { inputs: ['pool'] });
  return m;
}
type Feeds = Record<string, [number[], number[], 'f32' | 'i32']>;
const ENCODER_FEEDS: Feeds = { ids: [[3, 7, 1, 19, 4, 0, 0, 0, 5, 5, 2, 11, 13, 17, 8, 6], [2, 8], 'i32'], mask: [[1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1], [2, 8], 'i32'] };
/** A sequence classifier: a bidirectional LSTM into a GRU (the recurrent family). */
function recurrentModel(engine: Engine): Model {
  const m = new Sequential({ inputShape: [6, 3], seed: 7, engine });
  m.add(layers.bidirectional({ layer: { type: 'lstm', units: 4, returnSequences: true }, name: 'bi' })).add(layers.gru({ units: 5, name: 'gru' })).add(layers.dense({ units: 2, name: 'head' }));
  return m;
}
const SEQ_FEEDS: Feeds = { input: [Array.from({ length: 36 }, (_, k) => Math.sin(k)), [2, 6, 3], 'f32'] };
const rng = new Rng(9), clip = Array.from({ length: 16000 }, () => 0.6 * rng.uniform() - 0.3);
const KWS_FEEDS: Feeds = { input: [clip, [1, 16000], 'f32'] };
const DIGITS_FEEDS: Feeds = { input: [Array.from({ length: 128 }, (_, k) => (k * 7) % 17 / 16), [2, 64], 'f32'] };

/** What the Node target predicts for these feeds. */
async function nodeOutputs(model: Model, feeds: Feeds): Promise<number[][]> {
  const y = await model.predict(Object.fromEntries(Object.entries(feeds).map(([k, [d, s, t]]) => [k, new Tensor(t === 'i32' ? Int32Array.from(d) : Float32Array.from(d), s)])));
  return Object.values(y as Record<string, Tensor>).map((t) => Array.from(t.data as Float32Array));
}

describe('a classic-model app bundled from the published axon/browser', () => {
  let app: App, dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'axon-lazy-bundle-'));
    app = await bundleApp(CLASSIC_APP, { outdir: dir });
  }, 120_000);
  afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('starts with no transformer, recurrent, audio or augmentation layer module: they are chunks loaded on demand', () => {
    const start = app.start.flatMap((c) => c.inputs);
    expect(start).toContain('src/layers/registry.js');   // (it does load model files)
    expect(ON_DEMAND.filter((m) => start.includes(m))).toEqual([]);
    const lazy = (entry: string) => (app.onDemand[entry] ?? []).flatMap((c) => c.inputs);
    expect(lazy('src/layers/transformer_family.js')).toEqual(expect.arrayContaining(ON_DEMAND.slice(0, 5)));
    expect(lazy('src/layers/audio.js')).toContain('src/layers/audio.js');
    expect(lazy('src/layers/augment.js')).toContain('src/layers/augment.js');
    expect(lazy('src/layers/recurrent_family.js')).toEqual(expect.arrayContaining(ON_DEMAND.slice(7)));
  });

  it("the start chunks' code holds no string of the attention layer (the chunk that loads it does)", () => {
    const marker = 'numHeads must be a positive integer';   // (a message only src/layers/attention.ts has)
    expect(readFileSync('src/layers/attention.ts', 'utf8')).toContain(marker);
    const holding = (list: Chunk[]) => list.filter((c) => new TextDecoder().decode(c.bytes).includes(marker)).map((c) => basename(c.file));
    expect(holding(app.start)).toEqual([]);
    expect(holding(app.onDemand['src/layers/transformer_family.js'])).toHaveLength(1);
  });
});

describe.skipIf(!existsSync(CHROMIUM))('on-demand layer families in Chromium (published axon/browser, code splitting)', () => {
  let browser: Browser, page: Page, server: { url: string; close: () => Promise<void> }, dir: string, engine: Engine;
  const requested: string[] = [], errors: string[] = [];
  const fetched = (entry: string) => app.onDemand[entry].map((c) => basename(c.file)).filter((f) => requested.includes(f));
  let app: App;
  const encoder = { bytes: [] as number[], want: [] as number[][] }, kws = { ...encoder }, digits = { ...encoder }, seq = { ...encoder };
  const call = (fn: string, bytes: number[], feeds: Feeds) => page.evaluate(([f, b, x]) => (globalThis as any).axonLazy[f as string](b, x), [fn, bytes, feeds] as const) as Promise<{ outputs?: number[][]; error?: { axon: boolean; code: string; message: string; details: { families: string[]; types: string[] } } }>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'axon-lazy-browser-'));
    app = await bundleApp(PAGE_APP, { outdir: dir, minify: false });
    for (const f of readdirSync('build').filter((n) => n.endsWith('.wasm') && n !== 'axon.wasi.wasm')) copyFileSync(join('build', f), join(dir, f));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="app.js"></script>');
    engine = await loadEngine({ build: 'simd' });
    const enc = encoderModel(engine);
    Object.assign(encoder, { bytes: Array.from(modelToBytes(enc)), want: await nodeOutputs(enc, ENCODER_FEEDS) });
    writeFileSync(join(dir, 'encoder.axon'), Uint8Array.from(encoder.bytes));
    const kwsBytes = readFileSync('models/kws/kws.int8.axon');
    Object.assign(kws, { bytes: Array.from(kwsBytes), want: await nodeOutputs(modelFromBytes(kwsBytes, 'kws', engine).model, KWS_FEEDS) });
    const rec = recurrentModel(engine);
    Object.assign(seq, { bytes: Array.from(modelToBytes(rec)), want: await nodeOutputs(rec, SEQ_FEEDS) });
    const digitsBytes = readFileSync('targets/workers/template/model/digits.axon');
    Object.assign(digits, { bytes: Array.from(digitsBytes), want: await nodeOutputs(modelFromBytes(digitsBytes, 'digits', engine).model, DIGITS_FEEDS) });
    server = await serveStatic(dir);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    page = await browser.newPage();
    page.on('request', (r) => requested.push(basename(new URL(r.url()).pathname)));
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${server.url}/index.html`);
    await page.waitForFunction(() => typeof (globalThis as any).axonLazy === 'object');
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a classic model loads synchronously and predicts what Node does, fetching no layer chunk', async () => {
    expect(await call('sync', digits.bytes, DIGITS_FEEDS)).toEqual({ outputs: digits.want });
    expect(fetched('src/layers/transformer_family.js')).toEqual([]);
    expect(fetched('src/layers/audio.js')).toEqual([]);
  });

  it("a Transformer's sync load: AxonError NOT_LOADED naming the family and the two ways to load it", async () => {
    const { error } = await call('sync', encoder.bytes, ENCODER_FEEDS);
    expect(error).toMatchObject({ axon: true, code: 'NOT_LOADED', details: { families: ['transformer'] } });
    expect(error!.details.types).toEqual(expect.arrayContaining(['embedding', 'positionEmbedding', 'multiHeadAttention', 'layerNormalization', 'maskedMeanPooling']));
    expect(error!.message).toMatch(/^page\.axon: the model has transformer layers \(.*multiHeadAttention.*\), which this entry \(axon\/browser\) loads on demand/);
    expect(error!.message).toContain('`await loadModel(url or bytes)`');
    expect(error!.message).toContain('`await loadLayers(bytes)` before modelFromBytes');
    expect(fetched('src/layers/transformer_family.js')).toEqual([]);
  });

  it('loadModel(bytes) fetches the transformer layers and predicts what Node does; then the sync load works too', async () => {
    expect(await call('loadModel', encoder.bytes, ENCODER_FEEDS)).toEqual({ outputs: encoder.want });
    expect(fetched('src/layers/transformer_family.js').length).toBe(app.onDemand['src/layers/transformer_family.js'].length);
    expect(await call('sync', encoder.bytes, ENCODER_FEEDS)).toEqual({ outputs: encoder.want });
  });

  it('loadModel(url) fetches the file (HTTP errors: AxonError IO naming the URL)', async () => {
    expect(await page.evaluate(([b, x]) => (globalThis as any).axonLazy.fetchModel(b, x), ['encoder.axon', ENCODER_FEEDS] as const)).toEqual({ outputs: encoder.want });
    const missing = await page.evaluate(() => (globalThis as any).axonLazy.fetchModel('missing.axon', {}));
    expect(missing.error).toMatchObject({ axon: true, code: 'IO', message: expect.stringMatching(/^missing\.axon: HTTP 404/) });
  });

  it('the audio front end (an int8 KWS model): NOT_LOADED, then loadLayers(bytes) + modelFromBytes = Node', async () => {
    expect((await call('sync', kws.bytes, KWS_FEEDS)).error).toMatchObject({ code: 'NOT_LOADED', details: { families: ['audio'], types: ['melSpectrogram'] } });
    expect(await call('loadLayers', kws.bytes, KWS_FEEDS)).toEqual({ outputs: kws.want });
    expect(fetched('src/layers/audio.js')).toEqual(app.onDemand['src/layers/audio.js'].map((c) => basename(c.file)));
    expect(fetched('src/layers/augment.js')).toEqual([]);
  });

  it('the recurrent layers (bidirectional LSTM + GRU): NOT_LOADED, then loadModel(bytes) = Node', async () => {
    expect((await call('sync', seq.bytes, SEQ_FEEDS)).error).toMatchObject({ code: 'NOT_LOADED', details: { families: ['recurrent'], types: ['bidirectional', 'gru'] } });
    expect(fetched('src/layers/recurrent_family.js')).toEqual([]);
    expect(await call('loadModel', seq.bytes, SEQ_FEEDS)).toEqual({ outputs: seq.want });
    expect(fetched('src/layers/recurrent_family.js')).toEqual(app.onDemand['src/layers/recurrent_family.js'].map((c) => basename(c.file)));
  });

  it('loadLayers() loads every family the entry left out (here the one not loaded yet: augmentation)', async () => {
    await page.evaluate(() => (globalThis as any).axonLazy.loadAll());
    expect(fetched('src/layers/augment.js')).toEqual(app.onDemand['src/layers/augment.js'].map((c) => basename(c.file)));
    expect(errors).toEqual([]);
  });
});
