// The Workers target in real workerd (miniflare 4, on 127.0.0.1): the template Worker bundled by
// targets/workers/build.mjs serves /predict and /finetune over real HTTP. Its outputs are compared
// bit for bit with the Node target running the same build; bad requests get 4xx JSON errors while
// the Worker keeps serving; fine-tuning resumes from KV, also in a new workerd process.
import http from 'node:http';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { buildWorkers } from '../../../targets/workers/build.mjs';
import { startWorker } from '../../../targets/workers/miniflare.mjs';
import { loadEngine, modelFromBytes, Normalizer, parseNpy, Tensor, type Model, type BuildName } from '../../../targets/node/index.js';

const MODEL = readFileSync('targets/workers/template/model/digits.axon');
const X = parseNpy(readFileSync('models/digits/digits-x.npy'), 'digits-x');
const Y = parseNpy(readFileSync('models/digits/digits-y.npy'), 'digits-y');
/** rows [from, to) of the dataset as the Worker's inputs (pixels / 16) and labels */
function rows(from: number, to: number): { x: number[][]; y: number[] } {
  const x: number[][] = [], y: number[] = [];
  for (let r = from; r < to; r++) { x.push(Array.from(X.data.subarray(r * 64, r * 64 + 64), (v) => v / 16)); y.push(Y.data[r]); }
  return { x, y };
}

/** What the Node target computes for the same request. */
async function nodeModel(build: BuildName): Promise<{ model: Model; prep: (x: number[][]) => Tensor }> {
  const engine = await loadEngine({ build });
  const { model, graph } = modelFromBytes(new Uint8Array(MODEL), 'digits.axon', engine);
  const norm = Normalizer.fromJSON(graph.extra!.normalizer);
  return { model, prep: (x) => norm.apply(new Tensor(Float32Array.from(x.flat()), [x.length, 64])) };
}

type Json = Record<string, any>;
async function post(url: string, body: BodyInit | object, headers: Record<string, string> = {}): Promise<{ status: number; json: Json; res: Response }> {
  const isRaw = typeof body === 'string' || body instanceof Uint8Array || body instanceof ArrayBuffer || body instanceof ReadableStream;
  const res = await fetch(url, {
    method: 'POST', body: isRaw ? (body as BodyInit) : JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...headers }, ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit);
  const text = res.headers.get('content-type')?.startsWith('application/json') ? await res.text() : '';
  return { status: res.status, json: text ? JSON.parse(text) : {}, res };
}
const f32Bytes = (x: number[][]) => new Uint8Array(Float32Array.from(x.flat()).buffer);

/**
 * POST through node:http for bodies the Worker refuses before reading them all: workerd answers
 * (413) and then resets the connection while the client is still sending, which fetch reports as an
 * unhandled socket error. Here the answer is what counts; a reset after it is expected, one before
 * it fails the request.
 */
function postOversized(url: string, chunks: Uint8Array[], headers: Record<string, string> = {}): Promise<{ status: number; json: Json }> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      answered = true;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : {} }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : {} }));
    });
    req.on('error', (e) => { if (!answered) reject(e); });
    for (const c of chunks) req.write(c);
    req.end();
  });
}

describe('Workers target in workerd', () => {
  let dir: string, kvDir: string;
  const workers: Record<string, { url: string; close: () => Promise<void> }> = {};
  const sample = rows(0, 1797).x.filter((_, i) => i % 18 === 0); // 100 rows across the set
  const sampleY = rows(0, 1797).y.filter((_, i) => i % 18 === 0);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'axon-workers-'));
    kvDir = mkdtempSync(join(tmpdir(), 'axon-kv-'));
    await buildWorkers({ outdir: dir });
    [workers.simd, workers.auto] = await Promise.all([startWorker({ dir, build: 'simd' }), startWorker({ dir, build: 'auto', kvPersist: kvDir })]);
  });
  afterAll(async () => {
    await Promise.all(Object.values(workers).map((w) => w.close()));
    for (const d of [dir, kvDir]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('loads the wasm as precompiled modules and picks relaxed SIMD in workerd (simd when told)', async () => {
    const bundle = readFileSync(join(dir, 'worker.js'), 'utf8');
    expect(bundle).toMatch(/import \w+ from"\.\/axon\.simd\.wasm"/);
    expect(bundle).toMatch(/import \w+ from"\.\/axon\.relaxed\.wasm"/);
    const auto = await (await fetch(`${workers.auto.url}/`)).json() as Json;
    const simd = await (await fetch(`${workers.simd.url}/`)).json() as Json;
    expect(auto).toMatchObject({ model: 'digits-mlp', inputShape: [64], classes: 10, build: 'relaxed' });
    expect(simd.build).toBe('simd');
  });

  for (const build of ['simd', 'relaxed'] as const) {
    it(`predictions are bit-identical to the Node target (${build} build), JSON and binary`, async () => {
      const url = `${workers[build === 'simd' ? 'simd' : 'auto'].url}/predict`;
      const node = await nodeModel(build);
      const want = (await node.model.predict(node.prep(sample))).data as Float32Array;
      const { status, json } = await post(url, { inputs: sample });
      expect(status).toBe(200);
      expect(json.build).toBe(build);
      const got = Float32Array.from(json.outputs.flat() as number[]);
      expect(got.length).toBe(want.length);
      expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer)), 'JSON outputs bit-identical').toBe(true);
      const acc = json.predictions.filter((p: number, i: number) => p === sampleY[i]).length / sample.length;
      expect(acc).toBeGreaterThan(0.95);
      // binary in, binary out
      const bin = await fetch(url, { method: 'POST', body: f32Bytes(sample), headers: { 'content-type': 'application/octet-stream', 'x-shape': `${sample.length},64`, accept: 'application/octet-stream' } });
      expect(bin.status).toBe(200);
      expect(bin.headers.get('x-shape')).toBe(`${sample.length},10`);
      expect(bin.headers.get('x-axon-build')).toBe(build);
      expect(Buffer.from(await bin.arrayBuffer()).equals(Buffer.from(want.buffer)), 'binary outputs bit-identical').toBe(true);
      // one row at a time too (a batch of 1 takes the ragged-tile path)
      const one = await post(url, { inputs: sample.slice(7, 8) });
      const wantOne = (await node.model.predict(node.prep(sample.slice(7, 8)))).data;
      expect(one.json.outputs[0]).toEqual(Array.from(wantOne));
    });
  }

  it('the template also bundles with wrangler (deploy --dry-run) and serves the same outputs', async () => {
    const out = join(dir, 'wrangler');
    execFileSync(process.execPath, [resolve('node_modules/wrangler/bin/wrangler.js'), 'deploy', '--dry-run', '--outdir', out], {
      cwd: 'targets/workers/template', env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1' }, stdio: 'pipe', timeout: 60_000,
    });
    const w = await startWorker({ dir: out, build: 'simd' });
    try {
      const a = await post(`${w.url}/predict`, { inputs: sample });
      const b = await post(`${workers.simd.url}/predict`, { inputs: sample });
      expect(a.status).toBe(200);
      expect(a.json.outputs).toEqual(b.json.outputs);
    } finally { await w.close(); }
  });

  it('rejects malformed requests with 4xx JSON errors and keeps serving', async () => {
    const url = `${workers.auto.url}/predict`;
    const row = sample[0], good = { inputs: [row] };
    const baseline = (await post(url, good)).json.outputs;
    const nanBin = new Float32Array(64); nanBin[5] = NaN;
    const tooBig = new Uint8Array((1 << 20) + 1).fill(32);
    const bin = (body: Uint8Array, h: Record<string, string>) => [body, { 'content-type': 'application/octet-stream', ...h }] as const;
    const cases: Array<[string, BodyInit | object, Record<string, string>, number, string]> = [
      ['truncated JSON', '{"inputs": [[1, 2', {}, 400, 'BAD_JSON'],
      ['JSON array at top level', '[[0,1]]', {}, 400, 'BAD_JSON'],
      ['invalid UTF-8', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), {}, 400, 'BAD_JSON'],
      ['no inputs', { rows: [row] }, {}, 400, 'BAD_SHAPE'],
      ['inputs not a list', { inputs: 'abc' }, {}, 400, 'BAD_SHAPE'],
      ['empty inputs', { inputs: [] }, {}, 400, 'BAD_SHAPE'],
      ['short row', { inputs: [row.slice(1)] }, {}, 400, 'BAD_SHAPE'],
      ['flat row', { inputs: row }, {}, 400, 'BAD_SHAPE'],
      ['too many rows', { inputs: Array(1025).fill(row) }, {}, 400, 'BAD_SHAPE'],
      ['string value', { inputs: [[...row.slice(1), '0.5']] }, {}, 400, 'BAD_DTYPE'],
      ['boolean value', { inputs: [[true, ...row.slice(1)]] }, {}, 400, 'BAD_DTYPE'],
      ['NaN (JSON null)', { inputs: [[NaN, ...row.slice(1)]] }, {}, 400, 'NOT_FINITE'],
      ['1e39 overflows f32', `{"inputs": [[1e39${',0'.repeat(63)}]]}`, {}, 400, 'NOT_FINITE'],
      ['empty body', '', {}, 400, 'EMPTY_BODY'],
      ['text/plain', 'hello', { 'content-type': 'text/plain' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['binary NaN', ...bin(new Uint8Array(nanBin.buffer), { 'x-shape': '1,64' }), 400, 'NOT_FINITE'],
      ['binary without x-shape', ...bin(f32Bytes([row]), {}), 400, 'BAD_SHAPE'],
      ['binary length mismatch', ...bin(f32Bytes([row]).subarray(0, 252), { 'x-shape': '1,64' }), 400, 'BAD_SHAPE'],
      ['binary wrong features', ...bin(f32Bytes([row]), { 'x-shape': '4,16' }), 400, 'BAD_SHAPE'],
      ['binary garbage shape', ...bin(f32Bytes([row]), { 'x-shape': '1;64' }), 400, 'BAD_SHAPE'],
      ['binary f64', ...bin(new Uint8Array(512), { 'x-shape': '1,64', 'x-dtype': 'f64' }), 400, 'BAD_DTYPE'],
    ];
    for (const [what, body, headers, status, code] of cases) {
      const r = await post(url, body, headers);
      expect(r.status, what).toBe(status);
      expect(r.json.code, what).toBe(code);
      expect(typeof r.json.error, what).toBe('string');
      expect((await post(url, good)).json.outputs, `still serving after: ${what}`).toEqual(baseline);
    }
    // over the 1 MiB limit: in one piece (content-length) and streamed (chunked)
    for (const [what, chunks, headers] of [['body over the limit', [tooBig], { 'content-length': String(tooBig.length) }], ['streamed body over the limit', Array.from({ length: 20 }, () => new Uint8Array(64 * 1024).fill(32)), {}]] as const) {
      const r = await postOversized(url, [...chunks], headers);
      expect([r.status, r.json.code], what).toEqual([413, 'TOO_LARGE']);
      expect((await post(url, good)).json.outputs, `still serving after: ${what}`).toEqual(baseline);
    }
    const get = await fetch(url);
    expect([get.status, get.headers.get('allow'), ((await get.json()) as Json).code]).toEqual([405, 'POST', 'METHOD_NOT_ALLOWED']);
    const nf = await fetch(`${workers.auto.url}/nope`, { method: 'POST' });
    expect([nf.status, ((await nf.json()) as Json).code]).toEqual([404, 'NOT_FOUND']);
    expect((await post(`${url}?model=other`, good)).json.code).toBe('BAD_ARGUMENT');
    // good and bad requests at the same time
    const mixed = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? post(url, { inputs: [[...row.slice(1), 'x']] }) : post(url, good))));
    mixed.forEach((r, i) => {
      if (i % 2) expect([r.status, r.json.code]).toEqual([400, 'BAD_DTYPE']);
      else expect([r.status, r.json.outputs]).toEqual([200, baseline]);
    });
  });

  it('fine-tunes in bounded steps, persists weights in KV and resumes (also in a new workerd)', async () => {
    const url = `${workers.auto.url}/finetune`;
    const { x, y } = rows(1500, 1628); // 128 samples
    const bad = [
      [{ inputs: x, labels: y.slice(1) }, 'BAD_SHAPE'], [{ inputs: x, labels: y.map((v) => v + 10) }, 'BAD_LABEL'],
      [{ inputs: x, labels: y, steps: 1000 }, 'BAD_ARGUMENT'], [{ inputs: x, labels: y, steps: 2.5 }, 'BAD_ARGUMENT'],
      [{ inputs: Array(257).fill(x[0]), labels: Array(257).fill(0) }, 'BAD_SHAPE'],
    ] as const;
    for (const [body, code] of bad) expect((await post(url, body)).json.code).toBe(code);

    const first = await post(url, { inputs: x, labels: y, steps: 10 });
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ steps: 10, totalSteps: 10, version: 1, resumed: false, build: 'relaxed' });
    expect(first.json.lossAfter).toBeLessThan(first.json.lossBefore);
    const second = await post(url, { inputs: x, labels: y, steps: 10 });
    expect(second.json).toMatchObject({ steps: 10, totalSteps: 20, version: 2 });
    expect(second.json.lossBefore, 'training continued from the first request').toBe(first.json.lossAfter);
    expect(second.json.lossAfter).toBeLessThan(first.json.lossAfter);

    // the same job in the Node target on the same build (the model file's compile settings: Adam) gives the same losses, bit for bit
    expect(first.json.optimizer).toBe('adam');
    const node = await nodeModel('relaxed');
    const xt = node.prep(x), yt = new Tensor(Int32Array.from(y), [y.length]);
    const nodeLosses: number[] = [];
    for (let k = 0; k < 2; k++) {
      nodeLosses.push((await node.model.evaluate(xt, yt, { batchSize: 128 })).loss);
      await node.model.fit(xt, yt, { epochs: 10, batchSize: 128, shuffle: false });
      nodeLosses.push((await node.model.evaluate(xt, yt, { batchSize: 128 })).loss);
    }
    expect([first.json.lossBefore, first.json.lossAfter, second.json.lossBefore, second.json.lossAfter]).toEqual(nodeLosses);

    // predictions with the tuned weights; the base model is unchanged
    const tunedPred = await post(`${workers.auto.url}/predict?model=tuned`, { inputs: x });
    const basePred = await post(`${workers.auto.url}/predict`, { inputs: x });
    expect(tunedPred.json.model).toBe('tuned');
    expect(tunedPred.json.outputs).not.toEqual(basePred.json.outputs);
    expect(Float32Array.from(tunedPred.json.outputs.flat() as number[])).toEqual((await node.model.predict(xt)).data);

    // a new workerd process (a new isolate) with the same KV storage resumes from the saved weights
    await workers.auto.close();
    workers.auto = await startWorker({ dir, build: 'auto', kvPersist: kvDir });
    const third = await post(url.replace(/http:\/\/[^/]+/, workers.auto.url), { inputs: x, labels: y, steps: 5 });
    expect(third.json).toMatchObject({ steps: 5, totalSteps: 25, version: 3, resumed: true });
    expect(third.json.lossBefore).toBe(second.json.lossAfter);
    expect(third.json.lossAfter).toBeLessThan(third.json.lossBefore);
    // ... with the optimizer state too (Adam's moments and step count from KV; dropout's generator restarts from the seed):
    // a fresh Node model given the same weights and optimizer state agrees bit for bit, one without the state does not
    const resume = async (withState: boolean) => {
      const m = (await nodeModel('relaxed')).model;
      m.setWeights(node.model.getWeights());
      if (withState) await m.setOptimizerState(node.model.optimizerState(), node.model.step);
      await m.fit(xt, yt, { epochs: 5, batchSize: 128, shuffle: false });
      return (await m.evaluate(xt, yt, { batchSize: 128 })).loss;
    };
    expect(third.json.lossAfter).toBe(await resume(true));
    expect(third.json.lossAfter).not.toBe(await resume(false));
  });
});
