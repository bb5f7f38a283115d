// The default engine: targets register how to load the wasm (files in Node, fetch in browsers,
// module imports in Workers); models created without an engine use it, one per kernel set (a
// model without transformer layers gets the smaller core build where the target has one).
import { AxonError } from '../errors.js';
import type { Engine } from './engine.js';
import type { KernelSet } from '../kernel_sets.js';

let loader: ((kernels: KernelSet) => Promise<Engine>) | undefined;
const shared = new Map<KernelSet, Promise<Engine>>();

export function setDefaultEngineLoader(fn: (kernels: KernelSet) => Promise<Engine>): void { loader = fn; shared.clear(); }

export function defaultEngine(kernels: KernelSet = 'full'): Promise<Engine> {
  if (!loader) throw new AxonError('WASM_UNAVAILABLE', 'no engine: import Axon through a target entry (axon, axon/browser, axon/workers) or pass { engine } explicitly');
  let p = shared.get(kernels);
  if (!p) {
    shared.set(kernels, (p = loader(kernels)));
    p.catch(() => { if (shared.get(kernels) === p) shared.delete(kernels); }); // a failed load may be retried
  }
  return p;
}
