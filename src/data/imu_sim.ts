// Synthetic 6-axis IMU recordings (accelerometer in g, gyroscope in rad/s, body-worn device) from a
// small physical model, seeded and deterministic. SYNTHETIC: no real recording went into it; it
// stands in for a public dataset (none is reachable through the npm or Debian registries).
//
// Model, per sample (body frame: x forward, y left, z up; device frame = body frame rotated by the
// user's mount):
//   accelerometer = specific force = R_mountᵀ · (R_postureᵀ · [0, 0, g] + a_gait) / g
//   gyroscope     = R_mountᵀ · (ω_gait + ω_sway)
// * gait: step phase φ advances at the cadence (slowly wandering ±3 %); vertical a ∝ cos φ + a second
//   harmonic, forward ∝ sin φ, lateral and yaw/roll at the stride frequency φ/2; heel strikes are
//   Gaussian pulses; alternate steps scaled by 1 ± asymmetry (a limp). Walking, running and stairs
//   differ in cadence, amplitudes, impact height/width and forward lean (upstairs leans forward).
// * idle: postural sway = three slow sinusoids (0.1–0.6 Hz) on pitch and roll; the gyroscope reads
//   their analytic derivative. Sitting tilts the sensed segment (waist ≈ −0.25 rad, thigh ≈ 1.4 rad).
// * fall: walking, then free fall (specific force → ~0.1 g while the body pitches over at 3–5 rad/s),
//   an impact (3–7 g, ~80 ms, damped rebound), then lying still (gravity along the forward axis).
// * sensor: per-axis scale error (±2 %), constant bias plus a random-walk drift, white noise, clock
//   skew (±0.5 %) and sampling jitter (σ 1.5 ms: the signal is taken at jittered times, stamped as
//   uniform), 16-bit quantization over ±8 g / ±2000 °/s, saturation at the range.
// * faults (anomalies): one accelerometer axis stuck, range set too small (clipping at ±1.2 g),
//   spikes, or a dead gyroscope axis.
import { AxonError } from '../errors.js';
import { Rng } from '../runtime/rng.js';

/** The activity classes, in label order. */
export const IMU_ACTIVITIES = ['sit', 'stand', 'walk', 'run', 'upstairs', 'downstairs'] as const;
export type ImuActivity = (typeof IMU_ACTIVITIES)[number];
/** Per-sample labels: the activities 0..5, then the anomaly events. */
export const IMU_LABELS = [...IMU_ACTIVITIES, 'fall', 'lying', 'faulty'] as const;
export const IMU_FALL = 6, IMU_LYING = 7, IMU_FAULTY = 8;
export const IMU_CHANNELS = ['ax', 'ay', 'az', 'gx', 'gy', 'gz'] as const;
export type ImuFault = 'stuckAxis' | 'clipping' | 'spikes' | 'deadGyro';

/** One simulated person wearing one device: what makes users differ. */
export interface ImuUser {
  id: number;
  /** walking steps per second (1.6–2.0; the atypical user 1.25) */
  cadence: number;
  /** amplitude factor of every gait signal (0.8–1.25) */
  stride: number;
  /** alternate steps scaled by 1 ± asymmetry (0–0.15; the atypical user 0.35) */
  asymmetry: number;
  /** 'waist' (belt clip) or 'thigh' (trouser pocket) */
  placement: 'waist' | 'thigh';
  /** device orientation on the body: roll, pitch, yaw (rad) */
  mount: [number, number, number];
  /** postural sway amplitude (rad) */
  sway: number;
  /** phases of the gait harmonics (rad) */
  phases: [number, number, number, number];
  /** heel-strike impact factor (0.7–1.4) */
  impact: number;
}

/** Draws a user. `atypical`: a slow, limping gait and a device worn upside down in the pocket (the personalization case). */
export function imuUser(id: number, seed: number, atypical = false): ImuUser {
  const r = new Rng(seed * 7919 + id * 104729 + 17), u = (lo: number, hi: number) => lo + (hi - lo) * r.uniform();
  const placement = atypical || r.uniform() < 0.5 ? 'thigh' : 'waist';
  const mount: [number, number, number] = atypical ? [Math.PI + u(-0.2, 0.2), u(-0.3, 0.3), u(-0.6, 0.6)] : [u(-0.25, 0.25), u(-0.25, 0.25), u(-Math.PI, Math.PI)];
  return {
    id, placement, mount, cadence: atypical ? 1.25 : u(1.6, 2.0), stride: atypical ? 1.3 : u(0.8, 1.25),
    asymmetry: atypical ? 0.35 : u(0, 0.15), sway: u(0.006, 0.025), impact: atypical ? 1.5 : u(0.7, 1.4),
    phases: [u(0, 6.283), u(0, 6.283), u(0, 6.283), u(0, 6.283)],
  };
}

// per activity: cadence factor, vertical / forward / lateral amplitude (m/s²), impact (m/s²), impact
// width (s), forward lean (rad), gyro roll / pitch / yaw amplitude (rad/s)
const GAIT: Record<string, number[]> = {
  walk: [1.0, 2.0, 1.2, 0.8, 3, 0.035, 0.05, 0.3, 1.0, 0.4],
  run: [1.55, 7.0, 3.0, 1.5, 12, 0.025, 0.15, 0.6, 2.5, 0.8],
  upstairs: [0.8, 2.6, 0.8, 0.9, 2, 0.05, 0.22, 0.3, 1.5, 0.3],
  downstairs: [1.05, 2.4, 1.0, 1.0, 6.5, 0.02, -0.06, 0.35, 1.1, 0.5],
};
const G = 9.80665, RATE_LIMIT = [1, 1000];

export interface ImuRecording {
  /** (T, 6) f32: ax, ay, az in g; gx, gy, gz in rad/s */
  x: Float32Array;
  /** (T) per-sample label ids (IMU_LABELS) */
  labels: Int32Array;
  samples: number;
}

export interface ImuRecordOptions {
  /** 'fall' ends the recording with a fall at a random time in its second half */
  event?: 'fall';
  fault?: ImuFault;
  /** sampling rate in Hz (default 50) */
  rate?: number;
}

/** Rotation matrix (row-major 3×3) of roll (x), pitch (y), yaw (z): R = Rz · Ry · Rx. */
function rotation(roll: number, pitch: number, yaw: number): number[] {
  const [cr, sr, cp, sp, cy, sy] = [Math.cos(roll), Math.sin(roll), Math.cos(pitch), Math.sin(pitch), Math.cos(yaw), Math.sin(yaw)];
  return [cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr, sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr, -sp, cp * sr, cp * cr];
}
/** out = Rᵀ · v */
const rotT = (R: number[], v: number[]) => [0, 1, 2].map((j) => R[j] * v[0] + R[3 + j] * v[1] + R[6 + j] * v[2]);

/** Simulates one continuous recording of `seconds` of an activity by one user, seeded by `seed`. */
export function simulateImuRecording(user: ImuUser, activity: ImuActivity, seconds: number, seed: number, opts: ImuRecordOptions = {}): ImuRecording {
  const rate = opts.rate ?? 50;
  if (!IMU_ACTIVITIES.includes(activity)) throw new AxonError('BAD_ARGUMENT', `IMU activity "${activity}" is unknown; use one of ${IMU_ACTIVITIES.join(', ')}`);
  if (!(rate >= RATE_LIMIT[0] && rate <= RATE_LIMIT[1])) throw new AxonError('BAD_ARGUMENT', `IMU sampling rate must be in [1, 1000] Hz, got ${rate}`);
  if (!(seconds > 0 && seconds <= 3600)) throw new AxonError('BAD_ARGUMENT', `IMU recording length must be in (0, 3600] s, got ${seconds}`);
  if (opts.event === 'fall' && (activity !== 'walk' || seconds < 4)) throw new AxonError('BAD_ARGUMENT', 'a fall recording starts walking and needs at least 4 s');
  const r = new Rng(seed), n = () => r.normal(), u = (lo: number, hi: number) => lo + (hi - lo) * r.uniform();
  const T = Math.round(seconds * rate), x = new Float32Array(T * 6), labels = new Int32Array(T).fill(IMU_ACTIVITIES.indexOf(activity));
  const mount = rotation(...user.mount), thigh = user.placement === 'thigh';
  const gait = GAIT[activity], skew = 1 + u(-0.005, 0.005);
  const scale = [0, 1, 2, 3, 4, 5].map(() => 1 + 0.02 * n()), bias = [0, 1, 2].map(() => 0.02 * n()).concat([0, 1, 2].map(() => 0.01 * n()));
  const swayF = [u(0.1, 0.25), u(0.25, 0.4), u(0.4, 0.6)], swayP = [u(0, 6.3), u(0, 6.3), u(0, 6.3), u(0, 6.3), u(0, 6.3), u(0, 6.3)];
  const sitTilt = activity === 'sit' ? (thigh ? 1.4 : -0.25) + u(-0.1, 0.1) : 0, swayAmp = user.sway * (activity === 'sit' ? 0.5 : 1);
  const cadence = gait ? user.cadence * gait[0] * u(0.96, 1.04) : 0, wander = u(0, 6.3);
  // the fall: onset, free-fall length, direction (forward / backward), impact height
  const fallAt = opts.event === 'fall' ? u(seconds * 0.5, seconds - 2.2) : Infinity, ff = u(0.35, 0.5), dir = r.uniform() < 0.6 ? 1 : -1;
  const impactG = u(3, 7), lieRoll = u(-0.4, 0.4);
  const faultAxis = r.int(3), faultAt = opts.fault ? u(0, seconds * 0.3) : Infinity;
  let phase = u(0, 6.283), held = 0;
  for (let k = 0; k < T; k++) {
    const t = (k / rate + 0.0015 * n()) * skew;
    if (gait && t < fallAt) phase += 2 * Math.PI * cadence * (1 + 0.03 * Math.sin(2 * Math.PI * 0.05 * t + wander)) / rate;
    // posture: lean or sitting tilt plus sway (and its derivative for the gyroscope)
    let pitch = sitTilt + (gait ? gait[6] : 0), roll = 0, wp = 0, wr = 0;
    for (let i = 0; i < 3; i++) {
      const a = swayAmp / (i + 1), w = 2 * Math.PI * swayF[i];
      pitch += a * Math.sin(w * t + swayP[i]); wp += a * w * Math.cos(w * t + swayP[i]);
      roll += a * Math.sin(w * t + swayP[3 + i]); wr += a * w * Math.cos(w * t + swayP[3 + i]);
    }
    let acc = [0, 0, 0], gyr = [wr, wp, 0], gScale = 1;
    if (gait && t < fallAt) {
      const step = Math.floor(phase / Math.PI / 2), side = 1 + user.asymmetry * (step % 2 ? 1 : -1), amp = user.stride * side;
      const [p1, p2, p3, p4] = user.phases, sinceStrike = (((phase % (2 * Math.PI)) + 2 * Math.PI) % (2 * Math.PI)) / (2 * Math.PI * cadence);
      const strike = gait[4] * user.impact * side * (Math.exp(-0.5 * (sinceStrike / gait[5]) ** 2) + Math.exp(-0.5 * ((sinceStrike - 1 / cadence) / gait[5]) ** 2));
      acc = [amp * gait[2] * Math.sin(phase + p1) + 0.3 * strike, amp * gait[3] * Math.sin(phase / 2 + p3),
        amp * gait[1] * (Math.cos(phase) + 0.35 * Math.cos(2 * phase + p2)) + strike];
      const swing = thigh ? 2 : 1;
      const st = user.stride; // stride-frequency terms are not scaled per step (that would turn the walker)
      gyr = [wr + st * gait[7] * Math.sin(phase / 2 + p4), wp + gait[8] * swing * (0.5 * amp * Math.sin(phase + p2) + st * Math.sin(phase / 2 + p3)), st * gait[9] * Math.sin(phase / 2 + p1)];
    } else if (t >= fallAt) {
      const s = t - fallAt;
      if (s < ff) { // free fall: the body pitches over, specific force collapses
        const f = s / ff;
        pitch += dir * (Math.PI / 2) * f * f; gyr = [1.5 * dir * n() * 0.3, dir * Math.PI * f / ff, 0.5 * n()];
        gScale = 1 - 0.9 * Math.min(1, f * 3);
        labels[k] = IMU_FALL;
      } else { // impact, rebound, then lying still
        const q = s - ff, decay = Math.exp(-q / 0.08);
        pitch = dir * Math.PI / 2 + 0.02 * Math.sin(2 * Math.PI * 0.2 * t + swayP[0]); roll = lieRoll;
        acc = [dir * impactG * G * 0.5 * decay * Math.cos(2 * Math.PI * 12 * q), 0.4 * impactG * G * decay * n() * 0.3, impactG * G * decay * Math.cos(2 * Math.PI * 8 * q)];
        gyr = [3 * decay * n(), 4 * dir * decay * Math.cos(2 * Math.PI * 6 * q), 2 * decay * n()];
        labels[k] = q < 1 ? IMU_FALL : IMU_LYING;
      }
    }
    if (thigh && gait && t < fallAt) pitch += 0.5 * Math.sin(phase / 2 + user.phases[2]) * gait[8] / 2.5; // the thigh swings
    const posture = rotation(roll, pitch, 0), grav = rotT(posture, [0, 0, G * gScale]);
    const fd = rotT(mount, [grav[0] + acc[0], grav[1] + acc[1], grav[2] + acc[2]]), wd = rotT(mount, gyr);
    for (let c = 0; c < 6; c++) {
      bias[c] += (c < 3 ? 0.002 : 0.001) * Math.sqrt(1 / rate) * n(); // drift: a random walk
      let v = (c < 3 ? fd[c] / G : wd[c - 3]) * scale[c] + bias[c] + (c < 3 ? 0.012 : 0.008) * n();
      const range = c < 3 ? 8 : 34.9, lsb = (2 * range) / 65536;
      v = Math.max(-range, Math.min(range - lsb, Math.round(v / lsb) * lsb));
      x[k * 6 + c] = v;
    }
    if (t >= faultAt) {
      labels[k] = IMU_FAULTY;
      const o = k * 6;
      if (opts.fault === 'stuckAxis') { if (held === 0) held = x[o + faultAxis] || 1e-3; x[o + faultAxis] = held; }
      else if (opts.fault === 'clipping') for (let c = 0; c < 3; c++) x[o + c] = Math.max(-1.2, Math.min(1.2, x[o + c]));
      else if (opts.fault === 'spikes') { if (r.uniform() < 0.08) x[o + r.int(6)] += (r.uniform() < 0.5 ? -1 : 1) * u(2, 6); }
      else if (opts.fault === 'deadGyro') x[o + 3 + faultAxis] = 0;
    }
  }
  return { x, labels, samples: T };
}
