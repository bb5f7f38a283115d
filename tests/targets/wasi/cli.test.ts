// `axon compile`: the bundle from a model file (+ the device data with --bin-out), run on the WASI
// program, equals Sequential.fit on the same data; the built CLI writes the same bytes.
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { Tensor, modelFromBytes, modelToBytes, encodeNpy, Normalizer, setDefaultEngineLoader } from '../../../src/index.js';
import { compile } from '../../../targets/node/cli/compile.js';
import { parseBundle } from '../../../src/wasi/bundle.js';
import { runNodeWasi } from '../../../targets/wasi/run.js';
import { engine } from '../../helpers.js';
import { concatWeights } from '../conformance/cases.js';
import { digits, Digits } from './digits.js';
import { expectSameBits, wasiModule } from './hosts.js';

setDefaultEngineLoader(() => engine());

describe('axon compile', () => {
  let d: Digits, dir: string;
  const rows = 300;
  beforeAll(async () => {
    d = await digits();
    dir = mkdtempSync(join(tmpdir(), 'axon-compile-'));
    writeFileSync(join(dir, 'model.axon'), d.modelBytes);
    // the raw digits (0..16) and labels as .npy, as a user would have them
    writeFileSync(join(dir, 'x.npy'), encodeNpy(new Tensor(Float32Array.from(d.x.subarray(0, rows * 64), (v) => v * 16), [rows, 64])));
    writeFileSync(join(dir, 'y.npy'), encodeNpy(new Tensor(d.y.slice(0, rows), [rows])));
    return () => rmSync(dir, { recursive: true, force: true });
  });

  it('--epochs --data --labels --bin-out: the device fine-tunes exactly as Sequential.fit', async () => {
    const r = await compile(join(dir, 'model.axon'), { batch: 32, out: join(dir, 'm.axb'), epochs: 2, data: join(dir, 'x.npy'), labels: join(dir, 'y.npy'), binOut: join(dir, 'dev'), scale: 0.0625 });
    expect(r).toMatchObject({ batch: 32, samples: rows, epochs: 2, steps: 2 * Math.ceil(rows / 32), plans: 32 + 2 });
    const xbin = new Uint8Array(readFileSync(join(dir, 'dev/x.bin'))), ybin = new Uint8Array(readFileSync(join(dir, 'dev/y.bin')));
    expectSameBits(xbin, d.x.subarray(0, rows * 64), 'x.bin = data * scale');
    expectSameBits(ybin, d.y.subarray(0, rows), 'y.bin = i32 class ids');
    const run = await runNodeWasi(['finetune', '/d/m.axb', '/d/dev/x.bin', '/d/dev/y.bin', '2', '/d/w.bin'], { preopens: { '/d': dir } }, await wasiModule());
    expect(run.code, run.stderr).toBe(0);
    const m = modelFromBytes(d.modelBytes).model;
    await m.fit(new Tensor(d.x.slice(0, rows * 64), [rows, 64]), new Tensor(d.y.slice(0, rows), [rows]), { epochs: 2, batchSize: 32 });
    expectSameBits(new Uint8Array(readFileSync(join(dir, 'w.bin'))), concatWeights(m), 'out-weights.bin vs Sequential.fit');
  });

  it('applies the model file\'s saved normalizer to x.bin (unless --no-normalize)', async () => {
    const m = modelFromBytes(d.modelBytes).model;
    const xs = new Tensor(d.x.slice(0, rows * 64), [rows, 64]);
    const norm = Normalizer.fit(xs, { method: 'standardize', per: 'feature' });
    writeFileSync(join(dir, 'norm.axon'), modelToBytes(m, { extra: { normalizer: norm.toJSON() } }));
    await compile(join(dir, 'norm.axon'), { batch: 8, out: join(dir, 'n.axb'), data: join(dir, 'x.npy'), binOut: join(dir, 'n'), scale: 0.0625 });
    expectSameBits(new Uint8Array(readFileSync(join(dir, 'n/x.bin'))), norm.apply(xs).data as Float32Array, 'normalized x.bin');
    await compile(join(dir, 'norm.axon'), { batch: 8, out: join(dir, 'n.axb'), data: join(dir, 'x.npy'), binOut: join(dir, 'raw'), scale: 0.0625, normalize: false });
    expectSameBits(new Uint8Array(readFileSync(join(dir, 'raw/x.bin'))), xs.data as Float32Array, 'raw x.bin');
    expect(parseBundle(new Uint8Array(readFileSync(join(dir, 'n.axb')))).hasTrain).toBe(false);
  });

  it('refuses what it cannot compile, with the reason', async () => {
    const p = join(dir, 'model.axon');
    await expect(compile(p, { batch: 8, out: join(dir, 'e.axb'), epochs: 1 })).rejects.toThrow(/--epochs needs the fine-tuning set/);
    await expect(compile(p, { batch: 8, out: join(dir, 'e.axb'), epochs: 1, data: join(dir, 'y.npy') })).rejects.toThrow(/takes 64 values per sample/);
    writeFileSync(join(dir, 'bad-y.npy'), encodeNpy(new Tensor(Int32Array.from({ length: rows }, (_, i) => (i === 3 ? 10 : 0)), [rows])));
    await expect(compile(p, { batch: 8, out: join(dir, 'e.axb'), epochs: 1, data: join(dir, 'x.npy'), labels: join(dir, 'bad-y.npy') })).rejects.toThrow(/label 10 of sample 3 is not a class id in \[0, 10\)/);
    await expect(compile(join(dir, 'missing.axon'), { batch: 8, out: join(dir, 'e.axb') })).rejects.toThrow(/missing\.axon: file not found/);
    expect(existsSync(join(dir, 'e.axb'))).toBe(false);
  });

  const cli = new URL('../../../dist/cli.js', import.meta.url);
  it.skipIf(!existsSync(cli))('the built `axon compile` command writes the same bundle and reports errors with exit 1', async () => {
    const args = [join(dir, 'model.axon'), '--batch', '16', '--epochs', '1', '--data', join(dir, 'x.npy'), '--labels', join(dir, 'y.npy')];
    execFileSync(process.execPath, [cli.pathname, 'compile', ...args, '--out', join(dir, 'cli.axb')], { stdio: 'pipe' });
    await compile(join(dir, 'model.axon'), { batch: 16, epochs: 1, data: join(dir, 'x.npy'), labels: join(dir, 'y.npy'), out: join(dir, 'api.axb') });
    expect(Buffer.compare(readFileSync(join(dir, 'cli.axb')), readFileSync(join(dir, 'api.axb')))).toBe(0);
    const bad = spawnSync(process.execPath, [cli.pathname, 'compile', join(dir, 'missing.axon'), '--batch', '4', '--out', join(dir, 'x.axb')], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^axon: .*missing\.axon: file not found/);
  });
});
