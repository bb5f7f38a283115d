// Template Worker: the digits MLP (or any model file) behind HTTP.
//   POST /predict   JSON {"inputs": [[64 numbers], ...]} (flat rows, or nested arrays [n, ...input shape]),
//                   or application/octet-stream f32 little-endian with an `x-shape: n,64` (n,8,8,1, ...) header. Answers JSON {outputs, predictions, build}, or f32
//                   bytes (+ x-shape) when the request says `accept: application/octet-stream`.
//                   Models with several (or named) inputs: JSON {"inputs": {"seq": [[[...]]], "h0": [[...]]}}
//                   (nested arrays [n, ...per-sample shape], open dimensions any length up to their maximum,
//                   integers for i32 inputs), or octet-stream with `x-inputs: seq=f32[2,5,4]; h0=f32[2,6]`
//                   and the inputs' little-endian bytes one after another. Answers {outputs: {name: nested
//                   arrays}, shapes: {name: [n, ...]}} (binary: the outputs' f32 bytes in order, `x-outputs`).
//                   `?model=tuned` predicts with the fine-tuned weights (see /finetune).
//   POST /finetune  JSON {"inputs": ..., "labels": [...] | "targets": [...], "steps": k} (inputs as /predict
//                   takes them; octet-stream with x-shape and x-labels too): k (≤ MAX_STEPS) full-batch
//                   steps with the model file's optimizer and schedule (finetune.ts), from the weights
//                   and optimizer state in KV (binding WEIGHTS) when present; saves them back.
//   POST /predict   {"text": "turn on the lights"} (or a list): a model trained on text (`axon train` with a
//                   "text" section) carries its tokenizer; answers {labels, classes, scores}.
//   POST /generate  {"prompt": "...", "maxTokens", "temperature", "topK", "topP", "seed"}: a causal LM
//                   ("task": "causalLm") continues the prompt; the same seed, the same text (generate.ts).
//   POST /predict   a WAV file (content-type audio/wav) for a model taking PCM (keyword spotting,
//                   models/kws): answers {label, class, scores, classNames} (audio.ts).
//   GET  /          model card: input shape, classes, build, limits.
// Inputs are 8×8 pixel intensities in [0, 1] (the dataset's 0..16 divided by 16); the normalizer saved
// in the model file is applied here. Bad requests get 4xx with JSON {error, code} and change nothing.
// In your own project import from 'axon/workers' instead of '../../index.js'.
import { loadEngine, modelFromBytes, modelToBytes, readAxonModelFile, Normalizer, Tensor, AxonError, TextModel, CharLm, type Engine, type Model, type BuildName } from '../../index.js';
import modelFile from '../model/digits.axon';
import { checkNames, declText, nested, tensorFromNested, tensorsFromBinary } from './named.js';
import { textsFromJson, classifyTexts, TEXT_LIMITS } from './text.js';
import { KV, saveToKv, syncFromKv as syncState, targetsOf } from './finetune.js';
import { generateRequest, generateText, GENERATE_LIMITS } from './generate.js';
import { classifyWav, WAV_TYPES } from './audio.js';

export interface Env { WEIGHTS?: KV; AXON_BUILD?: string; FINETUNE_LR?: string }

export const LIMITS = { maxBodyBytes: 1 << 20, maxRows: 1024, maxFinetuneRows: 256, maxSteps: 50, defaultSteps: 10 };
const JSON_TYPE = 'application/json; charset=utf-8';

class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly headers: Record<string, string> = {}) { super(message); }
}
const bad = (code: string, msg: string) => new HttpError(400, code, msg);

// ── per-isolate state: the engine and the models are made once, on the first request ──
interface Loaded { engine: Engine; model: Model; normalizer?: Normalizer; features: number; classes: number; extra?: Record<string, unknown>; text?: TextModel; lm?: CharLm }
interface Tuned extends Loaded { version: number; steps: number }
let base: Promise<Loaded> | undefined;
let tuned: Promise<Tuned> | undefined;
let queue: Promise<unknown> = Promise.resolve();

/** Runs model work one request at a time (sessions share wasm buffers; awaits would interleave otherwise). */
function exclusive<T>(fn: () => Promise<T>): Promise<T> {
  const r = queue.then(fn);
  queue = r.catch(() => undefined);
  return r;
}

/** Retries on the next request if loading failed. */
function once<T>(get: () => Promise<T> | undefined, set: (p: Promise<T> | undefined) => void, make: () => Promise<T>): Promise<T> {
  let p = get();
  if (!p) { p = make(); set(p); p.catch(() => set(undefined)); }
  return p;
}

async function load(env: Env): Promise<Loaded> {
  const build = env.AXON_BUILD && env.AXON_BUILD !== 'auto' ? { build: env.AXON_BUILD as BuildName } : undefined;
  const engine = await loadEngine(build);
  const { model, graph } = modelFromBytes(new Uint8Array(modelFile), 'digits.axon', engine);
  const norm = graph.extra?.normalizer;
  const classes = model.outputShape.reduce((a, b) => a * b, 1), features = model.inputShape.reduce((a, b) => a * b, 1);
  const text = graph.extra?.text ? await TextModel.from(model, graph.extra, 'model file') : undefined;
  const lm = graph.extra?.lm ? CharLm.from(model, graph.extra, 'model file', engine) : undefined;
  return { engine, model, normalizer: norm ? Normalizer.fromJSON(norm, 'digits.axon normalizer') : undefined, features, classes, extra: graph.extra, text, lm };
}
const getBase = (env: Env) => once(() => base, (p) => (base = p), () => load(env));
/** The fine-tuned copy: the model file's compile settings (optimizer, schedule), or plain SGD at FINETUNE_LR when it has none. */
const getTuned = (env: Env) => once(() => tuned, (p) => (tuned = p), async () => {
  const t = await load(env);
  if (!t.model.compileOptions) t.model.compile({ optimizer: { type: 'sgd', lr: Number(env.FINETUNE_LR ?? 0.05) }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return { ...t, version: 0, steps: 0 };
});
const syncFromKv = (t: Tuned, kv: KV) => syncState(t, kv, (bytes) => new Map([...readAxonModelFile(bytes, 'tuned.axon').tensors].map(([k, v]) => [k, v.data as Float32Array])));

// ── request parsing and validation ──
async function readBody(req: Request): Promise<Uint8Array> {
  const declared = req.headers.get('content-length');
  const tooLarge = () => new HttpError(413, 'TOO_LARGE', `the body is larger than ${LIMITS.maxBodyBytes} bytes; send fewer rows per request`);
  if (declared !== null && Number(declared) > LIMITS.maxBodyBytes) throw tooLarge();
  if (!req.body) throw bad('EMPTY_BODY', 'the request has no body');
  const reader = req.body.getReader(), parts: Uint8Array[] = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.byteLength;
    if (n > LIMITS.maxBodyBytes) { await reader.cancel(); throw tooLarge(); }
    parts.push(value);
  }
  if (n === 0) throw bad('EMPTY_BODY', 'the request body is empty');
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.byteLength; }
  return out;
}

const mediaType = (req: Request) => (req.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();

function parseJson(bytes: Uint8Array): Record<string, unknown> {
  let v: unknown;
  try { v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)); } catch (e) { throw bad('BAD_JSON', `the body is not valid JSON (${e instanceof Error ? e.message : e})`); }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw bad('BAD_JSON', 'the body must be a JSON object like {"inputs": [[...]]}');
  return v as Record<string, unknown>;
}

/** `inputs` as an [n, ...input shape] f32 tensor: flat rows of finite numbers, or nested arrays of that shape. */
function rowsFromJson(inputs: unknown, m: Loaded, maxRows: number): Tensor {
  const features = m.features, decl = m.model.inputs[0];
  if (Array.isArray(inputs) && Array.isArray(inputs[0]) && Array.isArray(inputs[0][0])) return tensorFromNested(inputs, decl, maxRows);
  if (!Array.isArray(inputs)) throw bad('BAD_SHAPE', '"inputs" must be a list of rows, e.g. {"inputs": [[0, 0.25, ...]]}');
  const n = inputs.length;
  if (n === 0) throw bad('BAD_SHAPE', '"inputs" has no rows');
  if (n > maxRows) throw bad('BAD_SHAPE', `"inputs" has ${n} rows; at most ${maxRows} per request`);
  const x = new Float32Array(n * features);
  for (let r = 0; r < n; r++) {
    const row = inputs[r];
    if (!Array.isArray(row) || row.length !== features) throw bad('BAD_SHAPE', `inputs[${r}] must be a list of ${features} numbers (the model's input shape), got ${Array.isArray(row) ? `${row.length} values` : typeof row}`);
    for (let c = 0; c < features; c++) {
      const v = row[c];
      if (v === null) throw new HttpError(400, 'NOT_FINITE', `inputs[${r}][${c}] is null (JSON's encoding of NaN and Infinity); inputs must be finite numbers`);
      if (typeof v !== 'number') throw bad('BAD_DTYPE', `inputs[${r}][${c}] is a ${typeof v}; inputs must be numbers (float32)`);
      x[r * features + c] = v;
      if (!Number.isFinite(x[r * features + c])) throw bad('NOT_FINITE', `inputs[${r}][${c}] = ${v} is not a finite float32`);
    }
  }
  return new Tensor(x, [n, ...m.model.inputShape]);
}

/** An octet-stream body: little-endian f32 values, shape from the x-shape header. */
function rowsFromBinary(req: Request, bytes: Uint8Array, m: Loaded): Tensor {
  const features = m.features;
  const dtype = (req.headers.get('x-dtype') ?? 'f32').trim().toLowerCase();
  if (dtype !== 'f32' && dtype !== 'float32') throw bad('BAD_DTYPE', `x-dtype ${JSON.stringify(dtype)} is not supported; send little-endian float32 ("f32")`);
  const header = req.headers.get('x-shape');
  if (!header) throw bad('BAD_SHAPE', `binary bodies need an x-shape header, e.g. "x-shape: 1,${features}"`);
  const dims = header.replace(/[[\]()\s]/g, '').split(',');
  if (!dims.every((d) => /^\d{1,9}$/.test(d))) throw bad('BAD_SHAPE', `x-shape ${JSON.stringify(header)} must be comma-separated positive integers`);
  const shape = dims.map(Number), n = shape[0], per = shape.slice(1).reduce((a, b) => a * b, 1);
  if (shape.length < 2 || per !== features || n < 1) throw bad('BAD_SHAPE', `x-shape [${shape}] does not match the model's input [n, ${features}]`);
  if (n > LIMITS.maxRows) throw bad('BAD_SHAPE', `x-shape has ${n} rows; at most ${LIMITS.maxRows} per request`);
  if (bytes.byteLength !== n * features * 4) throw bad('BAD_SHAPE', `x-shape [${shape}] needs ${n * features * 4} bytes of float32 but the body has ${bytes.byteLength}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), x = new Float32Array(n * features);
  for (let i = 0; i < x.length; i++) {
    x[i] = dv.getFloat32(i * 4, true);
    if (!Number.isFinite(x[i])) throw bad('NOT_FINITE', `value ${i} (row ${Math.floor(i / features)}) is ${x[i]}; inputs must be finite`);
  }
  return new Tensor(x, [n, ...m.model.inputShape]);
}

/** Rows of a single-input model, or (named inputs, or a model that needs them) what predictNamed reads. */
async function inputsOf(req: Request, m: Loaded, maxRows = LIMITS.maxRows, keep: { body?: Record<string, unknown> } = {}): Promise<Tensor | { inputs?: unknown; bytes?: Uint8Array; header?: string; text?: unknown; wav?: Uint8Array }> {
  const type = mediaType(req);
  if (WAV_TYPES.includes(type)) return { wav: await readBody(req) };
  if (type !== 'application/json' && type !== 'application/octet-stream') throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `content-type ${JSON.stringify(type)}: send application/json, application/octet-stream or audio/wav`);
  const bytes = await readBody(req), model = m.model;
  const single = model.inputs.length === 1 && model.outputNames.length === 1 && !model.hasOpenAxes;
  if (type === 'application/octet-stream') {
    const one = model.inputs[0], shape = req.headers.get('x-shape');
    if (!req.headers.has('x-inputs') && model.inputs.length === 1 && shape) {   // x-shape names the one input's full shape [n, ...]
      if (single) return rowsFromBinary(req, bytes, m);
      return { bytes, header: `${one.name}=${(req.headers.get('x-dtype') ?? one.dtype).trim().replace('float32', 'f32')}[${shape.replace(/[[\]()\s]/g, '')}]` };
    }
    return { bytes };
  }
  const body = parseJson(bytes), inputs = body.inputs;
  keep.body = body;
  if ('text' in body) {
    if (!m.text) throw bad('NO_TOKENIZER', 'this model was not trained on text (its file has no tokenizer); send {"inputs": ...}');
    return { text: body.text };
  }
  if (inputs && typeof inputs === 'object' && !Array.isArray(inputs)) return { inputs };
  if (!single && model.inputs.length === 1 && Array.isArray(inputs)) return { inputs: { [model.inputs[0].name]: inputs } };
  if (!single) throw bad('BAD_ARGUMENT', `this model takes named inputs: {"inputs": {${model.inputs.map((d) => `"${d.name}": [...]`).join(', ')}}} (${model.inputs.map(declText).join('; ')})`);
  return rowsFromJson(inputs, m, maxRows);
}

/** What inputsOf read (no text) as the model's inputs, normalized: a Tensor for a single-input model, else a { name: Tensor } map. */
function modelInputs(req: Request, m: Loaded, got: Tensor | { inputs?: unknown; bytes?: Uint8Array; header?: string }, maxRows: number): Tensor | Record<string, Tensor> {
  if (got instanceof Tensor) return prepare(m, got);
  let xs: Record<string, Tensor>;
  if (got.bytes) xs = tensorsFromBinary(got.header ?? req.headers.get('x-inputs') ?? '', got.bytes, m.model, maxRows);
  else {
    const inputs = got.inputs;
    if (!inputs || typeof inputs !== 'object' || Array.isArray(inputs)) throw bad('BAD_SHAPE', '"inputs" must be a { name: nested arrays } object');
    checkNames(m.model, Object.keys(inputs));
    xs = Object.fromEntries(m.model.inputs.map((d) => [d.name, tensorFromNested((inputs as Record<string, unknown>)[d.name], d, maxRows)]));
  }
  if (m.normalizer && m.model.inputs.length === 1) xs = { [m.model.inputs[0].name]: prepare(m, xs[m.model.inputs[0].name]) };
  return xs;
}

/** POST /predict with named inputs: every output by name. */
async function predictNamed(req: Request, m: Loaded, xs: Record<string, Tensor>): Promise<Response> {
  const ys = await exclusive(() => m.model.predict(xs));
  if ((req.headers.get('accept') ?? '').includes('application/octet-stream')) {
    const parts = Object.values(ys).map((t) => new Uint8Array(t.data.buffer as ArrayBuffer, t.data.byteOffset, t.data.byteLength));
    const body = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    parts.reduce((at, p) => { body.set(p, at); return at + p.length; }, 0);
    return new Response(body, { headers: { 'content-type': 'application/octet-stream', 'x-outputs': Object.entries(ys).map(([k, t]) => `${k}=f32[${t.shape}]`).join('; '), 'x-axon-build': m.engine.build } });
  }
  return json({ outputs: Object.fromEntries(Object.entries(ys).map(([k, t]) => [k, nested(t)])), shapes: Object.fromEntries(Object.entries(ys).map(([k, t]) => [k, t.shape])), build: m.engine.build });
}

/** Rows in the model's per-sample shape (a per-channel normalizer needs the channel axis), normalized. */
const prepare = (m: Loaded, x: Tensor) => (m.normalizer ? m.normalizer.apply(x.shape.length === 2 && m.model.inputShape.length > 1 ? x.reshape([x.shape[0], ...m.model.inputShape]) : x) : x);

function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': JSON_TYPE, ...headers } });
}

// ── handlers ──
async function predict(req: Request, env: Env, url: URL): Promise<Response> {
  const which = url.searchParams.get('model') ?? 'base';
  if (which !== 'base' && which !== 'tuned') throw bad('BAD_ARGUMENT', `model=${which}: use base or tuned`);
  const m: Loaded = which === 'tuned' ? await getTuned(env) : await getBase(env);
  const got = await inputsOf(req, m);
  if (!(got instanceof Tensor) && got.wav) return json({ ...(await classifyWav(m.model, m.extra, got.wav, exclusive)), build: m.engine.build, model: which });
  if (!(got instanceof Tensor) && 'text' in got) {
    const texts = textsFromJson(got.text);
    const run = <T>(fn: () => Promise<T>) => exclusive(async () => { if (which === 'tuned' && env.WEIGHTS) await syncFromKv(m as Tuned, env.WEIGHTS); return fn(); });
    return json({ ...(await classifyTexts(m.text!, texts, run)), build: m.engine.build, model: which });
  }
  const x = modelInputs(req, m, got, LIMITS.maxRows);
  if (!(x instanceof Tensor)) return predictNamed(req, m, x);
  const y = await exclusive(async () => {
    if (which === 'tuned' && env.WEIGHTS) await syncFromKv(m as Tuned, env.WEIGHTS);
    return m.model.predict(x);
  });
  const n = x.shape[0], C = m.classes, out = y.data as Float32Array;
  if ((req.headers.get('accept') ?? '').includes('application/octet-stream')) {
    return new Response(new Uint8Array(out.buffer as ArrayBuffer, out.byteOffset, out.byteLength), { headers: { 'content-type': 'application/octet-stream', 'x-shape': `${n},${C}`, 'x-dtype': 'f32', 'x-axon-build': m.engine.build } });
  }
  const outputs: number[][] = [], predictions: number[] = [];
  for (let r = 0; r < n; r++) {
    const row = Array.from(out.subarray(r * C, (r + 1) * C));
    outputs.push(row);
    predictions.push(row.indexOf(Math.max(...row)));
  }
  return json({ outputs, predictions, build: m.engine.build, model: which });
}

async function finetune(req: Request, env: Env): Promise<Response> {
  const kv = env.WEIGHTS;
  if (!kv) throw new HttpError(501, 'NO_STORAGE', 'this Worker has no KV binding named WEIGHTS to keep the fine-tuned weights in');
  const t = await getTuned(env);
  const type = mediaType(req);
  if (type !== 'application/json' && !(type === 'application/octet-stream' && req.headers.has('x-labels'))) throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send application/json: {"inputs": [[...]], "labels": [...], "steps": k} (or octet-stream inputs with x-shape and x-labels: 3,1,4)');
  const keep: { body?: Record<string, unknown> } = {};
  const got = await inputsOf(req, t, LIMITS.maxFinetuneRows, keep);
  if (!(got instanceof Tensor) && 'text' in got) throw bad('BAD_ARGUMENT', '/finetune takes token ids as {"inputs": {...}}, not text');
  const x = modelInputs(req, t, got, LIMITS.maxFinetuneRows);
  const n = (x instanceof Tensor ? x : Object.values(x)[0]).shape[0];
  const body: Record<string, unknown> = keep.body ?? { labels: (req.headers.get('x-labels') ?? '').split(',').map((v) => (/^\s*-?\d+\s*$/.test(v) ? Number(v) : v)), steps: req.headers.has('x-steps') ? Number(req.headers.get('x-steps')) : undefined };
  const yt = targetsOf(body, t.model, n, bad);
  const steps = body.steps ?? LIMITS.defaultSteps;
  if (!Number.isInteger(steps) || (steps as number) < 1 || (steps as number) > LIMITS.maxSteps) throw bad('BAD_ARGUMENT', `"steps" must be an integer in [1, ${LIMITS.maxSteps}]`);
  return exclusive(async () => {
    const resumed = await syncFromKv(t, kv);
    const before = await t.model.evaluate(x, yt, { batchSize: n });
    const h = await t.model.fit(x, yt, { epochs: steps as number, batchSize: n, shuffle: false }); // one full-batch step per "epoch"
    const after = await t.model.evaluate(x, yt, { batchSize: n });
    await saveToKv(t, kv, modelToBytes(t.model), steps as number);
    return json({
      steps, totalSteps: t.steps, version: t.version, resumed, build: t.engine.build, optimizer: t.model.optimizer!.cfg.type,
      lossBefore: before.loss, lossAfter: after.loss, accuracyBefore: before.accuracy, accuracyAfter: after.accuracy,
      losses: h.epochs.map((e) => e.loss),
    });
  });
}

async function generateRoute(req: Request, env: Env): Promise<Response> {
  const m = await getBase(env);
  if (!m.lm) throw bad('NOT_A_LANGUAGE_MODEL', 'this model is not a causal language model (train one with "task": "causalLm"); POST /predict instead');
  if (mediaType(req) !== 'application/json') throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send application/json: {"prompt": "...", "maxTokens": n}');
  const r = generateRequest(parseJson(await readBody(req)), m.lm);
  return json({ ...(await generateText(m.lm, r, exclusive)), build: m.engine.build });
}

async function info(env: Env): Promise<Response> {
  const m = await getBase(env);
  if (m.lm) return json({ model: m.model.name, task: 'causalLm', build: m.engine.build, vocabSize: m.lm.vocab.size, maxLength: m.lm.spec.config.maxLength, limits: GENERATE_LIMITS, endpoints: ['POST /generate'] });
  return json({ model: m.model.name, inputShape: m.model.inputShape, classes: m.classes, build: m.engine.build, limits: m.text ? { ...LIMITS, text: TEXT_LIMITS } : LIMITS,
    ...(m.text ? { text: { tokenizer: m.text.tokenizer.kind, vocabSize: m.text.tokenizer.vocabSize, maxLength: m.text.spec.maxLength, labels: m.text.spec.labels ?? null } } : {}), endpoints: ['POST /predict', 'POST /predict?model=tuned', 'POST /finetune'],
    inputs: m.model.inputs.map((d) => ({ name: d.name, dtype: d.dtype, shape: d.shape, maxShape: d.max, ...(d.range ? { range: d.range } : {}) })), outputs: m.model.outputNames });
}

const ROUTES: Record<string, { method: string; run: (req: Request, env: Env, url: URL) => Promise<Response> }> = {
  '/': { method: 'GET', run: (_r, env) => info(env) },
  '/predict': { method: 'POST', run: predict },
  '/finetune': { method: 'POST', run: (req, env) => finetune(req, env) },
  '/generate': { method: 'POST', run: (req, env) => generateRoute(req, env) },
};

export default {
  async fetch(req: Request, env: Env): Promise<Response> {
    const url = new URL(req.url);
    try {
      const route = ROUTES[url.pathname];
      if (!route) throw new HttpError(404, 'NOT_FOUND', `no route ${url.pathname}; try ${Object.keys(ROUTES).join(', ')}`);
      if (req.method !== route.method) throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${url.pathname} takes ${route.method}`, { allow: route.method });
      return await route.run(req, env, url);
    } catch (e) {
      if (e instanceof HttpError) return json({ error: e.message, code: e.code }, e.status, e.headers);
      if (e instanceof AxonError && e.code !== 'WASM_UNAVAILABLE' && e.code !== 'OUT_OF_MEMORY' && e.code !== 'BAD_MODEL_FILE') return json({ error: e.message, code: e.code }, 400);
      console.error(e);
      return json({ error: 'internal error', code: 'INTERNAL' }, 500);
    }
  },
};
