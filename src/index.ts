// Axon's public API, target-independent. Targets (targets/*) add how the wasm is loaded.
export { AxonError, type AxonErrorCode } from './errors.js';
export { Engine, ArenaView, type BuildName, type EngineOptions, type EngineSources } from './runtime/engine.js';
export { probeFeatures, type Features } from './runtime/probe.js';
export { Rng } from './runtime/rng.js';
export { Tensor } from './runtime/tensor.js';
export { Layout, Plan, PLAN_VERSION } from './compile/plan.js';
export { BoundLayout } from './runtime/bound.js';
export { OPS, opByName, type OpSpec } from './ops.js';
