// axon.wasi.wasm infer under node:wasi and browser_wasi_shim: bit-identical to the Node target's
// Sequential.predict (same batch size) and to the JS-host bundle runner (src/wasi/finetune.ts).
import { describe, it, expect, beforeAll } from 'vitest';
import { Tensor, modelFromBytes, setDefaultEngineLoader } from '../../../src/index.js';
import { compileBundle, parseBundle } from '../../../src/wasi/bundle.js';
import { inferBundle } from '../../../src/wasi/finetune.js';
import { engine } from '../../helpers.js';
import { digits, Digits } from './digits.js';
import { onBothHosts, bytesOf, expectSameBits, f32Of } from './hosts.js';

setDefaultEngineLoader(() => engine());

describe('WASI infer (digits MLP)', () => {
  let d: Digits, bundle: Uint8Array;
  const N = 32;
  beforeAll(async () => {
    d = await digits();
    bundle = await compileBundle(modelFromBytes(d.modelBytes).model, { batch: N });
  });

  it('the bundle is inference-only, with predict plans for every batch 1..N', () => {
    const b = parseBundle(bundle);
    expect(b.hasTrain).toBe(false);
    expect(b.plans.map((p) => p.batch)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    expect([b.batch, b.inFeatures, b.outFeatures]).toEqual([N, 64, 10]);
    expect(b.params.map((p) => p.name)).toEqual(['dense_1.weight', 'dense_1.bias', 'dense_2.weight', 'dense_2.bias', 'dense_3.weight', 'dense_3.bias']);
  });

  for (const rows of [1797, 1, 31, 32, 33, 0]) {
    it(`${rows} rows: both hosts = Sequential.predict = JS-host bundle runner, bit for bit`, async () => {
      const x = d.x.subarray(0, rows * 64);
      const want = rows ? (await modelFromBytes(d.modelBytes).model.predict(new Tensor(x.slice(), [rows, 64]), { batchSize: N })).data as Float32Array : new Float32Array(0);
      expectSameBits(inferBundle(await engine(), bundle, x), want, 'JS-host bundle runner');
      for (const r of await onBothHosts(['infer', '@m.axb', '@in.bin', '@out.bin'], { 'm.axb': bundle, 'in.bin': bytesOf(x) })) {
        expect(r.code, `${r.host}: ${r.stderr}`).toBe(0);
        expect(r.stderr).toBe('');
        expectSameBits(r.files.get('out.bin'), want, r.host);
      }
    });
  }

  it('predictions classify the digits (sanity: the bundle carries the trained weights)', async () => {
    const [r] = await onBothHosts(['infer', '@m.axb', '@in.bin', '@out.bin'], { 'm.axb': bundle, 'in.bin': bytesOf(d.x) });
    const p = f32Of(r.files.get('out.bin')!);
    let ok = 0;
    for (let i = 0; i < d.n; i++) { let b = 0; for (let c = 1; c < 10; c++) if (p[i * 10 + c] > p[i * 10 + b]) b = c; ok += +(b === d.y[i]); }
    expect(ok / d.n).toBeGreaterThan(0.8);
  });
});
