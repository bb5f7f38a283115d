// Model: layers wired into a graph with Keras' API (add, summary, compile, fit, evaluate, predict).
// The graph (named, typed inputs, the layers and what each reads, the outputs; add and the compile
// units) is LayerGraph's (layer_graph.ts); this file holds what a model keeps besides: its parameters,
// losses, optimizer and sessions. Weights are created (seeded) when a layer is added; they move into wasm memory with the first
// session and stay there; sessions are rebuilt, carrying all state, when a larger batch or input
// shape is needed. Each session runs in its own wasm instance (Engine.spawn), so models never share an arena.
import { AxonError } from '../errors.js';
import { Engine } from '../runtime/engine.js';
import { onEngine } from './engine_choice.js';
import { Rng } from '../runtime/rng.js';
import { Tensor } from '../runtime/tensor.js';
import { Layer, ParamData, size } from '../layers/layer.js';
import { initialize } from '../layers/init.js';
import { Session } from './compiler.js';
import { LossSpec, OutputLoss, compileLosses, lossPlan } from '../train/loss.js';
import { Optimizer, OptimizerConfig, OptimizerName } from '../train/optimizers.js';
import { MetricConfig, Metrics, metricsFor } from '../train/metrics.js';
import { fit, FitOptions, evaluate, EvaluateOptions, EvalResult, predict, PredictOptions, Targets } from '../train/trainer.js';
import type { History } from '../train/callbacks.js';
import { GradientsResult, gradients, trainStep } from '../train/steps.js';
import { MODEL_INPUT } from './names.js';
import { InputSpec, Inputs, parseShapeKey, probeShape, shapeKey } from './inputs.js';
import type { UnitGraph } from './wiring.js';
import { LayerGraph, type ModelOptions, type AddOptions } from './layer_graph.js';
import { summarize } from './summary.js';
import { paramData } from './params.js';
import { sourceLayout, noSource } from './source_registry.js';

/** concrete input shapes a session keeps plans for when rebuilt (the most recent) */
const MAX_SHAPES = 8;

/** @deprecated use ModelOptions */
export type SequentialOptions = ModelOptions;
export type { ModelOptions, AddOptions };
export { MODEL_INPUT };
export type { InputSpec, Inputs };
/** What a session is for (Model.session). */
export type SessionUse = 'predict' | 'eval' | 'train';

export type { UnitGraph };
/** A loss on one output: by output name (several outputs), or one loss for a single-output model. */
export type LossConfig = string | Record<string, string> | string[];
export interface CompileOptions {
  optimizer: OptimizerConfig | OptimizerName;
  loss: LossConfig;
  /** per output (same keys or order as loss); default 1 */
  lossWeights?: Record<string, number> | number[];
  /** for every output with a loss, or per output by name */
  metrics?: MetricConfig[] | Record<string, MetricConfig[]>;
  fromLogits?: boolean;
  reduction?: 'mean' | 'sum';
}

export class Model extends LayerGraph {
  readonly seed: number;
  engine?: Engine;
  /** optimizer steps taken so far (Adam's bias correction continues across fit calls) */
  step = 0;
  /** the losses, one per output that has one (compile) */
  losses: OutputLoss[] = [];
  optimizer?: Optimizer;
  metrics: MetricConfig[] | Record<string, MetricConfig[]> = [];
  /** the options of the last compile(), saved with the model */
  compileOptions?: CompileOptions;
  /**
   * Application metadata saved with the model (graph.extra): the input normalizer, a tokenizer and
   * labels, where it was imported from. Loaded from the file, kept by every transformation
   * (quantize, replaceHead, freeze), written back by modelToBytes.
   */
  extra?: Record<string, unknown>;
  /**
   * Compile settings inherited from the model this one was made from that do not fit it yet (a
   * quantized backbone has no head for the loss): replaceHead compiles the new model with them.
   */
  inheritedCompile?: CompileOptions;
  private readonly rng: Rng;
  private readonly pending = new Map<string, ParamData>();
  private readonly lazy = new Map<string, () => ParamData>();
  private sess?: Session;

  constructor(opts: ModelOptions) {
    super(opts);
    this.seed = opts.seed ?? 42;
    this.engine = opts.engine;
    this.rng = new Rng(this.seed);
  }

  protected declareParams(layer: Layer): void {
    for (const p of layer.params) {
      const n = size(p.shape), dtype = p.dtype ?? 'f32';
      if (dtype !== 'f32') { this.pending.set(`${layer.name}.${p.name}`, dtype === 'i8' ? new Int8Array(n) : new Int32Array(n)); continue; }
      // Initialized lazily (its own forked stream, so the order does not matter): a model loaded
      // from a file never pays for initializers whose values setWeights replaces.
      const rng = this.rng.fork();
      this.lazy.set(`${layer.name}.${p.name}`, () => { const w = new Float32Array(n); initialize(w, p.init, p.fans, rng); p.afterInit?.(w); return w; });
    }
  }

  protected graphChanged(): void { this.dropSession(); }

  /** The first output's loss (a single-output model's loss). */
  get loss(): LossSpec | undefined { return this.losses[0]?.spec; }

  summary(): string { return summarize(this); }

  compile(opts: CompileOptions): this {
    if (!this.layers.length) throw new AxonError('BAD_CONFIG', 'add at least one layer before compile()');
    const carried = this.sess ? this.snapshot(false) : undefined;
    const g = this.unitGraph();
    const losses = compileLosses(opts.loss, opts.lossWeights, this.outputNames, this.outputShapes, { fromLogits: opts.fromLogits, reduction: opts.reduction });
    // validates each loss against its output unit, and the metrics against each loss
    for (const l of losses) new Metrics(metricsFor(opts.metrics ?? [], l.name, losses.map((x) => x.name)), l.spec, lossPlan(l.spec, g.units[g.outputs[l.output]]));
    this.losses = losses;
    this.optimizer = new Optimizer(opts.optimizer);
    this.metrics = opts.metrics ?? [];
    this.step = 0;
    this.compileOptions = opts;
    this.dropSession(carried);
    return this;
  }

  /**
   * The session for batches up to `batch` and these per-sample input shapes (default: the declared
   * ones), rebuilt (carrying weights and optimizer state) when needed. `keepActivations`: every
   * unit's output stays readable after a run (a session without an optimizer otherwise shares
   * activation memory between units). `use`: what the caller will run: 'train' (the default: the
   * compiled losses and optimizer), 'eval' (the losses, no optimizer) or 'predict' (neither), so
   * that a compiled model that only predicts or evaluates gets no training plans, gradients or
   * optimizer state. A session that can do more is reused; a rebuilt one keeps what the old one
   * could do, and the shapes it had plans for (the last MAX_SHAPES).
   */
  async session(batch: number, opts: { keepActivations?: boolean; use?: SessionUse; shapes?: number[][] } = {}): Promise<Session> {
    const rank = { predict: 0, eval: 1, train: 2 } as const;
    const can = (o: { losses?: unknown[]; optimizer?: unknown }): SessionUse => (o.optimizer ? 'train' : o.losses?.length ? 'eval' : 'predict');
    const wanted = rank[opts.use ?? 'train'], has = this.sess ? rank[can(this.sess.spec)] : -1;
    const need = Math.min(wanted, rank[can(this)]);   // (an uncompiled model has no loss or optimizer to ask for)
    const shapes = opts.shapes ?? this.inputs.map(probeShape);
    const old = this.sess;
    if (old && batch <= old.spec.maxBatch && !(opts.keepActivations && old.sharesActivations) && has >= need && old.supports(shapes)) return old;
    const use = Math.max(wanted, has);
    const carried = old ? this.snapshot(true) : undefined;
    // capacity: per dimension the largest of the shapes asked for, and of declared maxima
    const keys = [...(old?.knownShapes ?? []).filter((k) => k !== shapeKey(shapes)).slice(-(MAX_SHAPES - 1)).map(parseShapeKey), shapes];
    const capacity = this.inputs.map((m, k) => m.shape.map((d, i) => d ?? Math.max(m.max[i] ?? 0, ...keys.map((s) => s[k][i]))));
    const g = this.unitGraphAt(capacity);
    // (this.engine stays what the caller gave: a default engine is chosen per session by kernel set)
    this.sess = await onEngine(this.engine, g.units, use === rank.predict, (spawned) => new Session(spawned, {
      units: g.units, inputs: g.inputs, outputs: g.outputs, modelInputs: this.inputs.map((m, k) => ({ dtype: m.dtype, shape: capacity[k] })),
      variants: { shapes: keys, graphAt: (s) => this.unitGraphAt(s) },
      maxBatch: Math.max(batch, old?.spec.maxBatch ?? 0), losses: use >= rank.eval ? this.losses : undefined, optimizer: use >= rank.train ? this.optimizer : undefined, seed: this.seed, keepActivations: opts.keepActivations || (old?.spec.keepActivations ?? false),
    }));
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
      const data = paramData(k, v, p, opts.copy === false && !this.sess);
      if (this.sess) this.view(k).set(data);
      else { this.pending.set(k, data); this.lazy.delete(k); }
    }
    this.sess?.prepare();
  }

  /** Trains on x (a Tensor, a list or a { input: Tensor } map) and y (likewise, by output name). */
  fit(x: Inputs, y: Targets, opts: FitOptions = {}): Promise<History> { return fit(this, x, y, opts); }
  evaluate(x: Inputs, y: Targets, opts: EvaluateOptions = {}): Promise<EvalResult> { return evaluate(this, x, y, opts); }
  /** The batch's loss and every trainable parameter's gradient (Axon layout), weights unchanged: for custom loops and checks. */
  gradients(x: Inputs, y: Targets, opts: { names?: Record<string, string> } = {}): Promise<GradientsResult> { return gradients(this, x, y, opts); }
  /** One optimizer step on the whole batch (x, y); the loss before the update. */
  trainStep(x: Inputs, y: Targets, opts: { epoch?: number } = {}): Promise<{ loss: number }> { return trainStep(this, x, y, opts); }
  /** Outputs for x: a Tensor for a single-output model given a Tensor; a list for a list; a { output: Tensor } map for a map or several outputs. */
  predict(x: Tensor, opts?: PredictOptions): Promise<Tensor>;
  predict(x: Tensor[], opts?: PredictOptions): Promise<Tensor[]>;
  predict(x: Record<string, Tensor>, opts?: PredictOptions): Promise<Record<string, Tensor>>;
  predict(x: Inputs, opts?: PredictOptions): Promise<Tensor | Tensor[] | Record<string, Tensor>>;
  predict(x: Inputs, opts: PredictOptions = {}): Promise<Tensor | Tensor[] | Record<string, Tensor>> { return predict(this, x, opts); }

  /** The optimizer's state (`opt:` buffers: moments, momentum) after training, to resume elsewhere with setOptimizerState; empty before the first training session. */
  optimizerState(): Map<string, Float32Array> {
    if (!this.sess) return new Map();
    return new Map([...this.snapshot(true)].filter((e): e is [string, Float32Array] => e[0].startsWith('opt:')));
  }
  /** Restores what optimizerState() returned (same model, same optimizer) and the optimizer step count (schedules, Adam's bias correction). */
  async setOptimizerState(state: Map<string, ArrayLike<number>>, step: number): Promise<void> {
    if (!this.optimizer) throw new AxonError('BAD_CONFIG', 'call compile({ optimizer, loss }) before setOptimizerState()');
    if (!(Number.isInteger(step) && step >= 0)) throw new AxonError('BAD_ARGUMENT', `step must be a non-negative integer, got ${step}`);
    await this.session(1, { use: 'train' });
    const want = this.optimizer.stateBuffers();
    for (const [k, v] of state) {
      if (!want.includes(k)) throw new AxonError('BAD_ARGUMENT', `no optimizer state "${k}" in this model (it has ${want.join(', ') || 'none'})`);
      const view = this.view(k);
      if (v.length !== view.length) throw new AxonError('BAD_SHAPE', `optimizer state "${k}" has ${v.length} values, expected ${view.length}`);
      view.set(v);
    }
    this.step = step;
  }

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
