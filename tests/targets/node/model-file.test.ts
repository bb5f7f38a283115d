// loadModel / readModelFile (targets/node/model_file.ts): model files from disk, file-system
// errors as AxonError('IO') naming the path, and the copy-free hand-over of the file's weights.
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { loadModel, readModelFile } from '../../../targets/node/model_file.js';
import { Sequential, layers, Tensor, modelFromBytes, modelToBytes, AxonError } from '../../../src/index.js';
import type { Engine } from '../../../src/runtime/engine.js';
import { engine } from '../../helpers.js';

let e: Engine;
beforeAll(async () => { e = await engine(); });

const file = 'targets/workers/template/model/digits.axon';
const x = new Tensor(Float32Array.from({ length: 128 }, (_, i) => Math.sin(i)), [2, 64]);
const code = (f: () => unknown) => { try { f(); } catch (e) { return e instanceof AxonError ? `${e.code}: ${e.message}` : `not an AxonError: ${e}`; } return 'no error'; };

describe('loadModel', () => {
  it('predicts the same bits as modelFromBytes on the same file', async () => {
    const a = await loadModel(file, e).model.predict(x);
    const b = await modelFromBytes(readFileSync(file), file, e).model.predict(x);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(loadModel(file, e).graph.extra?.normalizer).toBeDefined();
  });

  it('says which file is missing, a directory or malformed', () => {
    const d = mkdtempSync(join(tmpdir(), 'axon-model-file-'));
    try {
      expect(code(() => loadModel(join(d, 'nope.axon')))).toBe(`IO: ${join(d, 'nope.axon')}: file not found`);
      expect(code(() => readModelFile(d))).toBe(`IO: ${d}: is a directory, not a model file`);
      writeFileSync(join(d, 'bad.axon'), 'not a model');
      expect(code(() => loadModel(join(d, 'bad.axon')))).toMatch(/^BAD_MODEL_FILE: .*bad\.axon: /);
    } finally { rmSync(d, { recursive: true, force: true }); }
  });

  it('reads files of any size byte for byte (it reads big ones in 32 KiB pieces)', () => {
    const d = mkdtempSync(join(tmpdir(), 'axon-model-file-'));
    try {
      for (const n of [0, 1, 32767, 32768, 32769, 65536, 100003]) {
        const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 2654435761) >>> 24);
        writeFileSync(join(d, `${n}.bin`), bytes);
        const got = readModelFile(join(d, `${n}.bin`));
        expect(got.length, `${n} bytes`).toBe(n);
        expect(Buffer.compare(Buffer.from(got.buffer, got.byteOffset, got.length), bytes), `${n} bytes`).toBe(0);
      }
    } finally { rmSync(d, { recursive: true, force: true }); }
  });
});

describe('setWeights / modelFromBytes copy: false', () => {
  const make = () => new Sequential({ inputShape: [3], seed: 1, engine: e }).add(layers.dense({ units: 2 }));

  it('keeps the arrays until the first session, which takes copies', async () => {
    const m = make();
    const w = Float32Array.from([1, 2, 3, 4, 5, 6]), b = Float32Array.from([0.5, -0.5]);
    m.setWeights({ 'dense_1.weight': w, 'dense_1.bias': b }, { copy: false });
    w[0] = 10;                                         // seen: the model holds this very array until its session
    const y1 = await m.predict(new Tensor(Float32Array.from([1, 0, 0]), [1, 3]));
    expect(Array.from(y1.data)).toEqual([10.5, 3.5]);
    w[0] = 100;                                        // not seen: the session copied it
    const y2 = await m.predict(new Tensor(Float32Array.from([1, 0, 0]), [1, 3]));
    expect(Array.from(y2.data)).toEqual([10.5, 3.5]);
    expect(code(() => m.setWeights({ 'dense_1.bias': Float32Array.from([NaN, 0]) }, { copy: false }))).toMatch(/^NOT_FINITE: /);
  });

  it('modelFromBytes copies by default: the caller may reuse its buffer', async () => {
    const bytes = modelToBytes(make());
    const { model } = modelFromBytes(bytes, 'm', e);
    const before = await model.predict(new Tensor(Float32Array.from([1, 2, 3]), [1, 3]));
    const fresh = modelFromBytes(bytes, 'm', e).model;
    bytes.fill(0, bytes.length - 32);                   // the weights at the end of the file
    const after = await fresh.predict(new Tensor(Float32Array.from([1, 2, 3]), [1, 3]));
    expect(Array.from(after.data)).toEqual(Array.from(before.data));
  });
});
