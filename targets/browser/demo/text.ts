// The text demo: fetch the intents dataset (models/text/intents.tsv, synthetic) and its WordPiece
// tokenizer.json, train a small Transformer classifier in the page (embedding + positions + two
// encoder blocks + masked mean pooling, as models/text/config.json), then classify what the user
// types. Tokenization runs in the page (@huggingface/tokenizers inside axon.js), the model in wasm.
// Or the transfer path (models/text/transfer.json): the pretrained encoder (encoder.onnx.gz, gunzipped
// by the browser's DecompressionStream) imported from ONNX, frozen, a new head fine-tuned on 300 examples.
import { loadEngine, loadTokenizer, parseLabelledText, splitData, takeRows, Model, layers, addEncoderBlock, Tensor, TextModel, textSpec, trainingReportSvg,
  importOnnx, textClassifierFromEncoder, type Logs, type Engine, type TextTokenizer } from '../index.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const MAX_LENGTH = 32, SEED = 42;
/** models/text/transfer.json (fetched): the encoder file, its head, the training examples and learning rate */
type TransferConfig = { data: { limit: number }; model: { encoder: { onnx: string; freeze?: boolean; pooling?: 'mean' | 'first'; hidden?: Array<{ units: number; activation?: 'gelu' | 'relu' }> } }; compile: { optimizer: { lr: number } } };
let transfer: TransferConfig | undefined;
const state = {
  status: 'loading', build: '', epochs: [] as Logs[], testAccuracy: NaN, error: '', samples: 0,
  text: '', label: '', scores: [] as number[], labels: [] as string[], tokens: [] as string[], predictions: 0,
  mode: '' as '' | 'scratch' | 'transfer', trainable: 0, frozen: 0,
};
const setStatus = (s: string, text: string) => { state.status = s; $('status').textContent = text; };
const fail = (e: unknown) => { state.error = String(e); setStatus('error', `error: ${e}`); };
addEventListener('error', (e) => fail(e.error ?? e.message));
addEventListener('unhandledrejection', (e) => fail(e.reason));

type Part = { x: { ids: Tensor; mask: Tensor }; y: Tensor };
let loaded: { engine: Engine; tokenizer: TextTokenizer; labels: string[]; train: Part; validation: Part; test: Part } | undefined;
let classifier: TextModel | undefined;

async function fetchText(name: string): Promise<string> {
  const res = await fetch(name);
  if (!res.ok) throw new Error(`${name}: HTTP ${res.status}`);
  return res.text();
}

async function init() {
  const engine = await loadEngine();
  state.build = engine.build;
  $('build').textContent = `${engine.build === 'relaxed' ? 'relaxed SIMD' : 'SIMD128'} build`;
  const [tsv, tok, tcfg] = await Promise.all([fetchText('intents.tsv'), fetchText('tokenizer.json'), fetchText('transfer.json')]);
  transfer = JSON.parse(tcfg) as TransferConfig;
  const tokenizer = await loadTokenizer(tok, 'tokenizer.json');
  const { labels: names, texts } = parseLabelledText(tsv, 'intents.tsv');
  const labels = [...new Set(names)].sort();
  const enc = tokenizer.encode(texts, { maxLength: MAX_LENGTH });
  const y = new Tensor(Int32Array.from(names, (l) => labels.indexOf(l)), [texts.length], 'i32');
  const rows = new Tensor(Int32Array.from(texts, (_, i) => i), [texts.length, 1], 'i32');
  const split = splitData(rows, undefined, { validation: 0.1, test: 0.2, seed: SEED, name: 'intents.tsv' });
  const part = (p: { x: Tensor }): Part => ({ x: { ids: takeRows(enc.ids, p.x.data), mask: takeRows(enc.mask, p.x.data) }, y: takeRows(y, p.x.data) });
  loaded = { engine, tokenizer, labels, train: part(split.train), validation: part(split.validation), test: part(split.test) };
  state.labels = labels;
  state.samples = texts.length;
  setStatus('ready-to-train', `${texts.length} utterances, ${labels.length} intents: ${loaded.train.y.shape[0]} train / ${loaded.validation.y.shape[0]} validation / ${loaded.test.y.shape[0]} test; ${tokenizer.kind} tokenizer, ${tokenizer.vocabSize} ids`);
  for (const b of ['train', 'transfer']) $<HTMLButtonElement>(b).disabled = false;
}

/** models/text/config.json's architecture. */
function buildModel(engine: Engine, vocab: number, classes: number): Model {
  const m = new Model({ name: 'text-intents', seed: SEED, engine, inputs: [
    { name: 'ids', shape: [null], dtype: 'i32', maxShape: [MAX_LENGTH] }, { name: 'mask', shape: [null], dtype: 'i32', maxShape: [MAX_LENGTH] }] });
  m.add(layers.embedding({ inputDim: vocab, outputDim: 64, paddingIdx: 0, name: 'tok' }), { inputs: ['ids'] });
  m.add(layers.positionEmbedding({ maxLength: MAX_LENGTH, name: 'pos' })).add(layers.layerNormalization({ name: 'emb_ln' }));
  let top = addEncoderBlock(m, { input: 'emb_ln', mask: 'mask', heads: 4, ff: 128, activation: 'gelu', name: 'enc1' });
  top = addEncoderBlock(m, { input: top, mask: 'mask', heads: 4, ff: 128, activation: 'gelu', name: 'enc2' });
  m.add(layers.maskedMeanPooling({ name: 'pool' }), { inputs: [top, 'mask'] });
  return m.add(layers.dense({ units: classes, activation: 'softmax', name: 'intent' }));
}

/** The pretrained encoder, frozen, under mean pooling + a new Dense head (src/text/transfer.ts). */
async function transferModel(engine: Engine, classes: number): Promise<Model> {
  const e = transfer!.model.encoder, res = await fetch(e.onnx);
  if (!res.ok || !res.body) throw new Error(`${e.onnx}: HTTP ${res.status}`);
  const bytes = new Uint8Array(await new Response(res.body.pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());
  const imp = await importOnnx(bytes, { engine, seed: SEED, name: 'text-intents-transfer', file: 'encoder.onnx' });
  return textClassifierFromEncoder(imp, { classes, pooling: e.pooling, hidden: e.hidden, freeze: e.freeze });
}

const rename = (p: Part, n?: number): Part => {
  const take = (t: Tensor) => (n === undefined ? t : t.slice(0, Math.min(n, t.shape[0])));
  return { x: { input_ids: take(p.x.ids), attention_mask: take(p.x.mask) } as unknown as Part['x'], y: take(p.y) };
};

async function train(epochs: number, mode: 'scratch' | 'transfer' = 'scratch'): Promise<void> {
  if (!loaded) throw new Error('not loaded yet');
  const { engine, tokenizer, labels } = loaded;
  for (const b of ['train', 'transfer']) $<HTMLButtonElement>(b).disabled = true;
  setStatus('training', mode === 'transfer' ? 'importing the pretrained encoder…' : 'training…');
  state.epochs = [];
  const m = mode === 'transfer' ? await transferModel(engine, labels.length) : buildModel(engine, tokenizer.vocabSize, labels.length);
  const [tr, va, test] = mode === 'transfer' ? [rename(loaded.train, transfer!.data.limit), rename(loaded.validation), rename(loaded.test)] : [loaded.train, loaded.validation, loaded.test];
  m.compile({ optimizer: { type: 'adamw', lr: mode === 'transfer' ? transfer!.compile.optimizer.lr : 0.002, weightDecay: 0.01 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  Object.assign(state, { mode, trainable: m.layers.filter((l) => l.trainable).reduce((n, l) => n + l.paramCount, 0), frozen: m.layers.filter((l) => !l.trainable).length });
  const t0 = performance.now();
  await m.fit(tr.x, tr.y, {
    epochs, batchSize: 32, validationData: [va.x, va.y],
    callbacks: [{
      onEpochEnd: async (epoch, logs) => {
        state.epochs.push({ epoch: epoch + 1, ...logs });
        $('chart').innerHTML = trainingReportSvg(state.epochs, 'intent Transformer');
        setStatus('training', `epoch ${epoch + 1}/${epochs}: loss ${logs.loss.toFixed(4)}, accuracy ${(logs.accuracy * 100).toFixed(1)}%, validation ${(logs.val_accuracy * 100).toFixed(1)}%`);
        await new Promise((r) => setTimeout(r, 0));
      },
    }],
  });
  const secs = (performance.now() - t0) / 1000;
  state.testAccuracy = (await m.evaluate(test.x, test.y)).accuracy as number;
  const names = mode === 'transfer' ? { ids: 'input_ids', mask: 'attention_mask' } : {};
  classifier = await TextModel.from(m, { text: textSpec(tokenizer, { maxLength: MAX_LENGTH, labels, ...names }) }, 'the page model');
  $('accuracy').textContent = `test accuracy ${(state.testAccuracy * 100).toFixed(1)}% on ${test.y.shape[0]} held-out utterances` +
    (mode === 'transfer' ? ` (frozen pretrained encoder, ${state.trainable} trainable parameters, ${tr.y.shape[0]} training examples)` : '');
  setStatus('trained', `trained ${epochs} epochs in ${secs.toFixed(1)} s; type a command below`);
  for (const b of ['train', 'transfer']) $<HTMLButtonElement>(b).disabled = false;
  $<HTMLInputElement>('sentence').disabled = false;
  await classify($<HTMLInputElement>('sentence').value);
}

async function classify(text: string): Promise<void> {
  if (!classifier || !text.trim()) return;
  const [r] = await classifier.classify(text);
  Object.assign(state, { text, label: r.label, scores: r.scores, tokens: classifier.tokenizer.tokenize(text), predictions: state.predictions + 1 });
  $('prediction').textContent = r.label.replace('_', ' ');
  $('tokens').textContent = state.tokens.join(' · ');
  $('probs').innerHTML = r.scores.map((v, k) => `<span${k === r.index ? ' class="best"' : ''}>${state.labels[k]}</span><div class="track"><div class="bar" style="width:${(v * 100).toFixed(1)}%"></div></div><span>${(v * 100).toFixed(1)}%</span>`).join('');
}

let pending: ReturnType<typeof setTimeout> | undefined;
$('sentence').addEventListener('input', () => { clearTimeout(pending); pending = setTimeout(() => classify($<HTMLInputElement>('sentence').value).catch(fail), 60); });
const epochsWanted = () => Math.max(1, Math.min(100, Number($<HTMLInputElement>('epochs').value) || 6));
$('train').addEventListener('click', () => { train(epochsWanted()).catch(fail); });
$('transfer').addEventListener('click', () => { train(epochsWanted(), 'transfer').catch(fail); });
init().catch(fail);

// For tests and the console.
Object.assign(globalThis, { axonText: { state, train, classify, get data() { return loaded; } } });
