// The wasm ABI: re-exports only. Every kernel is exported (tests call them one by one);
// the plan interpreter runs them in one call.
export * from './arena';
export { plan_validate, plan_run, PLAN_VERSION } from './plan';
export { OP_COUNT, ops_hash } from './dispatch';
export * from './selftest';
export * from './kernels/vec';
export * from './kernels/data';
export * from './kernels/act';
export * from './kernels/loss';
export * from './kernels/optim';
export * from './kernels/gemm';
export * from './kernels/conv';
export * from './kernels/pool';
export * from './kernels/act_mobile';
export * from './kernels/q8';
export * from './kernels/norm';
export * from './kernels/rnn';
export * from './kernels/layout';
