// torch.ao.quantization exports (eager mode, tests/fixtures/onnx/make_gaps.py): QuantizeLinear →
// Cast → DequantizeLinear between layers, int8 weights / int32 biases and every scale and zero point
// in Constant nodes; per-tensor (default_qconfig) and per-channel (fbgemm) weights. They import onto
// Axon's int8 layers and give onnxruntime's and PyTorch's quantized outputs.
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { importOnnx } from '../../src/import/onnx.js';
import { OnnxBuilder } from '../../src/export/onnx_builder.js';
import { DT } from '../../src/import/onnx_proto.js';
import { AxonError } from '../../src/errors.js';
import type { Engine } from '../../src/runtime/engine.js';
import { engine, randn } from '../helpers.js';
import { conform, maxDiff, q, quantize, reportMaxErr } from './kit.js';

let e: Engine;
beforeAll(async () => { e = await engine(); });
reportMaxErr('torch QDQ');

const fixture = (name: string) => ({
  bytes: new Uint8Array(readFileSync(new URL(`../fixtures/onnx/${name}.onnx`, import.meta.url))),
  ref: JSON.parse(readFileSync(new URL(`../fixtures/onnx/${name}.json`, import.meta.url), 'utf8')) as { x: number[]; y: number[]; inputShape: number[] },
});

describe('ONNX import: torch.ao.quantization QDQ exports', () => {
  it.each(['torch_qdq_tensor', 'torch_qdq_channel'])('%s: int8 layers, the same outputs as onnxruntime and PyTorch', async (name) => {
    const { bytes, ref } = fixture(name);
    const x = Float32Array.from(ref.x);
    // quantized outputs are multiples of the last scale: equal integers give equal floats
    const imp = await conform(name, bytes, x, ref.inputShape, e, 0);
    expect(imp.model.layers.map((l) => l.type)).toEqual(['quantize', 'qconv2d', 'qmaxPool2d', 'qconv2d', 'flatten', 'qdense', 'dequantize', 'activation', 'quantize', 'qdense', 'dequantize']);
    const y = imp.toOnnxOutput(await imp.model.predict(imp.toAxonInput(x)));
    expect(maxDiff(y, ref.y), `${name}: max |axon - torch|`).toBe(0);
    // per channel: the first conv's weight scales differ per output channel
    const s = imp.model.getWeights().get(`${imp.model.layers[1].name}.weight.scale`)!;
    expect(new Set(Array.from(s)).size).toBe(name === 'torch_qdq_channel' ? 8 : 1);
  });

  it('drops a Cast between QuantizeLinear and DequantizeLinear only when it keeps the type; another Cast of an int8 tensor is refused by name', async () => {
    const make = async (to: number) => {
      const b = new OnnxBuilder('cast');
      const [qv, sc] = quantize(randn(4 * 3 * 9, 5, 0.4), [4, 3, 3, 3], DT.INT8, 0);
      const xq = b.node('QuantizeLinear', ['x', b.init('xs', [], [0.02]), q(b, 'xz', DT.UINT8, [], [128])]);
      const xd = b.node('DequantizeLinear', [b.node('Cast', [xq], { to }, { name: 'the_cast' }), 'xs', 'xz']);
      const w = b.node('DequantizeLinear', [q(b, 'wq', DT.INT8, [4, 3, 3, 3], qv), b.init('ws', [4], sc), q(b, 'wz', DT.INT8, [4], [0, 0, 0, 0])], { axis: 0 });
      const yq = b.node('QuantizeLinear', [b.node('Conv', [xd, w], { kernel_shape: [3, 3] }), b.init('ys', [], [0.05]), q(b, 'yz', DT.UINT8, [], [120])]);
      return b.build({ name: 'x', dims: ['N', 3, 6, 6] }, b.node('DequantizeLinear', [b.node('Cast', [yq], { to: DT.UINT8 }), 'ys', 'yz']));
    };
    const imp = await conform('cast to uint8', await make(DT.UINT8), randn(2 * 108, 6), [2, 3, 6, 6], e, 0);
    expect(imp.model.layers.map((l) => l.type)).toEqual(['quantize', 'qconv2d', 'dequantize']);
    const err = await importOnnx(await make(DT.INT8), { engine: e }).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(AxonError);
    expect((err as AxonError).message).toMatch(/Cast \(the_cast\): reads a quantized \(uint8\) tensor/);
  });
});
