// Keyword spotting end to end on the CI subset (the full run is `node models/kws/generate.mjs` +
// `axon train models/kws/config.json`, see models/kws/README.md): the espeak-ng generator is
// deterministic and splits by voice; `axon train` reads the WAV directories through the model's
// melSpectrogram front end; `axon quantize` calibrates on a WAV directory; the WASI program
// classifies a WAV file on both WASI hosts exactly as the Node target does.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { train } from '../../targets/node/cli/train.js';
import { quantize } from '../../targets/node/cli/quantize.js';
import { compile } from '../../targets/node/cli/compile.js';
import { loadEngine, modelFromBytes, Tensor, wavToClip, encodeWav } from '../../targets/node/index.js';
import { onBothHosts, expectSameBits } from '../targets/wasi/hosts.js';
// @ts-expect-error: a plain .mjs script
import { generate, LABELS, TEST_VARIANTS, TRAIN_VARIANTS } from '../../models/kws/generate.mjs';

let dir: string;
const data = () => join(dir, 'data');
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'axon-kws-'));
  await generate({ out: data(), small: true, jobs: 2 });
  const cfg = JSON.parse(readFileSync('models/kws/config.json', 'utf8'));
  Object.assign(cfg.data, { x: join(data(), 'train'), testX: join(data(), 'test') });
  cfg.fit = { epochs: 3, batchSize: 16 };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
}, 240_000);
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

describe('the keyword-spotting dataset generator', () => {
  it('writes 1 s 16 kHz clips of every label, test voices disjoint from training voices', async () => {
    const m = JSON.parse(readFileSync(join(data(), 'manifest.json'), 'utf8'));
    expect(m.labels).toEqual(LABELS);
    expect(m.train.variants.filter((v: string) => m.test.variants.includes(v))).toEqual([]);
    expect(TRAIN_VARIANTS.filter((v: string) => TEST_VARIANTS.includes(v))).toEqual([]);
    for (const part of ['train', 'test']) for (const l of LABELS) {
      const files = readdirSync(join(data(), part, l));
      expect(files.length, `${part}/${l}`).toBe(m[part].variants.length * 2);
      for (const f of files) expect(m[part].variants).toContain(f.split('_')[0]);
    }
    const b = readFileSync(join(data(), 'train/yes', readdirSync(join(data(), 'train/yes'))[0]));
    expect(b.length).toBe(44 + 32000);
    expect(b.readUInt32LE(24)).toBe(16000);
  });
  it('is deterministic: a second run writes the same bytes', async () => {
    const again = join(dir, 'again');
    await generate({ out: again, small: true, jobs: 3 });
    for (const f of ['train/go', 'test/unknown', 'train/silence']) for (const n of readdirSync(join(data(), f)))
      expect(readFileSync(join(again, f, n)).equals(readFileSync(join(data(), f, n))), `${f}/${n}`).toBe(true);
  }, 240_000);
});

describe('axon train / quantize / WASI on WAV clips', () => {
  it('trains from WAV directories, quantizes to int8 and classifies a WAV file on a WASI device', async () => {
    await train(join(dir, 'config.json'), { out: join(dir, 'out'), progress: false, build: 'simd' });
    const e = await loadEngine({ build: 'simd' }), file = join(dir, 'out/model.axon');
    const { model, graph } = modelFromBytes(readFileSync(file), 'model.axon', e);
    expect((graph.extra as { labels: string[] }).labels).toEqual(LABELS);
    expect(model.layers[0].type).toBe('melSpectrogram');
    const h = JSON.parse(readFileSync(join(dir, 'out/history.json'), 'utf8'));
    expect(h.epochs[2].loss).toBeLessThan(h.epochs[0].loss);

    const q = await quantize(file, { calibration: join(data(), 'train'), samples: 48, out: join(dir, 'int8.axon'), evalX: join(data(), 'test'), evalY: join(data(), 'test'), build: 'simd' }, () => {});
    expect(q.int8Bytes).toBeLessThan(q.f32Bytes);
    expect(q.layers.some((l) => /qconv2d/.test(l))).toBe(true);
    const { model: qm } = modelFromBytes(readFileSync(join(dir, 'int8.axon')), 'int8.axon', e);
    const wavPath = join(data(), 'test/yes', readdirSync(join(data(), 'test/yes'))[0]), wav = readFileSync(wavPath);
    const x = Tensor.from(wavToClip(wav, 16000), [1, 16000]);
    const pf = (await model.predict(x)).data, pq = (await qm.predict(x)).data;
    for (let c = 0; c < 12; c++) expect(Math.abs(pq[c] - pf[c])).toBeLessThan(0.15);

    await compile(file, { batch: 1, out: join(dir, 'kws.axb') });
    const half = encodeWav(wavToClip(wav, 16000).subarray(4000, 12000), 16000);   // 0.5 s: padded to 1 s around its middle
    const runs = await onBothHosts(['infer', '@m.axb', '@clip.wav', '@out.bin'], { 'm.axb': readFileSync(join(dir, 'kws.axb')), 'clip.wav': wav });
    for (const run of runs) { expect(run.code, `${run.host}: ${run.stderr}`).toBe(0); expectSameBits(run.files.get('out.bin'), pf as Float32Array, `${run.host} scores`); }
    const padded = (await model.predict(Tensor.from(wavToClip(half, 16000), [1, 16000]))).data;
    for (const run of await onBothHosts(['infer', '@m.axb', '@half.wav', '@out.bin'], { 'm.axb': readFileSync(join(dir, 'kws.axb')), 'half.wav': half })) {
      expect(run.code, `${run.host}: ${run.stderr}`).toBe(0); expectSameBits(run.files.get('out.bin'), padded as Float32Array, `${run.host} padded clip`);
    }
    const bad = Buffer.from(wav); bad.writeUInt16LE(8, 34);   // 8-bit: not read by the device
    for (const run of await onBothHosts(['infer', '@m.axb', '@bad.wav', '@out.bin'], { 'm.axb': readFileSync(join(dir, 'kws.axb')), 'bad.wav': bad })) {
      expect(run.code).toBe(65); expect(run.stderr).toMatch(/16-bit PCM or 32-bit float/);
    }
  }, 600_000);
});
