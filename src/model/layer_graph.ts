// LayerGraph: what a Model is before it holds any weights or state — its named, typed inputs
// (src/model/inputs.ts), its layers wired into a graph (each reads the refs named in `inputs`, by
// default the layer added before it; added in a topological order) and its outputs (layers, or
// `layer:k` outputs of multi-output layers; by default the last layer), and the compile units those
// make (src/model/wiring.ts). Model (model.ts) adds the parameters, compile, sessions and training.
import { AxonError } from '../errors.js';
import type { Engine } from '../runtime/engine.js';
import { Layer, ParamDef } from '../layers/layer.js';
import { MODEL_INPUT, badLayerName, generatedName, inputRefs } from './names.js';
import { InputSpec, ModelInput, checkIntInputs, checkOutputs, isOpen, narrowIdRanges, normalizeInputs, probeShape, shapeKey } from './inputs.js';
import { UnitGraph, Wiring, parseRef, unitGraph, unitGraphAt } from './wiring.js';

export interface ModelOptions {
  /** a single f32 input named "input" of this per-sample shape (no batch axis); or give `inputs` */
  inputShape?: number[];
  /** named, typed inputs; a dimension may be open (null / -1) with an optional maxShape */
  inputs?: InputSpec[];
  /** the layers (or `layer:k` outputs) the model returns, in order; default: the last layer added */
  outputs?: string[];
  seed?: number; name?: string; engine?: Engine;
}
export interface AddOptions {
  /** what this layer reads: model input names, layer names or `layer:k` outputs (or the layers themselves). Default: the layer added last (the first model input for the first layer). */
  inputs?: Array<string | Layer>;
  /** sees each declared parameter before anything is allocated for it (model loading checks them against the file) */
  checkParam?: (key: string, p: ParamDef) => void;
}

export abstract class LayerGraph {
  readonly layers: Layer[] = [];
  /** the declared inputs (normalized: open dimensions null) */
  readonly inputs: ModelInput[];
  name: string;
  private counters = new Map<string, number>();
  /** layer name → what it reads (model input names, layer names, `layer:k`) */
  private readonly wiring = new Map<string, string[]>();
  private declaredOutputs?: string[];
  private graphCache?: UnitGraph;

  constructor(opts: ModelOptions) {
    if (opts.inputs !== undefined && opts.inputShape !== undefined) throw new AxonError('BAD_CONFIG', 'give inputShape (one input) or inputs (several), not both');
    if (opts.inputs === undefined && (!Array.isArray(opts.inputShape) || opts.inputShape.length === 0 || !opts.inputShape.every((d) => Number.isInteger(d) && d > 0)))
      throw new AxonError('BAD_SHAPE', `inputShape must be a non-empty list of positive integers (per sample, no batch axis), got ${JSON.stringify(opts.inputShape)}; for open dimensions or several inputs use inputs: [{ name, shape, dtype }]`);
    this.inputs = normalizeInputs(opts.inputs ?? [{ name: MODEL_INPUT, shape: opts.inputShape! }]);
    this.name = opts.name ?? this.defaultName;
    if (opts.outputs !== undefined) this.declaredOutputs = checkOutputs(opts.outputs);
  }

  protected get defaultName(): string { return 'model'; }
  /** A layer was added: its parameters get their (pending) values. */
  protected abstract declareParams(layer: Layer): void;
  /** The graph changed (a layer added, other outputs): what depends on it goes. */
  protected abstract graphChanged(): void;

  /** The first input's per-sample shape (open dimensions at their maximum, or OPEN_PROBE): the single-input API. */
  get inputShape(): number[] { return probeShape(this.inputs[0]); }
  /** True when some input dimension is open (besides the batch). */
  get hasOpenAxes(): boolean { return this.inputs.some(isOpen); }
  /** What the model returns, in order: layer names or `layer:k`. */
  get outputNames(): string[] { return this.declaredOutputs ?? (this.layers.length ? [this.layers[this.layers.length - 1].name] : []); }
  /** Sets what the model returns (layer names or `layer:k`). */
  setOutputs(names: string[]): void { this.declaredOutputs = checkOutputs(names); this.changed(); }
  /** Per-sample shapes of the outputs, at the declared input shapes. */
  get outputShapes(): number[][] { return this.outputNames.map((r) => this.refShape(r)); }
  /** The first output's per-sample shape. */
  get outputShape(): number[] { return this.layers.length ? this.outputShapes[0] : this.inputShape; }
  /**
   * Appends a layer reading `inputs` (default: the layer added last): builds it on their output
   * shapes and initializes its weights.
   */
  add(layer: Layer, opts: AddOptions = {}): this {
    // (the next free `${type}_${k}`: an imported model's layers may hold some)
    if (!layer.name) layer.name = generatedName(layer, this.counters, (name) => this.layers.some((l) => l.name === name));
    const badName = badLayerName(layer.name);
    if (badName) throw new AxonError('BAD_CONFIG', badName);
    if (this.layers.some((l) => l.name === layer.name) || this.inputs.some((m) => m.name === layer.name)) throw new AxonError('BAD_CONFIG', `a layer or input named "${layer.name}" already exists`);
    const inputs = inputRefs(layer.name, opts.inputs ?? [this.layers.length ? this.layers[this.layers.length - 1].name : this.inputs[0].name]);
    const shapes = inputs.map((n) => this.refShape(n, layer.name));
    checkIntInputs(layer, inputs, this.inputs);
    try { layer.buildAll(shapes); } catch (e) {
      if (e instanceof AxonError && !e.message.startsWith(layer.name)) throw new AxonError(e.code, `${layer.name}: ${e.message}`);
      throw e;
    }
    if (opts.checkParam) for (const p of layer.params) opts.checkParam(`${layer.name}.${p.name}`, p);
    narrowIdRanges(layer, inputs, this.inputs);
    this.declareParams(layer);
    this.changed();   // (first: its weights are the layers' before this one)
    this.layers.push(layer);
    this.wiring.set(layer.name, inputs);
    return this;
  }

  /** What a layer reads (model input names, layer names or `layer:k`). */
  inputsOf(name: string): string[] {
    const w = this.wiring.get(name);
    if (!w) throw new AxonError('BAD_ARGUMENT', `no layer "${name}" in model "${this.name}"`);
    return [...w];
  }

  /** True when each layer reads exactly the layer added before it, from one input, to one output (a Keras Sequential model). */
  get isChain(): boolean {
    return this.inputs.length === 1 && this.declaredOutputs === undefined && this.layers.every((l, i) => { const w = this.wiring.get(l.name)!; return w.length === 1 && w[0] === (i ? this.layers[i - 1].name : this.inputs[0].name); });
  }

  /** Compile units: layers split into the pieces the plan runs. */
  units(): Layer[] { return this.unitGraph().units; }

  /** Compile units with their wiring, at the declared shapes. Every layer feeds another or is an output. */
  unitGraph(): UnitGraph { return (this.graphCache ??= unitGraph(this.wiringOf(), this.name)); }

  /** Compile units for concrete per-sample input shapes (the declared ones: unitGraph()). */
  unitGraphAt(shapes: number[][]): UnitGraph {
    if (shapeKey(shapes) === shapeKey(this.inputs.map(probeShape))) return this.unitGraph();
    return unitGraphAt(this.wiringOf(), this.name, shapes);
  }

  private wiringOf(): Wiring { return { layers: this.layers, reads: this.wiring, inputNames: this.inputs.map((m) => m.name), outputs: this.outputNames }; }

  /** The per-sample shape of a ref (an input name, a layer, or `layer:k`) at the declared input shapes. */
  refShape(ref: string, who = `model "${this.name}"`): number[] {
    const k = this.inputs.findIndex((m) => m.name === ref);
    if (k >= 0) return probeShape(this.inputs[k]);
    const { name, k: out } = parseRef(ref);
    const src = this.layers.find((l) => l.name === name);
    if (!src) throw new AxonError('BAD_CONFIG', `${who}: input "${ref}" is not a layer of this model yet, nor a model input (add layers in order: a layer after the layers it reads; known: ${[...this.inputs.map((m) => m.name), ...this.layers.map((l) => l.name)].join(', ')})`);
    if (out > src.extraOutputs.length) throw new AxonError('BAD_CONFIG', `${who}: "${ref}": layer ${name} has ${src.extraOutputs.length + 1} output${src.extraOutputs.length ? 's' : ''} (${name}:0${src.extraOutputs.map((_, i) => `, ${name}:${i + 1}`).join('')})`);
    return out === 0 ? src.outputShape : src.extraOutputs[out - 1];
  }

  get paramCount(): number { return this.layers.reduce((s, l) => s + l.paramCount, 0); }

  private changed(): void { this.graphCache = undefined; this.graphChanged(); }
}
