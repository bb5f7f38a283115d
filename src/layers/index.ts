// Layer factories (the public `layers` namespace) and the registry used to rebuild layers from a model file.
import { AxonError } from '../errors.js';
import { Activation, ActivationOptions } from './activation.js';
import { Dense, DenseOptions } from './dense.js';
import { Dropout, Flatten } from './misc.js';
import type { Layer } from './layer.js';

export { Layer } from './layer.js';
export { Dense, Activation, Dropout, Flatten };

export const dense = (o: DenseOptions) => new Dense(o);
export const activation = (o: ActivationOptions | ActivationOptions['activation']) => new Activation(typeof o === 'string' ? { activation: o } : o);
export const dropout = (o: { rate: number; name?: string }) => new Dropout(o);
export const flatten = (o: { name?: string } = {}) => new Flatten(o);

/** type → constructor from config, for loading model files. Other layer families register here. */
export const LAYER_TYPES: Record<string, (config: Record<string, unknown>) => Layer> = {
  dense: (c) => new Dense(c as unknown as DenseOptions),
  activation: (c) => new Activation(c as unknown as ActivationOptions),
  dropout: (c) => new Dropout(c as { rate: number }),
  flatten: () => new Flatten(),
};

export function layerFromConfig(type: string, config: Record<string, unknown>, name: string): Layer {
  const make = LAYER_TYPES[type];
  if (!make) throw new AxonError('BAD_MODEL_FILE', `layer "${name}" has unknown type "${type}" (known: ${Object.keys(LAYER_TYPES).join(', ')}); the file may come from a newer Axon`);
  const l = make(config);
  l.name = name;
  return l;
}
