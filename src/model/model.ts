// Model: layers wired into a graph (a DAG with one input and one output) with Keras' API (add,
// summary, compile, fit, evaluate, predict). Each layer reads the layers named in `inputs` (default:
// the layer added before it), so a chain is the plain case and residual or concatenating blocks add
// merge layers (Add, Concatenate). Layers are added in a topological order; the last one is the output.
// Weights are created (seeded) when a layer is added; they move into wasm memory with the first
// session and stay there; sessions are rebuilt, carrying all state, when a larger batch is needed.
// Each session runs in its own wasm instance (Engine.spawn), so models never share an arena.
import { AxonError } from '../errors.js';
import { Engine } from '../runtime/engine.js';
import { defaultEngine } from '../runtime/default.js';
import { Rng } from '../runtime/rng.js';
import { firstNonFinite } from '../runtime/finite.js';
import { Tensor } from '../runtime/tensor.js';
import { Layer, MergeLayer, ParamData, ParamDef, ParamDtype, size } from '../layers/layer.js';
import { initialize } from '../layers/init.js';
import { INPUT, Session } from './compiler.js';
import { LossSpec, lossSpec, lossPlan } from '../train/loss.js';
import { Optimizer, OptimizerConfig, OptimizerName } from '../train/optimizers.js';
import { MetricConfig, Metrics } from '../train/metrics.js';
import { fit, FitOptions, evaluate, EvaluateOptions, EvalResult, predict } from '../train/trainer.js';
import type { History } from '../train/callbacks.js';
import { MODEL_INPUT, badLayerName, generatedName } from './names.js';
import { sourceLayout, noSource } from './source_registry.js';

export interface ModelOptions { inputShape: number[]; seed?: number; name?: string; engine?: Engine }
/** @deprecated use ModelOptions */
export type SequentialOptions = ModelOptions;
export { MODEL_INPUT };
/** What a session is for (Model.session). */
export type SessionUse = 'predict' | 'eval' | 'train';

export interface AddOptions {
  /** the layers this one reads (names or the layers themselves; MODEL_INPUT = the model input). Default: the layer added last. */
  inputs?: Array<string | Layer>;
  /** sees each declared parameter before anything is allocated for it (model loading checks them against the file) */
  checkParam?: (key: string, p: ParamDef) => void;
}
/** Compile units and their wiring (unit indices; INPUT = the model input). */
export interface UnitGraph { units: Layer[]; inputs: number[][] }
export interface CompileOptions {
  optimizer: OptimizerConfig | OptimizerName;
  loss: string;
  metrics?: MetricConfig[];
  fromLogits?: boolean;
  reduction?: 'mean' | 'sum';
}

export class Model {
  readonly layers: Layer[] = [];
  readonly inputShape: number[];
  readonly seed: number;
  name: string;
  engine?: Engine;
  /** optimizer steps taken so far (Adam's bias correction continues across fit calls) */
  step = 0;
  loss?: LossSpec;
  optimizer?: Optimizer;
  metrics: MetricConfig[] = [];
  /** the options of the last compile(), saved with the model */
  compileOptions?: CompileOptions;
  private readonly rng: Rng;
  private readonly pending = new Map<string, ParamData>();
  private readonly lazy = new Map<string, () => ParamData>();
  private sess?: Session;
  private counters = new Map<string, number>();
  /** layer name → the names of the layers it reads */
  private readonly wiring = new Map<string, string[]>();

  constructor(opts: ModelOptions) {
    if (!Array.isArray(opts.inputShape) || opts.inputShape.length === 0 || !opts.inputShape.every((d) => Number.isInteger(d) && d > 0))
      throw new AxonError('BAD_SHAPE', `inputShape must be a non-empty list of positive integers (per sample, no batch axis), got ${JSON.stringify(opts.inputShape)}`);
    this.inputShape = opts.inputShape;
    this.seed = opts.seed ?? 42;
    this.name = opts.name ?? this.defaultName;
    this.engine = opts.engine;
    this.rng = new Rng(this.seed);
  }

  protected get defaultName(): string { return 'model'; }

  get outputShape(): number[] { return this.layers.length ? this.layers[this.layers.length - 1].outputShape : this.inputShape; }

  /**
   * Appends a layer reading `inputs` (default: the layer added last): builds it on their output
   * shapes and initializes its weights.
   */
  add(layer: Layer, opts: AddOptions = {}): this {
    // (the next free `${type}_${k}`: an imported model's layers may hold some)
    if (!layer.name) layer.name = generatedName(layer, this.counters, (name) => this.layers.some((l) => l.name === name));
    const badName = badLayerName(layer.name);
    if (badName) throw new AxonError('BAD_CONFIG', badName);
    if (this.layers.some((l) => l.name === layer.name)) throw new AxonError('BAD_CONFIG', `a layer named "${layer.name}" already exists`);
    const inputs = (opts.inputs ?? [this.layers.length ? this.layers[this.layers.length - 1].name : MODEL_INPUT]).map((x) => (typeof x === 'string' ? x : x.name));
    const shapes = inputs.map((n) => {
      if (n === MODEL_INPUT) return this.inputShape;
      const src = this.layers.find((l) => l.name === n);
      if (!src) throw new AxonError('BAD_CONFIG', `${layer.name}: input "${n}" is not a layer of this model yet (add layers in order: a layer after the layers it reads; known: ${[MODEL_INPUT, ...this.layers.map((l) => l.name)].join(', ')})`);
      return src.outputShape;
    });
    try {
      if (layer instanceof MergeLayer) layer.buildMerge(shapes);
      else if (shapes.length !== 1) throw new AxonError('BAD_CONFIG', `a ${layer.type} layer reads one input, got ${shapes.length} (${inputs.join(', ')}); use a merge layer (add, concatenate) to combine several`);
      else layer.build(shapes[0]);
    } catch (e) {
      if (e instanceof AxonError && !e.message.startsWith(layer.name)) throw new AxonError(e.code, `${layer.name}: ${e.message}`);
      throw e;
    }
    if (opts.checkParam) for (const p of layer.params) opts.checkParam(`${layer.name}.${p.name}`, p);
    for (const p of layer.params) {
      const n = size(p.shape), dtype = p.dtype ?? 'f32';
      if (dtype !== 'f32') { this.pending.set(`${layer.name}.${p.name}`, dtype === 'i8' ? new Int8Array(n) : new Int32Array(n)); continue; }
      // Initialized lazily (its own forked stream, so the order does not matter): a model loaded
      // from a file never pays for initializers whose values setWeights replaces.
      const rng = this.rng.fork();
      this.lazy.set(`${layer.name}.${p.name}`, () => { const w = new Float32Array(n); initialize(w, p.init, p.fans, rng); return w; });
    }
    this.dropSession();   // (first: its weights are the layers' before this one)
    this.layers.push(layer);
    this.wiring.set(layer.name, inputs);
    return this;
  }

  /** The names of the layers a layer reads (MODEL_INPUT for the model input). */
  inputsOf(name: string): string[] {
    const w = this.wiring.get(name);
    if (!w) throw new AxonError('BAD_ARGUMENT', `no layer "${name}" in model "${this.name}"`);
    return [...w];
  }

  /** True when each layer reads exactly the layer added before it (a Keras Sequential model). */
  get isChain(): boolean {
    return this.layers.every((l, i) => { const w = this.wiring.get(l.name)!; return w.length === 1 && w[0] === (i ? this.layers[i - 1].name : MODEL_INPUT); });
  }

  /** Compile units: layers split into the pieces the plan runs. */
  units(): Layer[] { return this.unitGraph().units; }

  /** Compile units with their wiring. Every layer but the last must feed another (one output). */
  unitGraph(): UnitGraph {
    const units: Layer[] = [], inputs: number[][] = [], lastUnit = new Map<string, number>([[MODEL_INPUT, INPUT]]);
    const used = new Set<string>();
    for (const l of this.layers) {
      const w = this.wiring.get(l.name)!;
      w.forEach((n) => used.add(n));
      l.expand().forEach((u, k) => {
        if (!u.inputShape.length) u.build(l.outputShape);
        inputs.push(k === 0 ? w.map((n) => lastUnit.get(n)!) : [units.length - 1]);
        units.push(u);
      });
      lastUnit.set(l.name, units.length - 1);
    }
    const dead = this.layers.slice(0, -1).filter((l) => !used.has(l.name));
    if (dead.length) throw new AxonError('BAD_CONFIG', `model "${this.name}" has one output (its last layer, ${this.layers[this.layers.length - 1].name}), but ${dead.map((l) => l.name).join(', ')} feed${dead.length === 1 ? 's' : ''} no other layer; wire ${dead.length === 1 ? 'it' : 'them'} in or remove ${dead.length === 1 ? 'it' : 'them'}`);
    return { units, inputs };
  }

  get paramCount(): number { return this.layers.reduce((s, l) => s + l.paramCount, 0); }

  summary(): string {
    const graph = !this.isChain;
    const rows = [['Layer (type)', 'Output shape', 'Params', ...(graph ? ['Reads'] : [])],
      ...this.layers.map((l) => [`${l.name} (${l.type})`, `[batch, ${l.outputShape.join(', ')}]`, String(l.paramCount), ...(graph ? [this.wiring.get(l.name)!.join(', ')] : [])])];
    const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)) + 2);
    const line = (r: string[]) => r.map((s, c) => s.padEnd(w[c])).join('');
    const trainable = this.layers.filter((l) => l.trainable).reduce((s, l) => s + l.params.filter((p) => p.trainable).reduce((a, p) => a + size(p.shape), 0), 0);
    const rule = '─'.repeat(w.reduce((a, b) => a + b, 0));
    return [`Model: ${this.name}`, rule, line(rows[0]), rule, ...rows.slice(1).map(line), rule,
      `Total params: ${this.paramCount}`, `Trainable params: ${trainable}`, `Non-trainable params: ${this.paramCount - trainable}`].join('\n');
  }

  compile(opts: CompileOptions): this {
    if (!this.layers.length) throw new AxonError('BAD_CONFIG', 'add at least one layer before compile()');
    const carried = this.sess ? this.snapshot(false) : undefined;
    this.loss = lossSpec(opts.loss, this.outputShape, { fromLogits: opts.fromLogits, reduction: opts.reduction });
    const fused = lossPlan(this.loss, this.units());      // validates the loss against the last layer
    this.optimizer = new Optimizer(opts.optimizer);
    this.metrics = opts.metrics ?? [];
    new Metrics(this.metrics, this.loss, fused);           // validates the metrics against the loss
    this.step = 0;
    this.compileOptions = opts;
    this.dropSession(carried);
    return this;
  }

  /**
   * The session for batches up to `batch`, rebuilt (carrying weights and optimizer state) when needed.
   * `keepActivations`: every unit's output stays readable after a run (a session without an
   * optimizer otherwise shares activation memory between units). `use`: what the caller will run:
   * 'train' (the default: the compiled loss and optimizer), 'eval' (the loss, no optimizer) or
   * 'predict' (neither), so that a compiled model that only predicts or evaluates gets no training
   * plans, gradients or optimizer state. A session that can do more is reused; a rebuilt one keeps
   * what the old one could do.
   */
  async session(batch: number, opts: { keepActivations?: boolean; use?: SessionUse } = {}): Promise<Session> {
    const rank = { predict: 0, eval: 1, train: 2 } as const;
    const can = (o: { loss?: unknown; optimizer?: unknown }): SessionUse => (o.optimizer ? 'train' : o.loss ? 'eval' : 'predict');
    const wanted = rank[opts.use ?? 'train'], has = this.sess ? rank[can(this.sess.spec)] : -1;
    const need = Math.min(wanted, rank[can(this)]);   // (an uncompiled model has no loss or optimizer to ask for)
    if (this.sess && batch <= this.sess.spec.maxBatch && !(opts.keepActivations && this.sess.sharesActivations) && has >= need) return this.sess;
    const use = Math.max(wanted, has);
    const engine = await (this.engine ??= await defaultEngine()).spawn();
    const carried = this.sess ? this.snapshot(true) : undefined;
    const { units, inputs } = this.unitGraph();
    this.sess = new Session(engine, { units, inputs, inputShape: this.inputShape, maxBatch: Math.max(batch, this.sess?.spec.maxBatch ?? 0), loss: use >= rank.eval ? this.loss : undefined, optimizer: use >= rank.train ? this.optimizer : undefined, seed: this.seed, keepActivations: opts.keepActivations });
    this.materialize();
    for (const [k, v] of carried ?? this.pending) this.view(k).set(v);
    this.pending.clear();
    this.sess.prepare();
    return this.sess;
  }

  /**
   * Copies of all f32 parameters (and statistics), by `${layer}.${param}` (int8 layers' integer tensors: getParams).
   * `{ layout: 'source' }`: an imported model's weights as Tensors in its source framework's layout and
   * names (PyTorch's for ONNX, Keras' for TF.js; model/source_weights.ts).
   */
  getWeights(): Map<string, Float32Array>;
  getWeights(opts: { layout: 'source' }): Map<string, Tensor>;
  getWeights(opts: { layout?: 'axon' | 'source' } = {}): Map<string, Float32Array> | Map<string, Tensor> {
    if (opts.layout === 'source') return sourceLayout.weights ? sourceLayout.weights(this) : noSource(this.name);
    return new Map([...this.getParams()].filter((e): e is [string, Float32Array] => e[1] instanceof Float32Array));
  }

  /** Copies of all parameters with their dtypes (Float32Array, Int8Array or Int32Array), by `${layer}.${param}`. */
  getParams(): Map<string, ParamData> {
    if (!this.sess) { this.materialize(); return new Map([...this.pending].map(([k, v]) => [k, v.slice()])); }
    return this.snapshot(false);
  }

  /**
   * Sets parameters by `${layer}.${param}`; integer (i8 / i32) parameters take integers in their range.
   * `copy: false`: before the model's first session, arrays of the parameter's own type are kept as
   * they are (not copied) until the session takes them; the caller must not change them meanwhile.
   */
  setWeights(w: Map<string, ArrayLike<number>> | Record<string, ArrayLike<number>>, opts: { copy?: boolean } = {}): void {
    const entries = w instanceof Map ? [...w] : Object.entries(w);
    for (const [k, v] of entries) {
      const [layerName] = k.split('.');
      const layer = this.layers.find((l) => l.name === layerName);
      const p = layer?.params.find((q) => `${layer.name}.${q.name}` === k);
      if (!p) throw new AxonError('BAD_ARGUMENT', `no parameter "${k}" in this model (parameters: ${this.layers.flatMap((l) => l.params.map((q) => `${l.name}.${q.name}`)).join(', ')})`);
      if (v.length !== size(p.shape)) throw new AxonError('BAD_SHAPE', `parameter "${k}" has shape [${p.shape}] (${size(p.shape)} values) but ${v.length} were given`);
      const dtype: ParamDtype = p.dtype ?? 'f32';
      const bad = firstNonFinite(v);
      if (bad >= 0) throw new AxonError('NOT_FINITE', `parameter "${k}" has a non-finite value at ${bad}`);
      if (dtype !== 'f32') {
        const [lo, hi] = dtype === 'i8' ? [-128, 127] : [-(2 ** 31), 2 ** 31 - 1];
        for (let i = 0; i < v.length; i++) if (!Number.isInteger(v[i]) || v[i] < lo || v[i] > hi) throw new AxonError('BAD_ARGUMENT', `parameter "${k}" is ${dtype}: value ${v[i]} at ${i} is not an integer in [${lo}, ${hi}]`);
      }
      // NOTE: typed arrays copy with slice()/set(); TypedArray.from walks the iterator (10x slower)
      const Ctor = dtype === 'f32' ? Float32Array : dtype === 'i8' ? Int8Array : Int32Array;
      const data = v instanceof Ctor ? (opts.copy === false && !this.sess ? v : v.slice()) : ArrayBuffer.isView(v) ? new Ctor(v as unknown as ArrayLike<number>) : Ctor.from(v);
      if (this.sess) this.view(k).set(data);
      else { this.pending.set(k, data); this.lazy.delete(k); }
    }
    this.sess?.prepare();
  }

  fit(x: Tensor, y: Tensor, opts: FitOptions = {}): Promise<History> { return fit(this, x, y, opts); }
  evaluate(x: Tensor, y: Tensor, opts: EvaluateOptions = {}): Promise<EvalResult> { return evaluate(this, x, y, opts); }
  predict(x: Tensor, opts: { batchSize?: number } = {}): Promise<Tensor> { return predict(this, x, opts); }

  /** Runs the initializers of parameters nobody has set yet. */
  private materialize(): void {
    for (const [k, make] of this.lazy) if (!this.pending.has(k)) this.pending.set(k, make());
    this.lazy.clear();
  }

  /** The session's buffer `name` as a typed array of its dtype (f32, i8 or i32). */
  private view(name: string): ParamData {
    const s = this.sess!, b = s.layout.get(s.buf(name));
    if (b.dtype === 'i8') { const u = s.bound.u8(b.id); return new Int8Array(u.buffer, u.byteOffset, u.length); }
    return b.dtype === 'i32' ? s.bound.i32(b.id) : s.bound.f32(b.id);
  }

  /** Parameters plus optimizer state (with `opt:` keys) when `withState`. */
  private snapshot(withState: boolean): Map<string, ParamData> {
    const out = new Map<string, ParamData>();
    for (const l of this.layers) for (const p of l.params) out.set(`${l.name}.${p.name}`, this.view(`${l.name}.${p.name}`).slice());
    // (state only from a session that has it: an inference session does not, whatever the optimizer kept from an earlier one)
    if (withState && this.optimizer && this.sess?.spec.optimizer === this.optimizer) for (const k of this.optimizer.stateBuffers()) out.set(k, this.view(k).slice());
    return out;
  }

  private dropSession(carried?: Map<string, ParamData>): void {
    if (!this.sess) return;
    const w = carried ?? this.snapshot(false);
    this.sess = undefined;
    for (const [k, v] of w) this.pending.set(k, v);
  }
}
