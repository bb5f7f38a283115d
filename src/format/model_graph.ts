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
  if (graph.inputs !== undefined) {
    // named inputs: { name, shape (null = open), dtype?, maxShape?, range? } (the model checks their values)
    const ins = f.array(graph.inputs, `${g}.inputs`, 64);
    if (!ins.length) f.fail(`${g}.inputs`, 'is empty; a model needs an input');
    ins.forEach((raw, i) => {
      const at = `${g}.inputs[${i}]`, x = f.object(raw, at);
      f.string(x.name, `${at}.name`);
      f.array(x.shape, `${at}.shape`, 8).forEach((d, k) => { if (d !== null) f.int(d, `${at}.shape[${k}]`, -1, 2 ** 31 - 1); });
      f.optional(x.dtype, (v) => f.string(v, `${at}.dtype`));
      f.optional(x.maxShape, (v) => f.array(v, `${at}.maxShape`, 8).forEach((d, k) => { if (d !== null) f.int(d, `${at}.maxShape[${k}]`, -1, 2 ** 31 - 1); }));
      f.optional(x.range, (v) => f.array(v, `${at}.range`, 2).forEach((d, k) => f.int(d, `${at}.range[${k}]`, -(2 ** 31), 2 ** 31 - 1)));
    });
  } else {
    const shape = f.dims(graph.inputShape, `${g}.inputShape`, { min: 1 });
    if (!shape.length) f.fail(`${g}.inputShape`, 'is empty; a model needs a per-sample input shape');
  }
  f.optional(graph.outputs, (v) => f.strings(v, `${g}.outputs`));
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
    // a loss name, a list, or a { output: loss } map; metrics a list or a { output: metrics } map
    if (typeof c.loss !== 'string') {
      if (Array.isArray(c.loss)) f.strings(c.loss, `${g}.compile.loss`);
      else for (const [k, v] of Object.entries(f.object(c.loss, `${g}.compile.loss`))) f.string(v, `${g}.compile.loss["${k.slice(0, 60)}"]`);
    }
    f.optional(c.lossWeights, (v) => {
      if (Array.isArray(v)) v.forEach((w, i) => f.number(w, `${g}.compile.lossWeights[${i}]`));
      else for (const [k, w] of Object.entries(f.object(v, `${g}.compile.lossWeights`))) f.number(w, `${g}.compile.lossWeights["${k.slice(0, 60)}"]`);
    });
    const metricList = (v: unknown, at: string) => f.array(v, at).forEach((m, i) => {
      if (typeof m !== 'string') f.string(f.object(m, `${at}[${i}]`).type, `${at}[${i}].type`);
    });
    f.optional(c.metrics, (v) => {
      if (typeof v !== 'object' || v === null) f.fail(`${g}.compile.metrics`, `must be a list (or a { output: metrics } map), got ${JSON.stringify(v)?.slice(0, 40)}`);
      if (Array.isArray(v)) metricList(v, `${g}.compile.metrics`);
      else for (const [k, m] of Object.entries(f.object(v, `${g}.compile.metrics`))) metricList(m, `${g}.compile.metrics["${k.slice(0, 60)}"]`);
    });
    f.optional(c.fromLogits, (v) => f.boolean(v, `${g}.compile.fromLogits`));
    f.optional(c.reduction, (v) => f.string(v, `${g}.compile.reduction`));
  }
  f.optional(graph.extra, (v) => f.object(v, `${g}.extra`));
  if (quant !== undefined && quant.layers !== undefined) {
    for (const [k, v] of Object.entries(f.object(quant.layers, 'quant.layers'))) f.object(v, `quant.layers["${k.slice(0, 60)}"]`);
  }
}
