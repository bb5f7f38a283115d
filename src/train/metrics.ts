// Metrics computed on the host from each batch's predictions (logits or probabilities) and
// targets: accuracy, top-k accuracy, MSE, MAE, and a confusion matrix for evaluate().
import { AxonError } from '../errors.js';
import { classesOf, type LossSpec, type Fusion } from './loss.js';

export type MetricConfig = 'accuracy' | 'mse' | 'mae' | { type: 'topKAccuracy'; k: number };

export class Metrics {
  private sums = new Map<string, number>();
  private count = 0;
  confusion?: Int32Array;

  constructor(readonly metrics: MetricConfig[], readonly loss: LossSpec, readonly fused: Fusion, withConfusion = false) {
    const ce = loss.targetDtype === 'i32';
    for (const m of metrics) {
      const name = metricName(m);
      if ((name === 'mse' || name === 'mae') && ce) throw new AxonError('BAD_CONFIG', `metric ${name} needs float targets; with ${loss.name} use accuracy or topKAccuracy`);
      if (typeof m === 'object' && (!ce || !(m.k >= 1))) throw new AxonError('BAD_CONFIG', 'topKAccuracy needs a cross-entropy loss and k >= 1');
      if (name === 'accuracy' && loss.name === 'mse') throw new AxonError('BAD_CONFIG', 'accuracy is not defined for an mse loss; use mae or mse');
    }
    if (withConfusion && ce) this.confusion = new Int32Array(classesOf(loss) ** 2);
  }

  reset(): void { this.sums.clear(); this.count = 0; this.confusion?.fill(0); }

  /** pred: (batch, outputs) as the loss sees them; target: i32 class ids (one per position) or f32 values. Accuracy averages a sample's positions. */
  update(pred: Float32Array, target: Int32Array | Float32Array, batch: number, lossValue: number): void {
    const C = classesOf(this.loss), P = this.loss.positions, rows = batch * P;
    this.add('loss', lossValue * (this.loss.reduction === 'mean' ? batch : 1));
    for (const m of this.metrics) {
      const name = metricName(m);
      let s = 0;
      if (this.loss.targetDtype === 'i32') {
        const k = typeof m === 'object' ? m.k : 1;
        for (let r = 0; r < rows; r++) s += rankOf(pred, r * C, C, target[r]) < k ? 1 / P : 0;
      } else if (name === 'accuracy') {
        const thr = this.fused.kind === 'bce_logits' ? 0 : 0.5;
        for (let r = 0; r < batch; r++) {
          let ok = 0;
          for (let c = 0; c < C; c++) ok += (pred[r * C + c] > thr) === (target[r * C + c] > 0.5) ? 1 : 0;
          s += ok / C;
        }
      } else {
        for (let i = 0; i < batch * C; i++) { const d = pred[i] - target[i]; s += (name === 'mse' ? d * d : Math.abs(d)) / C; }
      }
      this.add(name, s);
    }
    if (this.confusion) for (let r = 0; r < rows; r++) this.confusion[target[r] * C + argmax(pred, r * C, C)]++;
    this.count += batch;
  }

  /** Averages per sample. */
  result(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of this.sums) out[k] = v / Math.max(this.count, 1);
    return out;
  }

  private add(k: string, v: number): void { this.sums.set(k, (this.sums.get(k) ?? 0) + v); }
}

export function metricName(m: MetricConfig): string { return typeof m === 'string' ? m : `top${m.k}Accuracy`; }

function argmax(a: Float32Array, off: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (a[off + i] > a[off + best]) best = i;
  return best;
}

/** How many entries of the row beat the target's score (0 = top-1). */
function rankOf(a: Float32Array, off: number, n: number, target: number): number {
  const v = a[off + target];
  let r = 0;
  for (let i = 0; i < n; i++) if (a[off + i] > v || (a[off + i] === v && i < target)) r++;
  return r;
}

/** The metrics of one output: all of a list, or the output's entry of a { output: metrics } map (unknown outputs refused). */
export function metricsFor(m: MetricConfig[] | Record<string, MetricConfig[]>, output: string, outputs?: string[]): MetricConfig[] {
  if (Array.isArray(m)) return m;
  if (outputs) for (const k of Object.keys(m)) if (!outputs.includes(k)) throw new AxonError('BAD_CONFIG', `metrics names "${k}", which is not an output with a loss (${outputs.join(', ')})`);
  return m[output] ?? [];
}
