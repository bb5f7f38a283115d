// The model file's graph JSON (__metadata__.graph) and quantization JSON (__metadata__.quant):
// the type of every field the loader reads, checked before the loader uses any of them, so a
// hostile file (a layer that is null, a name that is a number, metrics that are not a list, a
// compile block without an optimizer, no layers at all) is one AxonError('BAD_MODEL_FILE').
// Layer configs are checked by the layers themselves; this checks the frame around them.
import { Fields, Limits, checkNodeCount } from './validate.js';

/** Throws AxonError('BAD_MODEL_FILE') naming the first field of `graph` (and `quant`) of the wrong type. */
export function validateModelGraph(graph: Record<string, unknown>, quant: Record<string, unknown> | undefined, file: string, limits: Limits): void {
  const f = new Fields(file), g = 'graph';
  f.optional(graph.name, (v) => f.string(v, `${g}.name`));
  f.optional(graph.seed, (v) => f.number(v, `${g}.seed`));
  const shape = f.dims(graph.inputShape, `${g}.inputShape`, { min: 1 });
  if (!shape.length) f.fail(`${g}.inputShape`, 'is empty; a model needs a per-sample input shape');
  const ls = f.array(graph.layers, `${g}.layers`);
  if (!ls.length) f.fail(`${g}.layers`, 'is empty; a model file needs at least one layer');
  checkNodeCount(limits, ls.length, file, 'layers');
  ls.forEach((raw, i) => {
    const l = f.object(raw, `${g}.layers[${i}]`);
    f.string(l.name, `${g}.layers[${i}].name`);
    const at = `layer "${String(l.name).slice(0, 80)}" (${g}.layers[${i}])`;
    f.string(l.type, `${at}.type`);
    f.optional(l.trainable, (v) => f.boolean(v, `${at}.trainable`));
    f.optional(l.config, (v) => f.object(v, `${at}.config`));
    f.optional(l.inputs, (v) => f.strings(v, `${at}.inputs`));
  });
  if (graph.compile !== undefined) {
    const c = f.object(graph.compile, `${g}.compile`);
    if (c.optimizer === undefined) f.fail(`${g}.compile`, 'has no optimizer; re-save the model with its compile settings, or drop "compile"');
    if (typeof c.optimizer !== 'string') f.string(f.object(c.optimizer, `${g}.compile.optimizer`).type, `${g}.compile.optimizer.type`);
    f.string(c.loss, `${g}.compile.loss`);
    f.optional(c.metrics, (v) => f.array(v, `${g}.compile.metrics`).forEach((m, i) => {
      if (typeof m !== 'string') f.string(f.object(m, `${g}.compile.metrics[${i}]`).type, `${g}.compile.metrics[${i}].type`);
    }));
    f.optional(c.fromLogits, (v) => f.boolean(v, `${g}.compile.fromLogits`));
    f.optional(c.reduction, (v) => f.string(v, `${g}.compile.reduction`));
  }
  f.optional(graph.extra, (v) => f.object(v, `${g}.extra`));
  if (quant !== undefined && quant.layers !== undefined) {
    for (const [k, v] of Object.entries(f.object(quant.layers, 'quant.layers'))) f.object(v, `quant.layers["${k.slice(0, 60)}"]`);
  }
}
