// The template Worker serving a model with several named inputs (an f32 sequence of open length,
// an f32 initial state, i32 ids) and two outputs, in real workerd: JSON nested arrays and binary
// bodies (x-inputs) at three sequence lengths, every output by name, bit-identical to the Node
// target; a missing or extra input, a wrong dtype, ids outside the declared range, a length beyond
// the declared maximum and ragged arrays get 400 JSON errors naming the input.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { buildWorkers } from '../../../targets/workers/build.mjs';
import { startWorker } from '../../../targets/workers/miniflare.mjs';
import { loadEngine, modelFromBytes, modelToBytes, Model, layers, Tensor, Rng } from '../../../targets/node/index.js';

type Json = Record<string, any>;
const T_MAX = 10;

function lstmModel(): Model {
  const m = new Model({ name: 'seq-lstm', inputs: [{ name: 'seq', shape: [null, 3], maxShape: [T_MAX, 3] }, { name: 'h0', shape: [5] }, { name: 'tok', shape: [2], dtype: 'i32' }], outputs: ['head', 'rnn:1'], seed: 21 });
  m.add(layers.lstm({ units: 5, returnState: true, name: 'rnn' }), { inputs: ['seq', 'h0'] });
  m.add(layers.embedding({ inputDim: 4, outputDim: 2, name: 'emb' }), { inputs: ['tok'] }).add(layers.flatten({ name: 'ef' }));
  m.add(layers.concatenate({ name: 'cat' }), { inputs: ['rnn', 'ef'] });
  return m.add(layers.dense({ units: 2, activation: 'softmax', name: 'head' }));
}

/** n rows at sequence length T as nested arrays, seeded. */
function request(n: number, T: number, seed: number): { seq: number[][][]; h0: number[][]; tok: number[][] } {
  const r = new Rng(seed), f = () => Math.fround(r.normal());
  return {
    seq: Array.from({ length: n }, () => Array.from({ length: T }, () => [f(), f(), f()])),
    h0: Array.from({ length: n }, () => Array.from({ length: 5 }, f)),
    tok: Array.from({ length: n }, () => [r.int(4), r.int(4)]),
  };
}
const tensors = (q: ReturnType<typeof request>) => ({
  seq: new Tensor(Float32Array.from(q.seq.flat(2)), [q.seq.length, q.seq[0].length, 3]),
  h0: new Tensor(Float32Array.from(q.h0.flat()), [q.h0.length, 5]),
  tok: new Tensor(Int32Array.from(q.tok.flat()), [q.tok.length, 2]),
});
const bytesOf = (t: Tensor) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);

async function post(url: string, body: BodyInit | object, headers: Record<string, string> = {}): Promise<{ status: number; json: Json; res: Response }> {
  const raw = body instanceof Uint8Array || typeof body === 'string';
  const res = await fetch(url, { method: 'POST', body: raw ? (body as BodyInit) : JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
  const text = res.headers.get('content-type')?.startsWith('application/json') ? await res.text() : '';
  return { status: res.status, json: text ? JSON.parse(text) : {}, res };
}

describe('Workers template with named inputs (workerd)', () => {
  let dir: string, worker: { url: string; close: () => Promise<void> }, bytes: Uint8Array;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'axon-workers-named-'));
    bytes = modelToBytes(lstmModel());
    writeFileSync(join(dir, 'seq-lstm.axon'), bytes);
    await buildWorkers({ outdir: join(dir, 'out'), model: join(dir, 'seq-lstm.axon') });
    worker = await startWorker({ dir: join(dir, 'out'), build: 'simd' });
  });
  afterAll(async () => {
    await worker?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the model card lists the inputs (open dimensions as null) and outputs', async () => {
    const card = (await (await fetch(`${worker.url}/`)).json()) as Json;
    expect(card.model).toBe('seq-lstm');
    expect(card.inputs).toEqual([
      { name: 'seq', dtype: 'f32', shape: [null, 3], maxShape: [T_MAX, 3] }, { name: 'h0', dtype: 'f32', shape: [5], maxShape: [5] },
      { name: 'tok', dtype: 'i32', shape: [2], maxShape: [2], range: [0, 3] }]);
    expect(card.outputs).toEqual(['head', 'rnn:1']);
  });

  it('JSON and binary requests at three lengths = the Node target, every output by name, bit for bit', async () => {
    const { model } = modelFromBytes(bytes, 'seq-lstm.axon', await loadEngine({ build: 'simd' }));
    for (const [n, T] of [[3, 2], [1, 7], [4, T_MAX]]) {
      const q = request(n, T, n * 10 + T), want = (await model.predict(tensors(q))) as Record<string, Tensor>;
      const { status, json } = await post(`${worker.url}/predict`, { inputs: q });
      expect(status, JSON.stringify(json)).toBe(200);
      expect(json.shapes).toEqual({ head: [n, 2], 'rnn:1': [n, 5] });
      for (const k of ['head', 'rnn:1']) expect(Float32Array.from((json.outputs[k] as number[][]).flat()), `${k} at T=${T}`).toEqual(want[k].data);
      const t = tensors(q), body = new Uint8Array([...bytesOf(t.seq), ...bytesOf(t.h0), ...bytesOf(t.tok)]);
      const bin = await fetch(`${worker.url}/predict`, { method: 'POST', body, headers: { 'content-type': 'application/octet-stream', accept: 'application/octet-stream', 'x-inputs': `seq=f32[${n},${T},3]; h0=f32[${n},5]; tok=i32[${n},2]` } });
      expect(bin.status).toBe(200);
      expect(bin.headers.get('x-outputs')).toBe(`head=f32[${n},2]; rnn:1=f32[${n},5]`);
      const got = new Uint8Array(await bin.arrayBuffer());
      expect(Buffer.from(got).equals(Buffer.concat([bytesOf(want.head), bytesOf(want['rnn:1'])])), `binary outputs at T=${T}`).toBe(true);
    }
  });

  it('bad named inputs: 400 JSON errors naming the input and what was expected; the Worker keeps serving', async () => {
    const q = request(2, 3, 1), url = `${worker.url}/predict`;
    const cases: Array<[string, object, string, RegExp]> = [
      ['missing input', { inputs: { seq: q.seq, h0: q.h0 } }, 'BAD_ARGUMENT', /input "tok" is missing; the model takes seq f32 \[n, null,3\]; h0 f32 \[n, 5\]; tok i32 \[n, 2\]/],
      ['extra input', { inputs: { ...q, mask: q.tok } }, 'BAD_ARGUMENT', /no model input named "mask"/],
      ['rows as a list for a multi-input model', { inputs: q.h0 }, 'BAD_ARGUMENT', /this model takes named inputs/],
      ['float ids', { inputs: { ...q, tok: [[0.5, 1], [1, 2]] } }, 'BAD_DTYPE', /inputs\.tok\[0\]\[0\] = 0\.5 is not an i32 integer; "tok" is an i32 input/],
      ['string value', { inputs: { ...q, h0: [q.h0[0], [...q.h0[1].slice(1), 'x']] } }, 'BAD_DTYPE', /inputs\.h0\[1\]\[4\] is a string/],
      ['id outside the declared range', { inputs: { ...q, tok: [[0, 4], [1, 2]] } }, 'BAD_DATA', /input "tok": value 4 at sample 0 is outside the input's range \[0, 3\]/],
      ['length beyond the declared maximum', { inputs: { ...q, seq: request(2, T_MAX + 1, 2).seq } }, 'BAD_SHAPE', /input "seq": dimension 1 has length 11, beyond the declared maximum 10/],
      ['wrong fixed dimension', { inputs: { ...q, h0: [[1, 2, 3], [4, 5, 6]] } }, 'BAD_SHAPE', /input "h0" has shape \[2,3\] but the model expects \[n, 5\]/],
      ['ragged sequence', { inputs: { ...q, seq: [q.seq[0], q.seq[1].slice(1)] } }, 'BAD_SHAPE', /inputs\.seq\[1\] must be a list of 3 \(the inputs are not ragged/],
      ['different row counts', { inputs: { ...q, h0: [q.h0[0]] } }, 'BAD_SHAPE', /inputs have different sample counts/],
      ['NaN (JSON null)', { inputs: { ...q, h0: [[null, 1, 2, 3, 4], q.h0[1]] } }, 'NOT_FINITE', /inputs\.h0\[0\]\[0\] is null/],
    ];
    const good = (await post(url, { inputs: q })).json.outputs;
    for (const [what, body, code, msg] of cases) {
      const r = await post(url, body);
      expect([r.status, r.json.code], what).toEqual([400, code]);
      expect(r.json.error, what).toMatch(msg);
      expect((await post(url, { inputs: q })).json.outputs, `still serving after: ${what}`).toEqual(good);
    }
    const bin = (h: string, body: Uint8Array) => post(url, body, { 'content-type': 'application/octet-stream', 'x-inputs': h });
    const t = tensors(q), body = new Uint8Array([...bytesOf(t.seq), ...bytesOf(t.h0), ...bytesOf(t.tok)]);
    expect((await bin('seq=f32[2,3,3]; h0=f32[2,5]; tok=f32[2,2]', body)).json).toMatchObject({ code: 'BAD_DTYPE', error: expect.stringMatching(/x-inputs says tok is f32, but it is an i32 input/) });
    expect((await bin('seq=f32[2,3,3]; h0=f32[2,5]', body)).json).toMatchObject({ code: 'BAD_ARGUMENT', error: expect.stringMatching(/input "tok" is missing/) });
    expect((await bin('seq=f32[2,3,3]; h0=f32[2,5]; tok=i32[2,2]', body.subarray(4))).json.code).toBe('BAD_SHAPE');
    expect((await bin('seq: f32 2,3,3', body)).json).toMatchObject({ code: 'BAD_SHAPE', error: expect.stringMatching(/must list name=dtype\[n,\.\.\.\] per input/) });
  });
});
