// `axon/infer`: the inference subset of the Node entry: load a model file, predict. Half the code
// of `axon` to compile at startup (no trainer front ends, importers, exporters, tuner, data
// readers, quantizer), for CLIs and serverless functions that start often. Bundled with `axon` into
// shared chunks, so the two entries share classes (instanceof works across them) and one engine.
export { AxonError, type AxonErrorCode } from '../../src/errors.js';
export { Engine, type BuildName, type EngineOptions } from '../../src/runtime/engine.js';
export { Tensor } from '../../src/runtime/tensor.js';
export { Sequential } from '../../src/model/sequential.js';
export { Model } from '../../src/model/model.js';
export { modelFromBytes, type ModelGraph } from '../../src/model/serialize.js';
export { Normalizer } from '../../src/data/normalize.js';
export { wasmDir, loadEngine } from './engine.js';
export { loadModel, readModelFile } from './model_file.js';
