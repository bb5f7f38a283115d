// The training loop: epochs of seeded shuffled mini-batches, one plan call per step, metrics,
// validation, callbacks, and the NaN/Inf guard (the plan checks the loss and every gradient
// before any update, so a failed step leaves the weights at the last good state).
import { AxonError } from '../errors.js';
import { Rng } from '../runtime/rng.js';
import { Tensor } from '../runtime/tensor.js';
import { OutputLoss, lossPlan, classesOf } from './loss.js';
import { MetricConfig, Metrics, metricsFor } from './metrics.js';
import { Callback, History, Logs, TrainContext } from './callbacks.js';
import type { Optimizer } from './optimizers.js';
import type { Session } from '../model/compiler.js';
import type { Layer } from '../layers/layer.js';
import { Inputs, ModelInput } from '../model/inputs.js';
import { Data, Targets, inputNotFinite, load, prepare, rowsOf } from './feed.js';
export type { Targets };

export interface FitOptions {
  epochs?: number;
  /** samples per step; the whole set = full-batch GD, 1 = SGD */
  batchSize?: number;
  /** fraction of the data (the last samples, before shuffling, as Keras) held out for validation */
  validationSplit?: number;
  validationData?: [Inputs, Targets];
  shuffle?: boolean;
  callbacks?: Callback[];
  /** seed for shuffling (default: the model's seed) */
  seed?: number;
  /** called to build the model file bytes for checkpoints */
  toBytes?: () => Uint8Array;
}

export interface EvaluateOptions { batchSize?: number; confusionMatrix?: boolean }
export interface EvalResult extends Record<string, unknown> { loss: number; confusionMatrix?: number[][] }
/** predict: batchSize splits the call into batches (not by default: dynamic quantization's ranges are per call). */
export interface PredictOptions { batchSize?: number }

/** What training needs of a model (Model is one): inputs, losses, optimizer, weights, sessions. */
export interface Trainable {
  readonly inputs: ModelInput[];
  readonly outputNames: string[];
  readonly losses: OutputLoss[];
  readonly optimizer?: Optimizer;
  readonly metrics: MetricConfig[] | Record<string, MetricConfig[]>;
  readonly seed: number;
  readonly layers: readonly Layer[];
  step: number;
  session(batch: number, opts?: { use?: 'predict' | 'eval' | 'train'; shapes?: number[][] }): Promise<Session>;
  getWeights(): Map<string, Float32Array>;
  setWeights(w: Map<string, ArrayLike<number>>): void;
}

/**
 * Refuses to train a model with no parameter an optimizer would update (every layer frozen or
 * int8): training would "succeed" and change nothing.
 */
export function requireTrainable(model: Pick<Trainable, 'layers'>, what: string): void {
  if (model.layers.some((l) => l.trainable && l.params.some((p) => p.trainable && (p.dtype ?? 'f32') === 'f32'))) return;
  const frozen = model.layers.filter((l) => l.params.length && !l.trainable).length, int8 = model.layers.filter((l) => l.params.some((p) => p.dtype === 'i8')).length;
  throw new AxonError('NOTHING_TO_TRAIN', `${what}: the model has no trainable parameters (${int8 ? `${int8} int8 layer${int8 > 1 ? 's' : ''}` : ''}${int8 && frozen ? ', ' : ''}${frozen ? `${frozen} frozen layer${frozen > 1 ? 's' : ''}` : ''}${!int8 && !frozen ? 'no layer has parameters' : ''}); unfreeze some layers, or add an f32 head (replaceHead) to fine-tune`);
}

function batchSizeOf(v: number | undefined, n: number): number {
  const b = v ?? 32;
  if (!Number.isInteger(b) || b < 1) throw new AxonError('BAD_CONFIG', `batchSize must be a positive integer, got ${v}`);
  return Math.min(b, Math.max(n, 1));
}

/** Per loss: the buffer its metrics read (logits when the final activation is fused). */
function lossInputs(s: Session, shapes: number[][]): number[] {
  return s.lossReads(s.graphOf(shapes)).map((r) => s.src(r.pred));
}

/** Metrics per loss; with several losses their names get the output's name as a prefix (Keras' `out_accuracy`). */
class AllMetrics {
  readonly each: Metrics[];
  constructor(readonly model: Trainable, s: Session, shapes: number[][], confusion = false) {
    const g = s.graphOf(shapes);
    this.each = model.losses.map((l) => new Metrics(metricsFor(model.metrics, l.name), l.spec, lossPlan(l.spec, g.units[g.outputs[l.output]]), confusion));
  }
  reset(): void { for (const m of this.each) m.reset(); }
  update(s: Session, preds: number[], d: Data, b: number): void {
    this.each.forEach((m, k) => {
      const t = d.ys[k] instanceof Int32Array ? s.bound.i32(s.targets[k]) : s.bound.f32(s.targets[k]);
      const w = this.model.losses[k].weight;
      m.update(s.bound.f32(preds[k]), t, b, w > 0 ? s.bound.f32(s.lossBufs[k])[0] / w : 0);
    });
  }
  result(total: number): Logs {
    if (this.each.length === 1) return this.each[0].result();
    const out: Logs = { loss: total };
    this.each.forEach((m, k) => { for (const [key, v] of Object.entries(m.result())) out[`${this.model.losses[k].name}_${key}`] = v; });
    return out;
  }
}

export async function fit(model: Trainable, x: Inputs, y: Targets, o: FitOptions): Promise<History> {
  if (!model.losses.length || !model.optimizer) throw new AxonError('BAD_CONFIG', 'call compile({ optimizer, loss }) before fit()');
  requireTrainable(model, 'fit');
  const epochs = o.epochs ?? 1;
  if (!Number.isInteger(epochs) || epochs < 1) throw new AxonError('BAD_CONFIG', `epochs must be a positive integer, got ${o.epochs}`);
  let all = prepare(model, x, y, 'fit');
  let val: Data | undefined;
  if (o.validationData) {
    val = prepare(model, o.validationData[0], o.validationData[1], 'validationData');
    if (val.shapes.join(';') !== all.shapes.join(';')) throw new AxonError('BAD_SHAPE', `validationData has per-sample input shapes ${val.shapes.map((s) => `[${s}]`).join(', ')} but the training data ${all.shapes.map((s) => `[${s}]`).join(', ')}; pad them to the same lengths`);
  } else if (o.validationSplit) {
    if (!(o.validationSplit > 0 && o.validationSplit < 1)) throw new AxonError('BAD_CONFIG', `validationSplit must be in (0, 1), got ${o.validationSplit}`);
    const nv = Math.floor(all.n * o.validationSplit), nt = all.n - nv;
    val = rowsOf(all, nt, all.n);
    all = rowsOf(all, 0, nt);
  }
  if (all.n === 0) throw new AxonError('BAD_DATA', 'fit: no training samples');
  const B = batchSizeOf(o.batchSize, all.n), shapes = all.shapes;
  const s = await model.session(B, { shapes });
  const opt = model.optimizer;
  const metrics = new AllMetrics(model, s, shapes);
  const history = new History();
  const callbacks: Callback[] = [history, ...(o.callbacks ?? [])];
  const steps = Math.ceil(all.n / B);
  const ctx: TrainContext = {
    stopTraining: false, epochs, stepsPerEpoch: steps,
    getWeights: () => model.getWeights(), setWeights: (w) => model.setWeights(w),
    toBytes: () => { if (!o.toBytes) throw new AxonError('BAD_CONFIG', 'this callback needs the model file: pass toBytes (the Node target does)'); return o.toBytes(); },
  };
  const rng = new Rng(o.seed ?? model.seed ^ 0x5eed);
  const order = Int32Array.from({ length: all.n }, (_, i) => i);
  const preds = lossInputs(s, shapes);
  let logs: Logs = {};
  for (const c of callbacks) await c.onTrainBegin?.(ctx);
  for (let epoch = 0; epoch < epochs && !ctx.stopTraining; epoch++) {
    for (const c of callbacks) await c.onEpochBegin?.(epoch, ctx);
    if (o.shuffle ?? true) rng.shuffle(order);
    metrics.reset();
    for (let k = 0; k < steps; k++) {
      const from = k * B, b = Math.min(B, all.n - from);
      load(s, all, order, from, b);
      model.step++;
      opt.writeStep(s, model.step, opt.schedule(opt.cfg.lr, model.step - 1, epoch));
      try { s.run('train', b, shapes); } catch (e) {
        model.step--;
        if (e instanceof AxonError && e.code === 'NOT_FINITE') throw new AxonError('NOT_FINITE', `training stopped at epoch ${epoch + 1}, step ${k + 1}: ${e.message}; weights are those of the last good step — lower the learning rate or check the data`, { ...e.details, epoch, step: k });
        throw e;
      }
      const lossValue = s.lossValue();
      metrics.update(s, preds, all, b);
      for (const c of callbacks) if (c.onBatchEnd) await c.onBatchEnd(model.step, { loss: lossValue, ...batchMetrics(metrics.result(lossValue)), samples: from + b }, ctx);
    }
    logs = { ...metrics.result(NaN), lr: opt.schedule(opt.cfg.lr, model.step - 1, epoch) };
    if (model.losses.length > 1) logs.loss = model.losses.reduce((t, l) => t + l.weight * (logs[`${l.name}_loss`] ?? 0), 0);
    if (val && val.n > 0) for (const [k, v] of Object.entries(await runEval(model, s, val, B, false))) if (typeof v === 'number') logs[`val_${k}`] = v;
    for (const c of callbacks) await c.onEpochEnd?.(epoch, logs, ctx);
  }
  for (const c of callbacks) await c.onTrainEnd?.(logs, ctx);
  return history;
}

function batchMetrics(r: Logs): Logs {
  delete r.loss;
  return r;
}

async function runEval(model: Trainable, s: Session, d: Data, B: number, confusion: boolean): Promise<EvalResult> {
  const metrics = new AllMetrics(model, s, d.shapes, confusion);
  const preds = lossInputs(s, d.shapes);
  for (let from = 0; from < d.n; from += B) {
    const b = Math.min(B, d.n - from);
    load(s, d, null, from, b);
    s.run('eval', b, d.shapes);
    metrics.update(s, preds, d, b);
  }
  const r: EvalResult = { loss: NaN, ...metrics.result(NaN) };
  if (model.losses.length > 1) r.loss = model.losses.reduce((t, l) => t + l.weight * ((r[`${l.name}_loss`] as number) ?? 0), 0);
  const m0 = metrics.each[0];
  if (m0.confusion) {
    const C = classesOf(model.losses[0].spec);
    r.confusionMatrix = Array.from({ length: C }, (_, i) => Array.from(m0.confusion!.subarray(i * C, i * C + C)));
  }
  return r;
}

export async function evaluate(model: Trainable, x: Inputs, y: Targets, o: EvaluateOptions): Promise<EvalResult> {
  if (!model.losses.length) throw new AxonError('BAD_CONFIG', 'call compile({ optimizer, loss }) before evaluate()');
  const d = prepare(model, x, y, 'evaluate');
  const B = batchSizeOf(o.batchSize, d.n);
  const s = await model.session(B, { use: 'eval', shapes: d.shapes });
  return runEval(model, s, d, Math.min(B, s.spec.maxBatch), o.confusionMatrix ?? false);
}

/** Outputs for x, in the form x came in (see Model.predict). */
export async function predict(model: Trainable, x: Inputs, o: PredictOptions): Promise<Tensor | Tensor[] | Record<string, Tensor>> {
  const d = prepare(model, x, undefined, 'predict', false);   // (the predict plan checks its f32 inputs)
  // Results never depend on a split the caller did not choose: a model with a per-call layer (dynamic
  // quantization) runs the call as one batch; others in batches of up to 1024 rows (row-independent: the same bits).
  const B = o.batchSize !== undefined ? batchSizeOf(o.batchSize, d.n) : model.layers.some((l) => l.perCall) ? Math.max(d.n, 1) : Math.min(Math.max(d.n, 1), 1024);
  const s = await model.session(B, { use: 'predict', shapes: d.shapes });
  const g = s.graphOf(d.shapes);
  const per = g.outputs.map((u) => g.units[u].outputShape);
  const outs = per.map((sh) => new Float32Array(d.n * sh.reduce((a, b) => a * b, 1)));
  for (let from = 0; from < d.n; from += B) {
    const b = Math.min(B, d.n - from);
    load(s, d, null, from, b);
    try { s.run('predict', b, d.shapes); } catch (e) { throw inputNotFinite(e, d, from, b) ?? e; }
    g.outputs.forEach((u, k) => { const F = outs[k].length / Math.max(d.n, 1); outs[k].set(s.bound.f32(s.outputs[u]).subarray(0, b * F), from * F); });
  }
  const ts = outs.map((data, k) => new Tensor(data, [d.n, ...per[k]]));
  if (x instanceof Tensor) return ts.length === 1 ? ts[0] : ts;
  if (Array.isArray(x)) return ts;
  return Object.fromEntries(model.outputNames.map((n, k) => [n, ts[k]]));
}
