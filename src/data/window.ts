// Sliding windows over a continuous multichannel stream (e.g. IMU samples): (T, C) → (N, size, C),
// N = floor((T - size) / step) + 1, each window starting `step` samples after the last (step = size/2
// is 50 % overlap). Per-sample labels reduce to one label per window: 'majority' (ties go to the
// smaller id), 'center' (the middle sample's) or 'max' (the largest id present: with event labels
// numbered above the background classes, any window touching an event is that event).
import { AxonError } from '../errors.js';
import { Tensor } from '../runtime/tensor.js';

export interface WindowOptions {
  /** samples per window (e.g. 128 = 2.56 s at 50 Hz) */
  size: number;
  /** samples between window starts (default size / 2: 50 % overlap) */
  step?: number;
}
export type WindowLabelRule = 'majority' | 'center' | 'max';

function geometry(T: number, o: WindowOptions, what: string): { size: number; step: number; n: number } {
  const size = o.size, step = o.step ?? Math.max(1, Math.floor(o.size / 2));
  if (!Number.isInteger(size) || size < 1) throw new AxonError('BAD_ARGUMENT', `${what}: window size must be a positive integer, got ${size}`);
  if (!Number.isInteger(step) || step < 1) throw new AxonError('BAD_ARGUMENT', `${what}: window step must be a positive integer, got ${step}`);
  return { size, step, n: T < size ? 0 : Math.floor((T - size) / step) + 1 };
}

/** Cuts a (T, C) stream (a Tensor, or a flat array with `channels`) into (N, size, C) windows; N may be 0. */
export function slidingWindows(stream: Tensor | Float32Array, o: WindowOptions, channels?: number): Tensor {
  const data = stream instanceof Tensor ? (stream.data as Float32Array) : stream;
  const C = stream instanceof Tensor ? (stream.shape.length === 1 ? 1 : stream.shape.slice(1).reduce((a, b) => a * b, 1)) : channels ?? 1;
  if (stream instanceof Tensor && stream.dtype !== 'f32') throw new AxonError('BAD_DTYPE', `slidingWindows: the stream must be f32, got ${stream.dtype}`);
  if (!Number.isInteger(C) || C < 1 || data.length % C) throw new AxonError('BAD_SHAPE', `slidingWindows: ${data.length} values are not whole samples of ${C} channels`);
  const T = data.length / C, { size, step, n } = geometry(T, o, 'slidingWindows');
  const out = new Float32Array(n * size * C);
  for (let w = 0; w < n; w++) out.set(data.subarray(w * step * C, (w * step + size) * C), w * size * C);
  return new Tensor(out, [n, size, C]);
}

/** One label per window of `slidingWindows` with the same options. */
export function windowLabels(labels: ArrayLike<number>, o: WindowOptions, rule: WindowLabelRule = 'majority'): Int32Array {
  const { size, step, n } = geometry(labels.length, o, 'windowLabels');
  const out = new Int32Array(n), counts = new Map<number, number>();
  for (let w = 0; w < n; w++) {
    const s = w * step;
    if (rule === 'center') { out[w] = labels[s + (size >> 1)]; continue; }
    let best = labels[s];
    if (rule === 'max') { for (let i = 1; i < size; i++) if (labels[s + i] > best) best = labels[s + i]; out[w] = best; continue; }
    if (rule !== 'majority') throw new AxonError('BAD_ARGUMENT', `windowLabels: rule "${rule as string}" is unknown (majority, center or max)`);
    counts.clear();
    for (let i = 0; i < size; i++) counts.set(labels[s + i], (counts.get(labels[s + i]) ?? 0) + 1);
    for (const [k, c] of counts) if (c > counts.get(best)! || (c === counts.get(best)! && k < best)) best = k;
    out[w] = best;
  }
  return out;
}
