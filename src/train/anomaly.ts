// Anomaly detection by reconstruction error: an autoencoder trained on normal data reconstructs
// normal windows well and anomalies badly. Per-sample error = mean squared difference; the
// threshold is calibrated on held-out NORMAL data only (a quantile of its errors, i.e. the false
// alarm rate accepted on normal data); precision/recall are counted on labelled held-out data.
import { AxonError } from '../errors.js';
import { Tensor } from '../runtime/tensor.js';
import type { Model } from '../model/model.js';

/** Per-sample mean squared error between `x` (N, …) and the model's reconstruction of it. */
export async function reconstructionErrors(model: Model, x: Tensor, batchSize = 64): Promise<Float64Array> {
  const y = (await model.predict(x, { batchSize })) as Tensor;
  if (y.size !== x.size) throw new AxonError('BAD_SHAPE', `reconstructionErrors: the model outputs [${y.shape}] for inputs [${x.shape}]; an autoencoder reproduces its input`);
  const N = x.shape[0], S = x.size / Math.max(N, 1), out = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    let s = 0;
    for (let i = n * S; i < (n + 1) * S; i++) s += (y.data[i] - x.data[i]) ** 2;
    out[n] = s / S;
  }
  return out;
}

/** The `quantile` (e.g. 0.99: 1 % false alarms on this data) of normal samples' errors, linearly interpolated. */
export function calibrateThreshold(normalErrors: ArrayLike<number>, quantile = 0.99): number {
  if (!(quantile > 0 && quantile < 1)) throw new AxonError('BAD_ARGUMENT', `calibrateThreshold: quantile must be in (0, 1), got ${quantile}`);
  if (!normalErrors.length) throw new AxonError('BAD_ARGUMENT', 'calibrateThreshold: no errors of normal samples to calibrate on');
  const s = Float64Array.from(normalErrors).sort();
  if (!Number.isFinite(s[s.length - 1])) throw new AxonError('NOT_FINITE', 'calibrateThreshold: non-finite reconstruction errors');
  const at = quantile * (s.length - 1), lo = Math.floor(at);
  return lo + 1 < s.length ? s[lo] + (at - lo) * (s[lo + 1] - s[lo]) : s[lo];
}

export interface DetectionScores { threshold: number; tp: number; fp: number; fn: number; tn: number; precision: number; recall: number; f1: number; falseAlarmRate: number }

/** Counts detections (error > threshold) against the truth (`anomalous[i]` true for anomalies). */
export function detectionScores(errors: ArrayLike<number>, anomalous: ArrayLike<boolean | number>, threshold: number): DetectionScores {
  if (errors.length !== anomalous.length) throw new AxonError('BAD_SHAPE', `detectionScores: ${errors.length} errors but ${anomalous.length} labels`);
  let tp = 0, fp = 0, fn = 0, tn = 0;
  for (let i = 0; i < errors.length; i++) {
    const hit = errors[i] > threshold, bad = !!anomalous[i];
    if (hit && bad) tp++; else if (hit) fp++; else if (bad) fn++; else tn++;
  }
  const precision = tp + fp ? tp / (tp + fp) : 0, recall = tp + fn ? tp / (tp + fn) : 0;
  return { threshold, tp, fp, fn, tn, precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0, falseAlarmRate: fp + tn ? fp / (fp + tn) : 0 };
}
