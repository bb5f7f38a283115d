// axon.wasi.wasm finetune under node:wasi and browser_wasi_shim, compared bit for bit with
//  (a) the JS-host bundle runner (src/wasi/finetune.ts: same bundle, Engine + BoundLayout), and
//  (b) the Node target's own training loop: Sequential.fit on a model loaded from the same model
//      file, same batch size, epochs and shuffle seed, no validation; its weights after fit equal
//      the program's out-weights.bin (parameters concatenated in the bundle's PARAMS order).
import { describe, it, expect, beforeAll } from 'vitest';
import { Tensor, modelFromBytes, setDefaultEngineLoader, Sequential } from '../../../src/index.js';
import { compileBundle, parseBundle, weightsFromBin, BundleOptions } from '../../../src/wasi/bundle.js';
import { finetuneBundle } from '../../../src/wasi/finetune.js';
import { engine } from '../../helpers.js';
import { concatWeights } from '../conformance/cases.js';
import { digits, Digits } from './digits.js';
import { onBothHosts, bytesOf, expectSameBits, f32Of } from './hosts.js';

setDefaultEngineLoader(() => engine());

async function fitted(d: Digits, rows: number, fit: { epochs: number; batchSize: number; shuffle?: boolean; seed?: number }): Promise<Float32Array> {
  const m = modelFromBytes(d.modelBytes).model;
  await m.fit(new Tensor(d.x.slice(0, rows * 64), [rows, 64]), new Tensor(d.y.slice(0, rows), [rows]), fit);
  return concatWeights(m);
}

describe('WASI finetune (digits MLP: Adam, dropout, sparse cross-entropy)', () => {
  let d: Digits;
  beforeAll(async () => { d = await digits(); });

  const cases: Array<{ name: string; rows: number; opts: BundleOptions; run: number; fit: { epochs: number; batchSize: number; shuffle?: boolean; seed?: number } }> = [
    { name: 'full set, 2 epochs, batch 32 (last batch 5)', rows: 1797, opts: { batch: 32, epochs: 2, samples: 1797 }, run: 2, fit: { epochs: 2, batchSize: 32 } },
    { name: '1 of 3 compiled epochs', rows: 200, opts: { batch: 16, epochs: 3, samples: 200 }, run: 1, fit: { epochs: 1, batchSize: 16 } },
    { name: 'no shuffle, own seed, batch not dividing', rows: 100, opts: { batch: 24, epochs: 2, samples: 100, shuffle: false, seed: 7 }, run: 2, fit: { epochs: 2, batchSize: 24, shuffle: false, seed: 7 } },
    { name: 'own seed, samples < batch (full-batch GD)', rows: 20, opts: { batch: 32, epochs: 3, samples: 20, seed: 99 }, run: 3, fit: { epochs: 3, batchSize: 32, seed: 99 } },
  ];

  for (const c of cases) {
    it(`${c.name}: both hosts = JS-host runner = Sequential.fit`, async () => {
      const bundle = await compileBundle(modelFromBytes(d.modelBytes).model, c.opts);
      const x = d.x.slice(0, c.rows * 64), y = d.y.slice(0, c.rows);
      const want = await fitted(d, c.rows, c.fit);
      const js = finetuneBundle(await engine(), bundle, x, y, c.run);
      expectSameBits(js.weights, want, 'JS-host bundle runner vs Sequential.fit');
      const runs = await onBothHosts(['finetune', '@m.axb', '@x.bin', '@y.bin', String(c.run), '@w.bin'], { 'm.axb': bundle, 'x.bin': bytesOf(x), 'y.bin': bytesOf(y) });
      for (const r of runs) {
        expect(r.code, `${r.host}: ${r.stderr}`).toBe(0);
        expectSameBits(r.files.get('w.bin'), want, `${r.host} vs Sequential.fit`);
        const lines = r.stdout.trim().split('\n');
        expect(lines).toHaveLength(c.run);
        lines.forEach((l, i) => { expect(l).toMatch(new RegExp(`^epoch ${i + 1}/${c.run} loss `)); expect(Number(l.split(' ').pop())).toBeCloseTo(js.losses[i], 12); });
      }
      expect(runs[0].stdout).toBe(runs[1].stdout);
    });
  }

  it('the fine-tuned weights load back into the model (weightsFromBin) and keep classifying', async () => {
    const bundle = await compileBundle(modelFromBytes(d.modelBytes).model, { batch: 32, epochs: 1, samples: d.n });
    const [r] = await onBothHosts(['finetune', '@m.axb', '@x.bin', '@y.bin', '1', '@w.bin'], { 'm.axb': bundle, 'x.bin': bytesOf(d.x), 'y.bin': bytesOf(d.y) });
    const m: Sequential = modelFromBytes(d.modelBytes).model;
    m.setWeights(weightsFromBin(parseBundle(bundle), r.files.get('w.bin')!));
    const ev = await m.evaluate(new Tensor(d.x, [d.n, 64]), new Tensor(d.y, [d.n]));
    expect(ev.accuracy as number).toBeGreaterThan(0.85);
  });

  it('hyperparameter table: only the words that change are stored per step (Adam: lr constant, bias corrections vary)', async () => {
    const b = parseBundle(await compileBundle(modelFromBytes(d.modelBytes).model, { batch: 32, epochs: 2, samples: d.n }));
    const steps = Math.ceil(d.n / 32);
    expect(b.hp!.steps).toBe(2 * steps);
    expect(b.hp!.blocks).toHaveLength(6);                       // one 10-word block per parameter
    expect(Array.from(b.hp!.varying)).toEqual([0, 1, 2, 3, 4, 5].flatMap((k) => [k * 10 + 6, k * 10 + 7]));
    const bc1 = f32Of(bytesOf(b.hp!.values)).filter((_, i) => i % 12 === 0);
    expect(bc1[0]).toBe(Math.fround(1 - 0.9));                  // step 1: 1 - beta1^1
    expect(bc1[4]).toBe(Math.fround(1 - 0.9 ** 5));
  });
});
