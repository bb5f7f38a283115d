// Constructors of the int8 layer types from their saved config (plus `quant` from __metadata__.quant),
// merged into LAYER_TYPES (src/layers/registry.ts) so modelFromBytes loads quantized models (the int8
// attention registers with the transformer family: src/quant/qattention.ts).
import type { Layer } from '../layers/layer.js';
import type { Pool2DOptions } from '../layers/pool.js';
import { Quantize, Dequantize, QMaxPool2D, QZeroPadding2D, QZeroPadding2DOptions } from './layers.js';
import { QDense, QDenseDynamic, QDenseOptions, QDenseDynamicOptions } from './qdense.js';
import { QConv1D, QConv2D, QConv2DOptions } from './qconv.js';
import { QGRUDynamic, QGRUDynamicOptions } from './qgru.js';
import { FakeQuantDynamic } from './fakequant.js';
import { QAdd, QAddOptions } from './qadd.js';
import type { QParams } from './scheme.js';

export const QUANT_LAYER_TYPES: Record<string, (config: Record<string, unknown>) => Layer> = {
  quantize: (c) => new Quantize(c as { quant: { output: QParams } }),
  dequantize: (c) => new Dequantize(c as { quant: { input: QParams } }),
  qdense: (c) => new QDense(c as unknown as QDenseOptions),
  qdenseDynamic: (c) => new QDenseDynamic(c as unknown as QDenseDynamicOptions),
  qconv2d: (c) => new QConv2D(c as unknown as QConv2DOptions),
  qconv1d: (c) => new QConv1D(c as unknown as QConv2DOptions),
  qgruDynamic: (c) => new QGRUDynamic(c as unknown as QGRUDynamicOptions),
  qmaxPool2d: (c) => new QMaxPool2D(c as Pool2DOptions),
  fakeQuantDynamic: (c) => new FakeQuantDynamic(c as { name?: string }),
  qadd: (c) => new QAdd(c as unknown as QAddOptions),
  qzeroPadding2d: (c) => new QZeroPadding2D(c as unknown as QZeroPadding2DOptions),
};
