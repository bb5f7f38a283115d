// axon import / axon export: an imported PyTorch export, saved as an Axon file, exported again as
// ONNX (NHWC and NCHW) gives onnxruntime's outputs; safetensors export restores PyTorch's names.
import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importModel, exportModel } from '../../targets/node/cli/import.js';
import { info, formatInfo } from '../../targets/node/cli/info.js';
import { run } from '../../targets/node/cli/run.js';
import { Model, MODEL_INPUT, layers, modelToBytes, AxonError } from '../../src/index.js';
import { decodeSafetensors } from '../../src/format/safetensors.js';
import { applyOrder, channelsLastOrder } from '../../src/import/onnx_layout.js';
import { randn } from '../helpers.js';
import { Tensor } from '../../src/runtime/tensor.js';
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
    await expect(importModel(join(tmp, 'model.txt'), { out: join(tmp, 'x.axon') })).rejects.toThrowError(/expected a .onnx file, a TensorFlow.js model.json/);
    await expect(exportModel(join(tmp, 'tf.axon'), { out: join(tmp, 'x.pt') })).rejects.toThrowError(/must end in .onnx or .safetensors/);
  });

  it('a graph model: info shows what each layer reads; ONNX round trip through the CLI', async () => {
    const m = new Model({ inputShape: [4, 4, 2], seed: 3 });
    m.add(layers.conv2d({ filters: 2, kernelSize: 1, name: 'c' }));
    m.add(layers.add({ name: 'res' }), { inputs: [MODEL_INPUT, 'c'] });
    m.add(layers.flatten({ name: 'f' }));
    writeFileSync(join(tmp, 'g.axon'), modelToBytes(m));
    const i = await info(join(tmp, 'g.axon'));
    expect(i.layers.map((l) => l.inputs)).toEqual([[MODEL_INPUT], [MODEL_INPUT, 'c'], ['res']]);
    expect(formatInfo(i)).toMatch(/Reads[\s\S]*res \(add\)\s+\[batch, 4, 4, 2\]\s+0\s+input, c\s+-/);
    await exportModel(join(tmp, 'g.axon'), { out: join(tmp, 'g.onnx') });
    await importModel(join(tmp, 'g.onnx'), { out: join(tmp, 'g2.axon') });
    expect((await info(join(tmp, 'g2.axon'))).layers.find((l) => l.type === 'add')!.inputs).toHaveLength(2);
    const x = randn(2 * 32, 5), want = await m.predict(new Tensor(x, [2, 4, 4, 2]));
    const got = await ortRun(readFileSync(join(tmp, 'g.onnx')), x, [2, 4, 4, 2]);
    expect(maxDiff(got.data, want.data)).toBeLessThanOrEqual(1e-5);
  });

  it('TF.js models shipped as JavaScript modules (nsfwjs: model.min.js + group1-shard*.min.js) import as they are', async () => {
    const dir = new URL('../../node_modules/nsfwjs/dist/models/mobilenet_v2/', import.meta.url).pathname;
    const r = await importModel(join(dir, 'model.min.js'), { out: join(tmp, 'ns.axon') });
    expect(r).toMatchObject({ layers: 161, inputShape: [224, 224, 3] });
    // the same model as from the extracted model.json + binary shard
    const { MobileNetV2Model: mn } = await import('nsfwjs/models/mobilenet_v2');
    mkdirSync(join(tmp, 'ns'));
    writeFileSync(join(tmp, 'ns/model.json'), JSON.stringify((await mn.modelJson()).default));
    writeFileSync(join(tmp, 'ns/group1-shard1of1'), Buffer.from((await mn.weightBundles[0]()).default as string, 'base64'));
    await importModel(join(tmp, 'ns/model.json'), { out: join(tmp, 'ns2.axon') });
    const [a, b] = ['ns.axon', 'ns2.axon'].map((n) => decodeSafetensors(readFileSync(join(tmp, n)), n).tensors);
    expect([...a.keys()]).toEqual([...b.keys()]);
    for (const [k, t] of a) expect(maxDiff(t.data as Float32Array, b.get(k)!.data as Float32Array), k).toBe(0);
    writeFileSync(join(tmp, 'other.js'), 'module.exports = { hello: 1 };');
    await expect(importModel(join(tmp, 'other.js'), { out: join(tmp, 'x.axon') })).rejects.toThrowError(/does not export a TensorFlow.js model.json/);
    const lonely = { modelTopology: { class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'Dense', config: { name: 'd', units: 2, use_bias: false, batch_input_shape: [null, 3] } }] } },
      weightsManifest: [{ paths: ['w'], weights: [{ name: 'd/kernel', shape: [3, 2], dtype: 'float32' }] }] };
    writeFileSync(join(tmp, 'lonely.cjs'), `module.exports = ${JSON.stringify(lonely)};`);
    await expect(importModel(join(tmp, 'lonely.cjs'), { out: join(tmp, 'x.axon') })).rejects.toThrowError(/weight shard "w" not found \(looked for .*w, .*w.min.js, .*w.js\)/);
  });

  it('an output path in a missing directory is an AxonError (import, export, run), not a stack trace', async () => {
    const out = join(tmp, 'no/such/dir/m');
    await expect(importModel(fixture('torch_mlp.onnx'), { out: `${out}.axon` })).rejects.toThrowError(/no\/such\/dir\/m.axon: could not create a temp file beside it \(ENOENT\)/);
    await importModel(fixture('torch_mlp.onnx'), { out: join(tmp, 'mlp.axon') });
    await expect(exportModel(join(tmp, 'mlp.axon'), { out: `${out}.onnx` })).rejects.toThrowError(AxonError);
    writeFileSync(join(tmp, 'x.bin'), new Uint8Array(4 * (await info(join(tmp, 'mlp.axon'))).inputShape.reduce((a, b) => a * b)));
    await expect(run(join(tmp, 'mlp.axon'), { input: join(tmp, 'x.bin'), out: `${out}.json` })).rejects.toThrowError(AxonError);
  });
});
