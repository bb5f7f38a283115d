// Axon's public API, target-independent. Targets (targets/*) add how the wasm is loaded.
export { AxonError, type AxonErrorCode } from './errors.js';
export { Engine, ArenaView, type BuildName, type EngineOptions, type EngineSources } from './runtime/engine.js';
export { probeFeatures, type Features } from './runtime/probe.js';
export { Rng } from './runtime/rng.js';
export { Tensor } from './runtime/tensor.js';
export { Layout, Plan, PLAN_VERSION } from './compile/plan.js';
export { BoundLayout } from './runtime/bound.js';
export { OPS, opByName, type OpSpec } from './ops.js';
export { setDefaultEngineLoader, defaultEngine } from './runtime/default.js';
export * as layers from './layers/index.js';
export { Sequential, type SequentialOptions, type CompileOptions } from './model/sequential.js';
export { Optimizer, type OptimizerConfig, type OptimizerName } from './train/optimizers.js';
export { type ScheduleConfig } from './train/schedules.js';
export { History, EarlyStopping, ModelCheckpoint, type Callback, type Logs } from './train/callbacks.js';
export { type MetricConfig } from './train/metrics.js';
export { type FitOptions, type EvaluateOptions, type EvalResult } from './train/trainer.js';
export { modelToBytes, modelFromBytes, type ModelGraph } from './model/serialize.js';
export { encodeSafetensors, decodeSafetensors, readAxonModelFile, encodeAxonModelFile } from './format/safetensors.js';
export * from './data/index.js';
export { trainingReportSvg, chartSvg } from './train/chart.js';
export * from './tune/index.js';
export { importOnnx, supportedOnnxOps, type OnnxImport, type OnnxImportOptions } from './import/onnx.js';
export { exportOnnx, type OnnxExportOptions } from './export/onnx.js';
export { exportTorchSafetensors, type TorchExportOptions } from './export/torch.js';
export { freeze, unfreeze, replaceHead, frozenLayers, layerIndex, type LayerRef } from './model/transfer.js';
export { quantizeModel, calibrate, paramBytes, QLayer, Quantize, Dequantize, QDense, QDenseDynamic, QConv2D, QMaxPool2D,
  type QuantizeOptions, type CalibrationMethod, type QParams } from './quant/index.js';
export { importTfjsLayers, type TfjsModelJson, type TfjsImportOptions, type TfjsImport } from './import/tfjs.js';
