// Sequential: a Model whose layers form a chain, each reading the one added before it (Keras'
// Sequential). Everything else (compile, fit, evaluate, predict, weights) is Model's.
import { AxonError } from '../errors.js';
import type { Layer } from '../layers/layer.js';
import { AddOptions, Model } from './model.js';
import { inputRefs } from './names.js';

export class Sequential extends Model {
  protected override get defaultName(): string { return 'sequential'; }

  override add(layer: Layer, opts: AddOptions = {}): this {
    if (opts.inputs && (opts.inputs.length !== 1 || inputRefs(layer.name || layer.type, opts.inputs)[0] !== (this.layers.at(-1)?.name ?? this.inputs[0].name)))
      throw new AxonError('BAD_CONFIG', `a Sequential model is a chain: ${layer.name || layer.type} reads the layer before it; use Model to wire layers into a graph`);
    return super.add(layer, opts);
  }
}
