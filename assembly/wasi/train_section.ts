// The TRAIN section of a bundle compiled for on-device training (layout: src/wasi/bundle_train.ts):
// read and checked here, used by train.ts. Step t's learning rate and Adam's bias corrections are
// computed from it with the formulas of src/train/schedules.ts and optimizers.ts (f64, then f32).
import { EX_DATAERR, fail } from './io';

// @ts-ignore: decorator
@inline function W(p: usize, i: u32): u32 { return load<u32>(p + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline function F64(p: usize, i: u32): f64 { return load<f64>(p + (<usize>i << 2)); }

export class TrainSection {
  p: usize = 0;
  opt: u32 = 0; sched: u32 = 0; per: u32 = 0; stepSize: u32 = 0; firstStep: u32 = 1; sum: bool = false;
  L: u32 = 0; F: u32 = 0; R: u32 = 0;
  lr0: f64 = 0; gamma: f64 = 1; decay: f64 = 1; beta1: f64 = 0.9; beta2: f64 = 0.999;

  lossWeight(l: u32): f64 { return F64(this.p, 22 + 2 * l); }
  shift(j: u32): f64 { return F64(this.p, 22 + 2 * this.L + 2 * j); }
  div(j: u32): f64 { return F64(this.p, 22 + 2 * this.L + 2 * this.F + 2 * j); }
  regionOffset(r: u32): u32 { return W(this.p, 22 + 2 * this.L + 4 * this.F + 2 * r); }
  regionBytes(r: u32): u32 { return W(this.p, 22 + 2 * this.L + 4 * this.F + 2 * r + 1); }
  stateBytes(): usize { let s: usize = 0; for (let r: u32 = 0; r < this.R; r++) s += <usize>this.regionBytes(r); return s; }

  /** The learning rate of optimizer step t (1-based, over all runs) in epoch `epoch` (0-based), from base rate lr. */
  lr(lr: f64, t: u32, epoch: u32): f64 {
    if (this.sched == 0) return lr;
    const k = <f64>(this.per == 1 ? t - 1 : epoch);
    return this.sched == 1 ? lr * Math.pow(this.gamma, Math.floor(k / <f64>this.stepSize)) : lr * Math.pow(this.gamma, k / this.decay);
  }
}

function bad(name: string, msg: string): void { fail(EX_DATAERR, `bundle ${name}: TRAIN section: ${msg}`); }

/** Checks the section's counts, values and regions (inside an arena of arenaBytes, 4-aligned). */
export function parseTrainSection(p: usize, len: usize, arenaBytes: u32, losses: u32, name: string): TrainSection {
  const t = new TrainSection();
  t.p = p;
  if (len < 88 || (p & 7) != 0) bad(name, 'truncated');
  if (W(p, 0) != 1) bad(name, `version ${W(p, 0)} is not supported (this program reads version 1)`);
  t.opt = W(p, 1); t.sched = W(p, 2); t.per = W(p, 3); t.stepSize = W(p, 4); t.firstStep = W(p, 5); t.sum = W(p, 6) != 0;
  t.L = W(p, 7); t.F = W(p, 8); t.R = W(p, 9);
  if (t.opt > 2 || t.sched > 2 || t.per > 1 || t.firstStep < 1 || W(p, 6) > 1) bad(name, 'unknown optimizer, schedule or reduction');
  if (t.sched == 1 && t.stepSize < 1) bad(name, 'a step schedule needs stepSize >= 1');
  if (t.L != losses || t.F > (1 << 24) || t.R > (1 << 20)) bad(name, `it describes ${t.L} losses (the IO section ${losses}), ${t.F} normalizer values and ${t.R} state regions`);
  if ((22 + 2 * <u64>t.L + 4 * <u64>t.F + 2 * <u64>t.R) * 4 > <u64>len) bad(name, 'truncated');
  t.lr0 = F64(p, 12); t.gamma = F64(p, 14); t.decay = F64(p, 16); t.beta1 = F64(p, 18); t.beta2 = F64(p, 20);
  const ok = (v: f64): bool => v - v == 0;
  if (!(ok(t.lr0) && t.lr0 >= 0 && ok(t.gamma) && t.gamma > 0 && ok(t.decay) && t.decay > 0 && ok(t.beta1) && ok(t.beta2))) bad(name, 'a learning rate, gamma, decay or beta is not a finite positive number');
  for (let l: u32 = 0; l < t.L; l++) if (!(ok(t.lossWeight(l)) && t.lossWeight(l) >= 0)) bad(name, `loss weight ${l} is not a finite non-negative number`);
  for (let j: u32 = 0; j < t.F; j++) if (!(ok(t.shift(j)) && ok(t.div(j)) && t.div(j) > 0)) bad(name, `normalizer value ${j}: shift must be finite and div finite and positive`);
  for (let r: u32 = 0; r < t.R; r++) {
    const off = t.regionOffset(r), n = t.regionBytes(r);
    if ((off & 3) != 0 || (n & 3) != 0 || <u64>off + <u64>n > <u64>arenaBytes) bad(name, `state region ${r} lies outside the ${arenaBytes}-byte arena`);
  }
  return t;
}
