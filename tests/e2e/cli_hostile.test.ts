// The CLI on invalid option values and a training run that goes non-finite: `--build bogus` is
// refused, `--shape` with an input that carries its own shape is refused, and a NaN stop before the
// first checkpoint still leaves model.axon with the weights of the last good step.
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { train } from '../../targets/node/cli/train.js';
import { run } from '../../targets/node/cli/run.js';
import { AxonError } from '../../src/errors.js';
import { Tensor, encodeNpy, modelFromBytes } from '../../src/index.js';

const root = resolve(__dirname, '../..');
let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'axon-cli-hostile-')); });

const rejects = async (p: Promise<unknown>, code: string, msg: RegExp) => {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e, 'an AxonError').toBeInstanceOf(AxonError);
  expect((e as AxonError).code).toBe(code);
  expect((e as AxonError).message).toMatch(msg);
};

describe('axon CLI: invalid option values', () => {
  it('train --build bogus is refused (it was accepted silently)', async () => {
    const cfg = JSON.parse(readFileSync(join(root, 'models/digits/config.json'), 'utf8'));
    cfg.data.x = join(root, 'models/digits/digits-x.npy'); cfg.data.y = join(root, 'models/digits/digits-y.npy');
    writeFileSync(join(dir, 'digits.json'), JSON.stringify(cfg));
    await rejects(train(join(dir, 'digits.json'), { out: join(dir, 'b'), build: 'bogus' as never, progress: false, epochs: 1 }), 'BAD_ARGUMENT', /build must be "auto", "simd" or "relaxed", got "bogus"/);
  });
  it('run --shape with a .npy input is refused (it was ignored)', async () => {
    const cfg = JSON.parse(readFileSync(join(root, 'models/digits/config.json'), 'utf8'));
    cfg.data.x = join(root, 'models/digits/digits-x.npy'); cfg.data.y = join(root, 'models/digits/digits-y.npy');
    writeFileSync(join(dir, 'd.json'), JSON.stringify(cfg));
    await train(join(dir, 'd.json'), { out: join(dir, 'd'), progress: false, epochs: 1 });
    writeFileSync(join(dir, 'x.npy'), encodeNpy(new Tensor(new Float32Array(2 * 64), [2, 64])));
    await rejects(run(join(dir, 'd/model.axon'), { input: join(dir, 'x.npy'), shape: [8, 8] }), 'BAD_CONFIG', /--shape applies to raw \.bin input only/);
    expect((await run(join(dir, 'd/model.axon'), { input: join(dir, 'x.npy') })).samples).toBe(2);
  });
});

describe('axon train: a non-finite step before the first epoch ends', () => {
  it('still writes model.axon with the last good weights (all finite), and says where', async () => {
    const n = 64, x = Float32Array.from({ length: n * 4 }, (_, i) => Math.sin(i) * 3), y = Float32Array.from({ length: n }, (_, i) => Math.cos(i) * 5);
    writeFileSync(join(dir, 'rx.npy'), encodeNpy(new Tensor(x, [n, 4])));
    writeFileSync(join(dir, 'ry.npy'), encodeNpy(new Tensor(y, [n, 1])));
    writeFileSync(join(dir, 'nan.json'), JSON.stringify({
      name: 'blowup', seed: 1, data: { x: join(dir, 'rx.npy'), y: join(dir, 'ry.npy') },
      model: { layers: [{ type: 'dense', units: 8, activation: 'linear' }, { type: 'dense', units: 1 }] },
      compile: { optimizer: { type: 'sgd', lr: 1e30 }, loss: 'mse' }, fit: { epochs: 3, batchSize: 8 },
    }));
    const out = join(dir, 'nan');
    await rejects(train(join(dir, 'nan.json'), { out, progress: false }), 'NOT_FINITE', /the weights of the last good step are in .*model\.axon/);
    expect(existsSync(join(out, 'checkpoint.axon')), 'no checkpoint was written yet').toBe(false);
    const { model } = modelFromBytes(new Uint8Array(readFileSync(join(out, 'model.axon'))));
    for (const [k, w] of model.getParams()) expect(Array.from(w).every(Number.isFinite), `${k} is finite`).toBe(true);
  });
});
