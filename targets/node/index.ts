// Node target: the package entry (`axon`), the whole API. `axon/infer` (infer.ts) is its
// inference subset for processes that start often; both share one engine and the same classes.
export * from '../../src/index.js';
export { wasmDir, loadEngine } from './engine.js';
export { loadModel, readModelFile } from './model_file.js';
