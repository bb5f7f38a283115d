// Which default engine a model's session runs on: the smallest kernel set (src/kernel_sets.ts) it
// needs: 'infer' for a session that only predicts, 'core' for one that trains or evaluates, 'full'
// when the model has a layer with transformer kernels. The layer list is only a first guess that
// saves a download; the plans decide: a plan with an op the build lacks is refused before it runs
// (runtime/bound.ts), and the session is then made again on the full build.
import { AxonError } from '../errors.js';
import { defaultEngine } from '../runtime/default.js';
import type { Engine } from '../runtime/engine.js';
import type { KernelSet } from '../kernel_sets.js';
import type { Layer } from '../layers/layer.js';

const FULL_LAYERS = new Set(['embedding', 'positionEmbedding', 'layerNormalization', 'multiHeadAttention', 'maskedMeanPooling', 'qdenseDynamic', 'qmultiHeadAttentionDynamic', 'fakeQuantDynamic']);

export const kernelSetFor = (units: readonly Layer[], predictOnly: boolean): KernelSet =>
  units.some((u) => FULL_LAYERS.has(u.type)) ? 'full' : predictOnly ? 'infer' : 'core';

/**
 * make(engine) on `given` (the model's own engine: a refused op is the caller's error) or on the
 * default engine of the smallest kernel set the units need, made again on the full build if that
 * one lacks an op; returns what make returned.
 */
export async function onEngine<T>(given: Engine | undefined, units: readonly Layer[], predictOnly: boolean, make: (spawned: Engine) => T): Promise<T> {
  const engine = given ?? (await defaultEngine(kernelSetFor(units, predictOnly)));
  try {
    return make(await engine.spawn());
  } catch (e) {
    if (given || !(e instanceof AxonError) || e.code !== 'UNSUPPORTED' || e.details?.kernelSet === undefined || e.details.kernelSet === 'full') throw e;
    return make(await (await defaultEngine('full')).spawn());
  }
}
