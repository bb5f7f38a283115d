// The quantize / info / run commands on a digits model file in a temporary directory: size and
// accuracy report, the int8 file's tensors and dtypes, NPY and raw f32 in, NPY and JSON out (equal
// to predict), the normalizer and --scale applied as in training, --help, and one-line typed errors.
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sequential, layers, Tensor, modelToBytes, modelFromBytes, AxonError } from '../../src/index.js';
import { parseNpy, encodeNpy } from '../../src/data/npy.js';
import { Normalizer } from '../../src/data/normalize.js';
import { quantize } from '../../targets/node/cli/quantize.js';
import { info, formatInfo } from '../../targets/node/cli/info.js';
import { run } from '../../targets/node/cli/run.js';
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';
import { engine } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'axon-quant-cli-'));
const f = (name: string) => join(dir, name);
let f32: Sequential;
let xTest: Tensor;
const quiet = () => {};

beforeAll(async () => {
  const x = parseNpy(readFileSync('models/digits/digits-x.npy'), 'x'), y = parseNpy(readFileSync('models/digits/digits-y.npy'), 'y');
  const xs = new Tensor(Float32Array.from(x.data, (v) => v / 16), [x.shape[0], 64]);
  const norm = Normalizer.fit(xs.slice(0, 1400), { method: 'standardize', per: 'feature' });
  f32 = new Sequential({ inputShape: [64], seed: 5, engine: await engine() });
  f32.add(layers.dense({ units: 48, activation: 'relu' })).add(layers.dense({ units: 10, activation: 'softmax' }));
  f32.compile({ optimizer: { type: 'adam', lr: 0.01 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  await f32.fit(norm.apply(xs.slice(0, 1400)), y.slice(0, 1400), { epochs: 5, batchSize: 32 });
  writeFileSync(f('model.axon'), modelToBytes(f32, { extra: { normalizer: norm.toJSON() } }));
  writeFileSync(f('x.npy'), readFileSync('models/digits/digits-x.npy'));
  writeFileSync(f('test-x.npy'), encodeNpy(x.slice(1400, x.shape[0])));
  writeFileSync(f('test-y.npy'), encodeNpy(y.slice(1400, y.shape[0])));
  xTest = norm.apply(new Tensor(xs.data.slice(1400 * 64), [x.shape[0] - 1400, 64]));
}, 120_000);

describe('axon quantize / info / run', () => {
  it('quantize: writes the int8 file and reports sizes and accuracy before and after', async () => {
    const r = await quantize(f('model.axon'), { calibration: f('x.npy'), samples: 300, method: 'percentile', out: f('q.axon'), evalX: f('test-x.npy'), evalY: f('test-y.npy'), scale: 1 / 16 }, quiet);
    expect(r.layers).toEqual(['quantize_1 (quantize)', 'dense_1 (qdense)', 'dense_2 (qdense)', 'dense_2/softmax (activation)']);
    expect(r.samples).toBe(300);
    expect(r.ratio).toBeGreaterThan(1.8); // a 3.4k-parameter model: the JSON header (normalizer, graph) weighs as much as the int8 weights
    expect(readFileSync(f('q.axon')).length).toBe(r.int8Bytes);
    expect(r.f32!.accuracy).toBeGreaterThan(0.9);
    expect(Math.abs(r.int8!.accuracy - r.f32!.accuracy)).toBeLessThanOrEqual(0.02);
    const d = await quantize(f('model.axon'), { dynamic: true, out: f('dyn.axon') }, quiet);
    expect(d.layers).toEqual(['dense_1 (qdenseDynamic)', 'dense_2 (qdenseDynamic)']);
  });

  it('info: layers, output shapes, parameters, dtypes, quantization and size', async () => {
    const i = await info(f('q.axon'));
    expect(i.quantized).toBe(true);
    expect(i.normalizer).toBe(true);
    expect(i.layers[1]).toEqual({ name: 'dense_1', type: 'qdense', outputShape: [48], params: 64 * 48 + 3 * 48, trainable: false,
      tensors: { weight: 'I8', 'weight.scale': 'F32', 'weight.zero_point': 'I8', bias: 'I32' } });
    expect(i.dtypes).toEqual({ I8: 64 * 48 + 48 + 480 + 10, F32: 58, I32: 58 });
    expect(i.bytes).toBe(readFileSync(f('q.axon')).length);
    expect(formatInfo(i)).toMatch(/int8 quantized[\s\S]*dense_1 \(qdense\) \*\s+\[batch, 48\]\s+3216\s+weight:I8 weight.scale:F32/);
    expect((await info(f('model.axon'))).quantized).toBe(false);
  });

  it('run: NPY and raw f32 in, JSON and NPY out, equal to predict (normalizer and --scale applied)', async () => {
    const { model } = modelFromBytes(readFileSync(f('q.axon')), 'q', f32.engine);
    const want = (await model.predict(xTest)).data;
    await run(f('q.axon'), { input: f('test-x.npy'), scale: 1 / 16, out: f('p.json') });
    const j = JSON.parse(readFileSync(f('p.json'), 'utf8'));
    expect(j.shape).toEqual([xTest.shape[0], 10]);
    expect(Float32Array.from(j.predictions.flat())).toEqual(want);
    expect(j.classes[0]).toBe(j.predictions[0].indexOf(Math.max(...j.predictions[0])));
    const raw = Float32Array.from(parseNpy(readFileSync(f('test-x.npy')), 'x').data, (v) => v / 16);
    writeFileSync(f('x.bin'), new Uint8Array(raw.buffer));
    const r = await run(f('q.axon'), { input: f('x.bin'), shape: [8, 8], out: f('p.npy') });
    expect(r.samples).toBe(xTest.shape[0]);
    expect(parseNpy(readFileSync(f('p.npy')), 'p').data).toEqual(want);
    const s = await run(f('model.axon'), { input: f('test-x.npy'), scale: 1 / 16 });
    expect(JSON.parse(s.json!).predictions.length).toBe(xTest.shape[0]);
  });

  it('typed errors for bad use, and --help for each command', async () => {
    await expect(quantize(f('model.axon'), { out: f('z.axon') }, quiet)).rejects.toThrowError(/needs --calibration/);
    await expect(quantize(f('q.axon'), { calibration: f('x.npy'), out: f('z.axon') }, quiet)).rejects.toThrowError(/already quantized/);
    writeFileSync(f('bad.bin'), new Uint8Array(10));
    await expect(run(f('q.axon'), { input: f('bad.bin') })).rejects.toThrowError(/not a whole number of f32 samples/);
    await expect(run(f('q.axon'), { input: f('x.npy'), out: f('p.txt') })).rejects.toThrowError(AxonError);
    await expect(info(f('missing.axon'))).rejects.toThrowError(/file not found/);
    // the CLI entry from source (targets/node/cli/main.ts runs on import, so bundle it and run it)
    await build({ entryPoints: ['targets/node/cli/main.ts'], bundle: true, platform: 'node', format: 'esm', outfile: f('cli.mjs'), logLevel: 'silent',
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" } });
    for (const [name, flag] of [['quantize', '--calibration'], ['info', '--json'], ['run', '--shape']]) {
      expect(execFileSync(process.execPath, [f('cli.mjs'), name, '--help'], { encoding: 'utf8' }), name).toMatch(new RegExp(`Usage: axon ${name}[\\s\\S]*${flag}[\\s\\S]*Example`));
    }
  });
});
