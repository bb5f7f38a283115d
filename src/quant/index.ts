// int8 quantization (DESIGN.md §5): post-training quantization, calibration, the int8 layers and the scheme's arithmetic.
export { quantizeModel, paramBytes, type QuantizeOptions } from './ptq.js';
export { calibrate, type CalibrationMethod, type CalibrationOptions, type Ranges } from './calibrate.js';
export { QLayer, Quantize, Dequantize, QMaxPool2D, QZeroPadding2D, type QZeroPadding2DOptions } from './layers.js';
export { QDense, QDenseDynamic, type QDenseOptions, type QDenseDynamicOptions } from './qdense.js';
export { QConv2D, QConv1D, type QConv2DOptions } from './qconv.js';
export { QGRUDynamic, type QGRUDynamicOptions } from './qgru.js';
export { FakeQuantDynamic } from './fakequant.js';
export { QAdd, type QAddOptions } from './qadd.js';
export { qparamsFromRange, quantizeWeights, quantizeBias, fusedClamp, type QParams, type FusedActivation } from './scheme.js';
