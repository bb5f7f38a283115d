// The wasm ABI of the smaller builds (src/kernel_sets.ts; scripts/build.mjs compiles this with
// --use AXON_CORE=1, and AXON_INFER=1 for the inference build): the plan interpreter and what the
// host calls, no kernel exported by itself, so only kernels the dispatch reaches are compiled in.
export * from './arena';
export { plan_validate, plan_run, PLAN_VERSION } from './plan';
export { OP_COUNT, ops_hash, kernel_set } from './dispatch';
export * from './selftest';
export { mt_prepare, mt_set_limit, mt_ready, mt_wanted, mt_stop, mt_worker, mt_threads, mt_jobs, mt_set_thresholds } from './mt';
export { rng_seed } from './kernels/data';
