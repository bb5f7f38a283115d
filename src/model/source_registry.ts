// Where Model.getWeights({ layout: 'source' }) finds its implementation (model/source_weights.ts,
// loaded with the importers): the inference-only bundle does not carry the layout conversions.
import { AxonError } from '../errors.js';
import type { Tensor } from '../runtime/tensor.js';

/** Set by source_weights.ts (the model is a Model; typed loosely so this file imports nothing above it). */
export const sourceLayout: { weights?: (model: unknown) => Map<string, Tensor> } = {};

/** The error for a model without a source layout. */
export function noSource(name: string): never {
  throw new AxonError('BAD_ARGUMENT', `getWeights({ layout: 'source' }): model "${name}" was not imported (or was rebuilt since); only models returned by importOnnx, importTfjsLayers and importTfjsGraph have a source layout`);
}
