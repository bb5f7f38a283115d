// The synthetic IMU simulator checked against the physics it claims: gravity at rest, the gait at
// the user's cadence, posture tilts, the fall's free fall → impact → lying, the injected faults, and
// the windowed dataset's labels, users and determinism.
import { describe, it, expect } from 'vitest';
import { imuUser, simulateImuRecording, IMU_FALL, IMU_LYING, IMU_FAULTY, ImuRecording } from '../../src/data/imu_sim.js';
import { imuDataset } from '../../src/data/imu_dataset.js';
import { expectBad } from './expect-bad.js';

const RATE = 50;
const col = (r: ImuRecording, c: number, from = 0, to = r.samples) => Array.from({ length: to - from }, (_, k) => r.x[(from + k) * 6 + c]);
const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
const mag = (r: ImuRecording, k: number) => Math.hypot(r.x[k * 6], r.x[k * 6 + 1], r.x[k * 6 + 2]);
const gravity = (r: ImuRecording, from = 0, to = r.samples) => [0, 1, 2].map((c) => mean(col(r, c, from, to)));
const angle = (a: number[], b: number[]) => Math.acos((a[0] * b[0] + a[1] * b[1] + a[2] * b[2]) / Math.hypot(...a) / Math.hypot(...b));
/** The frequency (Hz) in [lo, hi] with the most power in the acceleration magnitude (plain DFT). */
function peakHz(r: ImuRecording, lo: number, hi: number): number {
  const m = Array.from({ length: r.samples }, (_, k) => mag(r, k)), mu = mean(m);
  let best = 0, bestP = -1;
  for (let f = lo; f <= hi; f += 0.01) {
    let re = 0, im = 0;
    m.forEach((v, k) => { re += (v - mu) * Math.cos(2 * Math.PI * f * k / RATE); im += (v - mu) * Math.sin(2 * Math.PI * f * k / RATE); });
    if (re * re + im * im > bestP) { bestP = re * re + im * im; best = f; }
  }
  return best;
}

describe('simulateImuRecording', () => {
  const user = imuUser(3, 1), thighUser = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => imuUser(i, 1)).find((u) => u.placement === 'thigh')!;
  it('standing still: |a| ≈ 1 g, gyroscope ≈ 0, small sway; same seed → same bits, other seed → other signal', () => {
    const r = simulateImuRecording(user, 'stand', 20, 5);
    expect(mean(Array.from({ length: r.samples }, (_, k) => mag(r, k)))).toBeCloseTo(1, 1);
    for (const c of [3, 4, 5]) expect(Math.abs(mean(col(r, c)))).toBeLessThan(0.05);
    expect(r.samples).toBe(1000);
    expect(simulateImuRecording(user, 'stand', 20, 5).x).toEqual(r.x);
    expect(simulateImuRecording(user, 'stand', 20, 6).x).not.toEqual(r.x);
  });
  it('walking and running: the step frequency is the cadence; running steps faster and harder', () => {
    const walk = simulateImuRecording(user, 'walk', 20, 1), run = simulateImuRecording(user, 'run', 20, 1);
    expect(Math.abs(peakHz(walk, 1, 4) - user.cadence) / user.cadence).toBeLessThan(0.08);
    expect(Math.abs(peakHz(run, 1, 5) - 1.55 * user.cadence) / user.cadence).toBeLessThan(0.12);
    const sd = (r: ImuRecording) => { const m = Array.from({ length: r.samples }, (_, k) => mag(r, k)), mu = mean(m); return Math.sqrt(mean(m.map((v) => (v - mu) ** 2))); };
    expect(sd(run)).toBeGreaterThan(2 * sd(walk));
  });
  it('sitting tilts a thigh-worn sensor by ≈ 1.4 rad against standing', () => {
    const a = angle(gravity(simulateImuRecording(thighUser, 'sit', 10, 2)), gravity(simulateImuRecording(thighUser, 'stand', 10, 2)));
    expect(a).toBeGreaterThan(1.2);
    expect(a).toBeLessThan(1.6);
  });
  it('a fall: free fall (|a| < 0.35 g), then an impact above 2.5 g, then lying with gravity turned ≈ 90°', () => {
    for (const seed of [1, 2, 3]) {
      const r = simulateImuRecording(user, 'walk', 8, seed, { event: 'fall' });
      const fall = r.labels.indexOf(IMU_FALL), lying = r.labels.indexOf(IMU_LYING);
      expect(fall).toBeGreaterThan(0);
      expect(lying).toBeGreaterThan(fall);
      const during = Array.from({ length: lying - fall }, (_, k) => mag(r, fall + k));
      const freeFall = during.findIndex((v) => v < 0.35), impact = during.findIndex((v) => v > 2.5);
      expect(freeFall).toBeGreaterThanOrEqual(0);
      expect(impact).toBeGreaterThan(freeFall);
      expect(impact - freeFall).toBeLessThan(0.6 * RATE);
      const before = gravity(r, 0, fall), after = gravity(r, lying, r.samples);
      expect(Math.abs(angle(before, after) - Math.PI / 2)).toBeLessThan(0.35);
    }
  });
  it('faults: a stuck axis, clipping at ±1.2 g, a dead gyroscope axis', () => {
    const stuck = simulateImuRecording(user, 'walk', 10, 4, { fault: 'stuckAxis' }), at = stuck.labels.indexOf(IMU_FAULTY);
    expect(at).toBeGreaterThanOrEqual(0);
    expect([0, 1, 2].some((c) => new Set(col(stuck, c, at)).size === 1)).toBe(true);
    const clip = simulateImuRecording(user, 'run', 10, 4, { fault: 'clipping' }), ca = clip.labels.indexOf(IMU_FAULTY);
    expect(Math.max(...[0, 1, 2].flatMap((c) => col(clip, c, ca).map(Math.abs)))).toBeLessThanOrEqual(Math.fround(1.2));
    const free = simulateImuRecording(user, 'run', 10, 4);  // the same run without the fault goes beyond the range
    expect(Math.max(...[0, 1, 2].flatMap((c) => col(free, c, ca).map(Math.abs)))).toBeGreaterThan(1.5);
    const dead = simulateImuRecording(user, 'walk', 10, 4, { fault: 'deadGyro' }), da = dead.labels.indexOf(IMU_FAULTY);
    expect([3, 4, 5].some((c) => col(dead, c, da).every((v) => v === 0))).toBe(true);
  });
  it('users differ: cadence, placement and mount; the atypical user limps slowly with the device upside down', () => {
    const us = Array.from({ length: 12 }, (_, i) => imuUser(i, 1));
    expect(new Set(us.map((u) => u.cadence)).size).toBe(12);
    expect(new Set(us.map((u) => u.placement)).size).toBe(2);
    const odd = imuUser(30, 1, true);
    expect([odd.cadence, odd.asymmetry, odd.placement]).toEqual([1.25, 0.35, 'thigh']);
    expect(gravity(simulateImuRecording(odd, 'stand', 5, 1))[2]).toBeLessThan(-0.7); // z reads −1 g
  });
  it('refuses unknown activities, bad rates and lengths', () => {
    expectBad(() => simulateImuRecording(user, 'swim' as 'walk', 5, 1), 'BAD_ARGUMENT', /"swim"/);
    expectBad(() => simulateImuRecording(user, 'walk', 5, 1, { rate: 0 }), 'BAD_ARGUMENT', /rate/);
    expectBad(() => simulateImuRecording(user, 'walk', -1, 1), 'BAD_ARGUMENT', /length/);
    expectBad(() => simulateImuRecording(user, 'sit', 8, 1, { event: 'fall' }), 'BAD_ARGUMENT', /fall/);
  });
});

describe('imuDataset', () => {
  it('windows every activity of every user (2.56 s, 50 % overlap); events only where they occur; deterministic', () => {
    const users = [imuUser(0, 2), imuUser(1, 2)];
    const d = imuDataset(users, { seconds: 10, falls: 1, faults: 1, seed: 3 });
    const per = Math.floor((500 - 128) / 64) + 1;
    expect(d.x.shape.slice(1)).toEqual([128, 6]);
    for (let a = 0; a < 6; a++) expect(d.y.filter((v) => v === a).length).toBe(2 * per);
    expect(d.y.filter((v) => v === IMU_FALL).length).toBeGreaterThan(0);
    expect(d.y.filter((v) => v === IMU_FAULTY).length).toBeGreaterThan(0);
    expect(d.y.length).toBe(d.x.shape[0]);
    expect(new Set(d.user)).toEqual(new Set([0, 1]));
    expect(imuDataset(users, { seconds: 10, falls: 1, faults: 1, seed: 3 }).x.data).toEqual(d.x.data);
    expectBad(() => imuDataset([]), 'BAD_ARGUMENT', /at least one user/);
  });
});
