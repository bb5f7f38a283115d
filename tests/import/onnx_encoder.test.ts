// ONNX import of transformer encoders exactly as torch.onnx.export (torch 1.13) writes them at opsets
// 13, 14 and 17 (fixtures: tests/fixtures/torch/gen_encoders.py), against onnxruntime-node (1e-4):
// nn.TransformerEncoderLayer post-norm relu and pre-norm gelu, nn.TransformerEncoder of two layers
// with a padding mask, nn.MultiheadAttention, nn.LayerNorm and nn.GELU alone; sequence lengths 8,
// 32 and 128 through one import (the sequence axis is open).
import { describe, it, expect, beforeAll } from 'vitest';
import { importOnnx } from '../../src/import/onnx.js';
import type { Engine } from '../../src/runtime/engine.js';
import { engine } from '../helpers.js';
import { MAX_ERR, reportMaxErr } from './kit.js';
import { LENGTHS, OPSETS, compareOutputs, encoderFixture, feeds, paddingMask } from './encoder_kit.js';

let e: Engine;
beforeAll(async () => { e = await engine(); });
reportMaxErr('torch encoders');

const types = (imp: { model: { layers: Array<{ type: string }> } }) => imp.model.layers.map((l) => l.type);

describe('ONNX import: torch transformer encoder exports vs onnxruntime-node (1e-4)', () => {
  const singles: Array<[string, string[]]> = [
    ['layer_post_relu', ['multiHeadAttention', 'add', 'layerNormalization', 'dense', 'activation', 'dense', 'add', 'layerNormalization']],
    ['layer_pre_gelu', ['layerNormalization', 'multiHeadAttention', 'add', 'layerNormalization', 'dense', 'activation', 'dense', 'add']],
    ['mha', ['multiHeadAttention']],
    ['layernorm', ['layerNormalization']],
    ['gelu', ['activation']],
  ];
  for (const [name, want] of singles) for (const op of OPSETS) {
    it(`${name} opset ${op}: layers ${want.join(', ')}; batch 3 at lengths ${LENGTHS.join(', ')}`, async () => {
      const bytes = encoderFixture(`${name}_op${op}`), imp = await importOnnx(bytes, { engine: e, file: `${name}_op${op}` });
      expect(types(imp)).toEqual(want);
      expect(imp.model.inputs[0].shape).toEqual([null, 32]);
      const f = feeds(op * 100 + name.length);
      let worst = 0;
      for (const T of LENGTHS) worst = Math.max(worst, await compareOutputs(`${name} op${op} T=${T}`, bytes, imp, { x: f.floats([3, T, 32]) }));
      MAX_ERR[`${name} op${op}`] = worst;
    });
  }

  for (const op of OPSETS) {
    it(`nn.TransformerEncoder, 2 layers + final norm, int64 padding mask, opset ${op}: rows padded, lengths ${LENGTHS.join(', ')}`, async () => {
      const bytes = encoderFixture(`encoder2_mask_op${op}`), imp = await importOnnx(bytes, { engine: e, file: `encoder2_mask_op${op}` });
      expect(types(imp).filter((t) => t === 'multiHeadAttention')).toHaveLength(2);
      expect(imp.model.inputs.map((i) => [i.name, i.dtype])).toEqual([['x', 'f32'], ['mask', 'i32']]);
      const f = feeds(op);
      let worst = 0;
      for (const T of LENGTHS) worst = Math.max(worst, await compareOutputs(`encoder2 op${op} T=${T}`, bytes, imp, { x: f.floats([3, T, 32]), mask: paddingMask(3, T) }));
      MAX_ERR[`encoder2 op${op}`] = worst;
    });
  }
});
