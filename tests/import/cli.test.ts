// axon import / axon export: an imported PyTorch export, saved as an Axon file, exported again as
// ONNX (NHWC and NCHW) gives onnxruntime's outputs; safetensors export restores PyTorch's names.
import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importModel, exportModel } from '../../src/cli/import.js';
import { decodeSafetensors } from '../../src/format/safetensors.js';
import { applyOrder, channelsLastOrder } from '../../src/import/onnx_layout.js';
import { randn } from '../helpers.js';
import { ortRun, maxDiff } from './kit.js';

const tmp = mkdtempSync(join(tmpdir(), 'axon-import-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const fixture = (n: string) => new URL(`../fixtures/onnx/${n}`, import.meta.url).pathname;

describe('axon import / export', () => {
  it('ONNX → .axon → ONNX (nhwc, nchw) and → PyTorch safetensors', async () => {
    const r = await importModel(fixture('torch_lenet.onnx'), { out: join(tmp, 'lenet.axon') });
    expect(r).toMatchObject({ layers: 10, inputShape: [28, 28, 1] });
    expect(r.note).toMatch(/channels-last: ONNX \[N, 1,28,28\] → Axon \[N, 28,28,1\]/);
    const x = randn(2 * 784, 3), want = await ortRun(readFileSync(fixture('torch_lenet.onnx')), x, [2, 1, 28, 28]);
    await exportModel(join(tmp, 'lenet.axon'), { out: join(tmp, 'nhwc.onnx') });
    const nhwc = await ortRun(readFileSync(join(tmp, 'nhwc.onnx')), applyOrder(x, channelsLastOrder([1, 28, 28])), [2, 28, 28, 1]);
    expect(maxDiff(nhwc.data, want.data)).toBeLessThanOrEqual(1e-4);
    await exportModel(join(tmp, 'lenet.axon'), { out: join(tmp, 'nchw.onnx'), layout: 'nchw', opset: 17 });
    expect(maxDiff((await ortRun(readFileSync(join(tmp, 'nchw.onnx')), x, [2, 1, 28, 28])).data, want.data)).toBeLessThanOrEqual(1e-4);
    await exportModel(join(tmp, 'lenet.axon'), { out: join(tmp, 'lenet.safetensors') });
    const st = decodeSafetensors(readFileSync(join(tmp, 'lenet.safetensors')), 'lenet');
    expect([...st.tensors.keys()].sort()).toEqual(['conv1.bias', 'conv1.weight', 'conv2.bias', 'conv2.weight', 'fc1.bias', 'fc1.weight', 'fc2.bias', 'fc2.weight']);
    expect(st.tensors.get('conv2.weight')!.shape).toEqual([16, 6, 5, 5]);
  });

  it('a TF.js model.json with its shard; clear errors for other files', async () => {
    const json = { format: 'layers-model', modelTopology: { class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'Dense', config: { name: 'd', units: 2, activation: 'relu', use_bias: true, batch_input_shape: [null, 3] } }] } },
      weightsManifest: [{ paths: ['w.bin'], weights: [{ name: 'd/kernel', shape: [3, 2], dtype: 'float32' }, { name: 'd/bias', shape: [2], dtype: 'float32' }] }] };
    writeFileSync(join(tmp, 'model.json'), JSON.stringify(json));
    writeFileSync(join(tmp, 'w.bin'), new Uint8Array(Float32Array.of(1, 2, 3, 4, 5, 6, 0.5, -0.5).buffer));
    expect(await importModel(join(tmp, 'model.json'), { out: join(tmp, 'tf.axon') })).toMatchObject({ layers: 1, params: 8, inputShape: [3] });
    await expect(importModel(join(tmp, 'nope.onnx'), { out: join(tmp, 'x.axon') })).rejects.toThrowError(/nope.onnx: file not found/);
    await expect(importModel(join(tmp, 'model.txt'), { out: join(tmp, 'x.axon') })).rejects.toThrowError(/expected a .onnx file or a TensorFlow.js model.json/);
    await expect(exportModel(join(tmp, 'tf.axon'), { out: join(tmp, 'x.pt') })).rejects.toThrowError(/must end in .onnx or .safetensors/);
  });
});
