// Windowed IMU datasets from the simulator (imu_sim.ts): every activity of every user recorded as
// one continuous stream, cut into windows (default 128 samples = 2.56 s at 50 Hz, 50 % overlap), so
// no window mixes two activities or two users. Optional fall and faulty-sensor recordings give the
// anomaly windows (label IMU_FALL / IMU_FAULTY: any window touching the event).
import { AxonError } from '../errors.js';
import { Tensor } from '../runtime/tensor.js';
import { IMU_ACTIVITIES, IMU_FAULTY, IMU_FALL, ImuFault, ImuUser, simulateImuRecording } from './imu_sim.js';
import { slidingWindows, windowLabels, WindowOptions } from './window.js';

export interface ImuDatasetOptions {
  /** seconds recorded per activity and user (default 60) */
  seconds?: number;
  /** fall recordings per user (8 s each, default 0) */
  falls?: number;
  /** faulty-sensor recordings per user (20 s each while walking, running or on stairs; the fault kinds in turn; default 0) */
  faults?: number;
  /** default { size: 128, step: 64 } */
  window?: WindowOptions;
  /** sampling rate in Hz (default 50) */
  rate?: number;
  seed?: number;
}

export interface ImuDataset {
  /** (N, size, 6) f32 windows */
  x: Tensor;
  /** (N) label ids: activities 0..5, IMU_FALL, IMU_FAULTY */
  y: Int32Array;
  /** (N) the user id of each window */
  user: Int32Array;
}

const FAULTS: ImuFault[] = ['stuckAxis', 'clipping', 'spikes', 'deadGyro'];
// faults are injected while moving: a stuck or clipped axis at rest reads as rest (nothing to detect)
const MOVING = ['walk', 'run', 'upstairs', 'downstairs'] as const;

/** Simulates and windows recordings for `users` (deterministic in the seed and the user ids). */
export function imuDataset(users: ImuUser[], o: ImuDatasetOptions = {}): ImuDataset {
  const win = o.window ?? { size: 128, step: 64 }, seconds = o.seconds ?? 60, seed = o.seed ?? 1;
  if (!users.length) throw new AxonError('BAD_ARGUMENT', 'imuDataset: give at least one user');
  const parts: Array<{ x: Tensor; y: Int32Array; user: number }> = [];
  const add = (u: ImuUser, rec: ReturnType<typeof simulateImuRecording>, keep?: number) => {
    const x = slidingWindows(rec.x, win, 6);
    const y = windowLabels(rec.labels, win, keep === undefined ? 'majority' : 'max');
    if (keep === undefined) return parts.push({ x, y, user: u.id });
    const idx = [...y.keys()].filter((i) => y[i] >= keep);  // event recordings: only the windows touching the event
    const S = x.shape[1] * 6, xs = new Float32Array(idx.length * S);
    idx.forEach((i, j) => xs.set((x.data as Float32Array).subarray(i * S, (i + 1) * S), j * S));
    parts.push({ x: new Tensor(xs, [idx.length, x.shape[1], 6]), y: Int32Array.from(idx, (i) => (y[i] === IMU_FAULTY ? IMU_FAULTY : IMU_FALL)), user: u.id });
  };
  for (const u of users) {
    const s = seed * 1_000_003 + u.id * 1009;
    IMU_ACTIVITIES.forEach((a, i) => add(u, simulateImuRecording(u, a, seconds, s + i, { rate: o.rate })));
    for (let f = 0; f < (o.falls ?? 0); f++) add(u, simulateImuRecording(u, 'walk', 8, s + 100 + f, { rate: o.rate, event: 'fall' }), IMU_FALL);
    for (let f = 0; f < (o.faults ?? 0); f++) add(u, simulateImuRecording(u, MOVING[f % 4], 20, s + 200 + f, { rate: o.rate, fault: FAULTS[(f + u.id) % 4] }), IMU_FAULTY);
  }
  const N = parts.reduce((a, p) => a + p.y.length, 0), S = win.size * 6;
  const x = new Float32Array(N * S), y = new Int32Array(N), user = new Int32Array(N);
  let at = 0;
  for (const p of parts) { x.set(p.x.data as Float32Array, at * S); y.set(p.y, at); user.fill(p.user, at, at + p.y.length); at += p.y.length; }
  return { x: new Tensor(x, [N, win.size, 6]), y, user };
}
