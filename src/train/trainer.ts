// The training loop: epochs of seeded shuffled mini-batches, one plan call per step, metrics,
// validation, callbacks, and the NaN/Inf guard (the plan checks the loss and every gradient
// before any update, so a failed step leaves the weights at the last good state).
import { AxonError } from '../errors.js';
import { Rng } from '../runtime/rng.js';
import { Tensor } from '../runtime/tensor.js';
import { firstNonFinite } from '../runtime/finite.js';
import { size } from '../layers/layer.js';
import { lossPlan } from './loss.js';
import { Metrics } from './metrics.js';
import { Callback, History, Logs, TrainContext } from './callbacks.js';
import type { Model } from '../model/model.js';
import type { Session } from '../model/compiler.js';

export interface FitOptions {
  epochs?: number;
  /** samples per step; the whole set = full-batch GD, 1 = SGD */
  batchSize?: number;
  /** fraction of the data (the last samples, before shuffling, as Keras) held out for validation */
  validationSplit?: number;
  validationData?: [Tensor, Tensor];
  shuffle?: boolean;
  callbacks?: Callback[];
  /** seed for shuffling (default: the model's seed) */
  seed?: number;
  /** called to build the model file bytes for checkpoints */
  toBytes?: () => Uint8Array;
}

export interface EvaluateOptions { batchSize?: number; confusionMatrix?: boolean }
export interface EvalResult extends Record<string, unknown> { loss: number; confusionMatrix?: number[][] }

interface Data { x: Float32Array; y: Int32Array | Float32Array; n: number; xf: number; yf: number }

/** Checks shapes, dtypes, label ranges and finiteness once, and normalizes labels. */
function prepare(model: Model, x: Tensor, y: Tensor | undefined, what: string): Data {
  const xf = size(model.inputShape);
  if (x.shape.length !== model.inputShape.length + 1 || x.shape.slice(1).some((d, i) => d !== model.inputShape[i]))
    throw new AxonError('BAD_SHAPE', `${what}: x has shape [${x.shape}] but the model expects [n, ${model.inputShape}]`);
  const n = x.shape[0];
  const xs = x.data instanceof Float32Array ? x.data : Float32Array.from(x.data);
  const badX = firstNonFinite(xs);
  if (badX >= 0) throw new AxonError('NOT_FINITE', `${what}: x has a non-finite value at sample ${Math.floor(badX / xf)}; clean or impute the data first`);
  if (!y) return { x: xs, y: new Int32Array(0), n, xf, yf: 0 };
  const loss = model.loss!;
  if (y.shape[0] !== n) throw new AxonError('BAD_SHAPE', `${what}: x has ${n} samples but y has ${y.shape[0]}`);
  const C = loss.outputs;
  if (loss.targetDtype === 'i32') {
    let ids: Int32Array;
    if (y.shape.length === 2 && y.shape[1] === C && C > 1) {
      ids = new Int32Array(n);            // one-hot → class ids
      for (let r = 0; r < n; r++) { let b = 0; for (let c = 1; c < C; c++) if (y.data[r * C + c] > y.data[r * C + b]) b = c; ids[r] = b; }
    } else if (y.shape.length === 1 || (y.shape.length === 2 && y.shape[1] === 1)) {
      ids = Int32Array.from(y.data);
      for (let r = 0; r < n; r++) if (!(ids[r] >= 0 && ids[r] < C) || ids[r] !== y.data[r]) throw new AxonError('BAD_DATA', `${what}: label ${y.data[r]} of sample ${r} is not a class id in [0, ${C})`);
    } else throw new AxonError('BAD_SHAPE', `${what}: y has shape [${y.shape}]; ${loss.name} wants class ids [n] or one-hot [n, ${C}]`);
    return { x: xs, y: ids, n, xf, yf: 1 };
  }
  if (y.size !== n * C) throw new AxonError('BAD_SHAPE', `${what}: y has shape [${y.shape}] but the model outputs [n, ${model.outputShape}]`);
  const ys = Float32Array.from(y.data);
  const badY = firstNonFinite(ys);
  if (badY >= 0) throw new AxonError('NOT_FINITE', `${what}: y has a non-finite value at sample ${Math.floor(badY / C)}`);
  return { x: xs, y: ys, n, xf, yf: C };
}

/** Copies the rows `idx[from..from+B)` into the session's input and target buffers. */
function load(s: Session, d: Data, idx: Int32Array | null, from: number, B: number): void {
  const xb = s.bound.f32(s.x);
  const yb = s.target !== undefined && d.yf ? (d.y instanceof Int32Array ? s.bound.i32(s.target) : s.bound.f32(s.target)) : undefined;
  for (let r = 0; r < B; r++) {
    const i = idx ? idx[from + r] : from + r;
    xb.set(d.x.subarray(i * d.xf, (i + 1) * d.xf), r * d.xf);
    if (yb) yb.set(d.y.subarray(i * d.yf, (i + 1) * d.yf), r * d.yf);
  }
}

function batchSizeOf(v: number | undefined, n: number): number {
  const b = v ?? 32;
  if (!Number.isInteger(b) || b < 1) throw new AxonError('BAD_CONFIG', `batchSize must be a positive integer, got ${v}`);
  return Math.min(b, Math.max(n, 1));
}

/** Prediction buffer the loss and metrics read (logits when the final activation is fused). */
function lossInput(s: Session, model: Model): number {
  return s.src(s.predUnit(lossPlan(model.loss!, s.spec.units).skipLast));
}

export async function fit(model: Model, x: Tensor, y: Tensor, o: FitOptions): Promise<History> {
  if (!model.loss || !model.optimizer) throw new AxonError('BAD_CONFIG', 'call compile({ optimizer, loss }) before fit()');
  const epochs = o.epochs ?? 1;
  if (!Number.isInteger(epochs) || epochs < 1) throw new AxonError('BAD_CONFIG', `epochs must be a positive integer, got ${o.epochs}`);
  let all = prepare(model, x, y, 'fit');
  let val: Data | undefined;
  if (o.validationData) val = prepare(model, o.validationData[0], o.validationData[1], 'validationData');
  else if (o.validationSplit) {
    if (!(o.validationSplit > 0 && o.validationSplit < 1)) throw new AxonError('BAD_CONFIG', `validationSplit must be in (0, 1), got ${o.validationSplit}`);
    const nv = Math.floor(all.n * o.validationSplit), nt = all.n - nv;
    val = { ...all, x: all.x.subarray(nt * all.xf), y: all.y.subarray(nt * all.yf), n: nv };
    all = { ...all, x: all.x.subarray(0, nt * all.xf), y: all.y.subarray(0, nt * all.yf), n: nt };
  }
  if (all.n === 0) throw new AxonError('BAD_DATA', 'fit: no training samples');
  const B = batchSizeOf(o.batchSize, all.n);
  const s = await model.session(B);
  const opt = model.optimizer, fused = lossPlan(model.loss, s.spec.units);
  const metrics = new Metrics(model.metrics, model.loss, fused);
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
  const pred = lossInput(s, model);
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
      try { s.run('train', b); } catch (e) {
        model.step--;
        if (e instanceof AxonError && e.code === 'NOT_FINITE') throw new AxonError('NOT_FINITE', `training stopped at epoch ${epoch + 1}, step ${k + 1}: ${e.message}; weights are those of the last good step — lower the learning rate or check the data`, { ...e.details, epoch, step: k });
        throw e;
      }
      const lossValue = s.bound.f32(s.lossBuf)[0];
      metrics.update(s.bound.f32(pred), all.y instanceof Int32Array ? s.bound.i32(s.target!) : s.bound.f32(s.target!), b, lossValue);
      for (const c of callbacks) if (c.onBatchEnd) await c.onBatchEnd(model.step, { loss: lossValue, ...batchMetrics(metrics), samples: from + b }, ctx);
    }
    logs = { ...metrics.result(), lr: opt.schedule(opt.cfg.lr, model.step - 1, epoch) };
    if (val && val.n > 0) for (const [k, v] of Object.entries(await runEval(model, s, val, B, false))) if (typeof v === 'number') logs[`val_${k}`] = v;
    for (const c of callbacks) await c.onEpochEnd?.(epoch, logs, ctx);
  }
  for (const c of callbacks) await c.onTrainEnd?.(logs, ctx);
  return history;
}

function batchMetrics(m: Metrics): Logs {
  const r = m.result();
  delete r.loss;
  return r;
}

async function runEval(model: Model, s: Session, d: Data, B: number, confusion: boolean): Promise<EvalResult> {
  const metrics = new Metrics(model.metrics, model.loss!, lossPlan(model.loss!, s.spec.units), confusion);
  const pred = lossInput(s, model);
  for (let from = 0; from < d.n; from += B) {
    const b = Math.min(B, d.n - from);
    load(s, d, null, from, b);
    s.run('eval', b);
    metrics.update(s.bound.f32(pred), d.y instanceof Int32Array ? s.bound.i32(s.target!) : s.bound.f32(s.target!), b, s.bound.f32(s.lossBuf)[0]);
  }
  const r: EvalResult = { loss: NaN, ...metrics.result() };
  if (metrics.confusion) {
    const C = model.loss!.outputs;
    r.confusionMatrix = Array.from({ length: C }, (_, i) => Array.from(metrics.confusion!.subarray(i * C, i * C + C)));
  }
  return r;
}

export async function evaluate(model: Model, x: Tensor, y: Tensor, o: EvaluateOptions): Promise<EvalResult> {
  if (!model.loss) throw new AxonError('BAD_CONFIG', 'call compile({ optimizer, loss }) before evaluate()');
  const d = prepare(model, x, y, 'evaluate');
  const B = batchSizeOf(o.batchSize, d.n);
  const s = await model.session(B, { use: 'eval' });
  return runEval(model, s, d, Math.min(B, s.spec.maxBatch), o.confusionMatrix ?? false);
}

export async function predict(model: Model, x: Tensor, o: { batchSize?: number }): Promise<Tensor> {
  const d = prepare(model, x, undefined, 'predict');
  const s = await model.session(batchSizeOf(o.batchSize, d.n), { use: 'predict' });
  const B = Math.min(batchSizeOf(o.batchSize, d.n), s.spec.maxBatch);
  const outF = size(model.outputShape), out = new Float32Array(d.n * outF);
  for (let from = 0; from < d.n; from += B) {
    const b = Math.min(B, d.n - from);
    load(s, d, null, from, b);
    s.run('predict', b);
    out.set(s.bound.f32(s.output).subarray(0, b * outF), from * outF);
  }
  return new Tensor(out, [d.n, ...model.outputShape]);
}
