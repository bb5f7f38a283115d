// From layers and their wiring to compile units (the pieces a plan runs), for the model's declared
// shapes or for the concrete shapes of one call. References in `inputs` and `outputs`: a model
// input's name, a layer's name (its first output) or `layer:k` (output k of a layer with several,
// e.g. a recurrent layer's h_n and c_n with returnState). A unit graph refers to units by index
// and to model input k as -1 - k (INPUT = -1 is the first).
// For shapes other than the declared ones (an open sequence length, say) every layer is recreated
// from its config and built on the concrete shapes; its parameters must not depend on them.
import { AxonError } from '../errors.js';
import { layerFromConfig } from '../layers/registry.js';
import { Layer, OutputTap } from '../layers/layer.js';

/** A unit's input that is the first model input; model input k is -1 - k. */
export const INPUT = -1;
export const inputRef = (k: number): number => -1 - k;
export const isInputRef = (j: number): boolean => j < 0;
export const inputIndex = (j: number): number => -1 - j;

/** Compile units and their wiring. */
export interface UnitGraph {
  units: Layer[];
  /** per unit, the units (or model inputs, negative) it reads */
  inputs: number[][];
  /** the model's outputs, in order: unit indices */
  outputs: number[];
  /** what each ref (a model input, a layer, `layer:k`) stands for: a unit index (model inputs negative) */
  refs?: Map<string, number>;
}

/** What a graph is made of: layers in topological order, what each reads, the model's input names and outputs. */
export interface Wiring { layers: Layer[]; reads: Map<string, string[]>; inputNames: string[]; outputs: string[] }

/** Splits `ref` into its layer (or input) name and output index. */
export function parseRef(ref: string): { name: string; k: number } {
  const m = /^(.*):(\d+)$/.exec(ref);
  return m ? { name: m[1], k: Number(m[2]) } : { name: ref, k: 0 };
}

/**
 * The unit graph of `w`. `build`: per layer, called with its input shapes before it is expanded
 * (recreated layers are built there); omitted: the layers as they are.
 */
export function unitGraph(w: Wiring, modelName: string, build?: (l: Layer, shapes: number[][]) => Layer): UnitGraph {
  const units: Layer[] = [], inputs: number[][] = [], at = new Map<string, number>();
  w.inputNames.forEach((n, k) => at.set(n, inputRef(k)));
  // (a model input's shape is the build callback's to know: [] here)
  const shapeOf = (j: number): number[] => (j >= 0 ? units[j].outputShape : []);
  const used = new Set<string>();
  for (const l0 of w.layers) {
    const reads = w.reads.get(l0.name)!;
    const refs = reads.map((r) => resolve(at, r, l0.name));
    reads.forEach((r) => used.add(parseRef(r).name));
    const l = build ? build(l0, refs.map(shapeOf)) : l0;
    l.expand().forEach((u, k) => {
      if (!u.inputShape.length) u.build(l.outputShape);
      inputs.push(k === 0 ? refs : [units.length - 1]);
      units.push(u);
    });
    const main = units.length - 1;
    at.set(l0.name, main);
    at.set(`${l0.name}:0`, main);
    l.extraOutputs.forEach((shape, k) => {
      const tap = new OutputTap(`${l0.name}:${k + 1}`, k + 1, shape);
      inputs.push([main]);
      units.push(tap);
      at.set(`${l0.name}:${k + 1}`, units.length - 1);
    });
  }
  const outputs = w.outputs.map((r) => {
    const j = at.get(r);
    if (j === undefined || j < 0) throw new AxonError('BAD_CONFIG', `model "${modelName}": output "${r}" is not a layer (or layer:k output) of the model (layers: ${w.layers.map((l) => l.name).join(', ')})`);
    return j;
  });
  const outNames = new Set(w.outputs.map((r) => parseRef(r).name));
  const dead = w.layers.filter((l) => !used.has(l.name) && !outNames.has(l.name));
  if (dead.length) throw new AxonError('BAD_CONFIG', `model "${modelName}": ${dead.map((l) => l.name).join(', ')} feed${dead.length === 1 ? 's' : ''} no other layer and ${dead.length === 1 ? 'is' : 'are'} not an output (outputs: ${w.outputs.join(', ')}); wire ${dead.length === 1 ? 'it' : 'them'} in, list ${dead.length === 1 ? 'it' : 'them'} in outputs, or remove ${dead.length === 1 ? 'it' : 'them'}`);
  return { units, inputs, outputs, refs: at };
}

function resolve(at: Map<string, number>, ref: string, who: string): number {
  const j = at.get(ref);
  if (j === undefined) throw new AxonError('BAD_CONFIG', `${who}: input "${ref}" is not a model input or an earlier layer's output (known: ${[...at.keys()].join(', ')})`);
  return j;
}

/**
 * The unit graph for concrete per-sample input shapes: each layer recreated from its config and
 * built on them. Throws BAD_SHAPE when a layer's parameters would change (a Dense on an open axis).
 */
export function unitGraphAt(w: Wiring, modelName: string, inputShapes: number[][]): UnitGraph {
  const byRef = new Map<string, number[]>(w.inputNames.map((n, k) => [n, inputShapes[k]]));
  return unitGraph(w, modelName, (l, shapes) => {
    const reads = w.reads.get(l.name)!;
    const full = shapes.map((s, i) => (s.length ? s : byRef.get(reads[i])!));
    const c = recreate(l);
    try { c.buildAll(full); } catch (e) {
      // (which model inputs gave the shapes: a mask whose length differs from its sequence's, say)
      if (e instanceof AxonError) throw new AxonError(e.code, `${l.name}: at input shapes ${full.map((s, i) => `[${s}]${byRef.has(reads[i]) ? ` (input "${reads[i]}")` : ''}`).join(', ')}: ${e.message}`);
      throw e;
    }
    for (const p of l.params) {
      const q = c.params.find((x) => x.name === p.name);
      if (!q || q.shape.join() !== p.shape.join())
        throw new AxonError('BAD_SHAPE', `${l.name}: parameter ${p.name} has shape [${p.shape}] but would need [${q?.shape ?? '?'}] at input shapes ${full.map((s) => `[${s}]`).join(', ')}; a dimension the parameters depend on cannot be open (declare it fixed)`);
    }
    return c;
  });
}

/** A new layer of the same type, config (int8 layers: with their quantization), name and flags (not built). */
export function recreate(l: Layer): Layer {
  const c = layerFromConfig(l.type, l.quantParams ? { ...l.config(), quant: l.quantParams() } : l.config(), l.name);
  c.trainable = l.trainable;
  if ('fixed' in l) (c as Layer & { fixed: unknown }).fixed = (l as Layer & { fixed: unknown }).fixed;
  return c;
}
