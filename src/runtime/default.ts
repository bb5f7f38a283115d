// The default engine: targets register how to load the wasm (files in Node, fetch in browsers,
// module imports in Workers); models created without an engine use it.
import { AxonError } from '../errors.js';
import type { Engine } from './engine.js';

let loader: (() => Promise<Engine>) | undefined;
let shared: Promise<Engine> | undefined;

export function setDefaultEngineLoader(fn: () => Promise<Engine>): void { loader = fn; shared = undefined; }

export function defaultEngine(): Promise<Engine> {
  if (!loader) throw new AxonError('WASM_UNAVAILABLE', 'no engine: import Axon through a target entry (axon, axon/browser, axon/workers) or pass { engine } explicitly');
  return (shared ??= loader());
}
