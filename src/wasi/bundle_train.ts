// The TRAIN section (kind 7) of a WASI bundle compiled for on-device training (`device: true`): what
// the program needs to compute every step's hyperparameters itself (optimizer kind, base learning
// rate, schedule, Adam's betas as f64: the same formulas as src/train/optimizers.ts and schedules.ts),
// the losses' weights and reduction (to average losses as the trainer's metrics do), the input
// normalizer to apply on the device (optional), and the arena regions that make up the training
// state (parameters, optimizer state, generator state) for checkpoints.
//
// Little-endian words; f64 values on 8-byte boundaries (the section starts 16-aligned):
//   w0 version (1)   w1 optimizer (0 sgd family, 1 rmsprop, 2 adam family)   w2 schedule (0 constant,
//   1 step, 2 exponential)   w3 per (0 epoch, 1 step)   w4 stepSize   w5 first step (model.step + 1)
//   w6 reduction (0 mean, 1 sum)   w7 losses L   w8 normalizer values F (0: none; input 0's per-sample
//   values cycle over them)   w9 state regions R   w10, w11 zero
//   f64 at w12: lr0, gamma, decaySteps, beta1, beta2; then L f64 loss weights, F f64 shift, F f64 div;
//   then R x (arena offset, bytes).
import { AxonError } from '../errors.js';
import { Normalizer } from '../data/normalize.js';
import type { Model } from '../model/model.js';

export const TRAIN_SECTION = 7;
const OPT = { sgd: 0, momentum: 0, nesterov: 0, rmsprop: 1, adam: 2, adamw: 2 } as const;

/** The section bytes; `normalize`: embed the model's saved normalizer (model.extra.normalizer) for input 0. */
export function trainSection(model: Model, state: Array<{ offset: number; bytes: number }>, normalize: boolean): Uint8Array {
  const opt = model.optimizer!, c = opt.cfg, sch = c.schedule ?? { type: 'constant' as const };
  let shift: ArrayLike<number> = [], div: ArrayLike<number> = [];
  if (normalize) {
    const j = model.extra?.normalizer;
    if (!j) throw new AxonError('BAD_CONFIG', 'bundle: normalize on the device needs the model file\'s saved normalizer (graph.extra.normalizer); this model has none');
    if (model.inputs[0].dtype !== 'f32') throw new AxonError('BAD_CONFIG', 'bundle: the normalizer applies to an f32 input');
    const n = Normalizer.fromJSON(j, 'model normalizer');
    shift = n.shift; div = n.div;
  }
  const L = model.losses.length, F = shift.length, R = state.length;
  const words = 12 + 10 + 2 * L + 4 * F + 2 * R;
  const buf = new ArrayBuffer(words * 4), u = new Uint32Array(buf), f = new Float64Array(buf, 0, Math.floor(words / 2));
  const type = sch.type === 'step' ? 1 : sch.type === 'exponential' ? 2 : 0;
  const per = sch.type === 'constant' ? 0 : (sch.per ?? 'epoch') === 'step' ? 1 : 0;
  u.set([1, OPT[c.type], type, per, sch.type === 'step' ? sch.stepSize : 0, model.step + 1, model.losses.some((l) => l.spec.reduction === 'sum') ? 1 : 0, L, F, R]);
  f.set([c.lr, sch.type === 'step' ? sch.gamma ?? 0.1 : sch.type === 'exponential' ? sch.gamma : 1, sch.type === 'exponential' ? sch.decaySteps ?? 1 : 1, c.beta1 ?? 0.9, c.beta2 ?? 0.999], 6);
  f.set(model.losses.map((l) => l.weight), 11);
  f.set(shift, 11 + L); f.set(div, 11 + L + F);
  let w = 22 + 2 * L + 4 * F;
  for (const r of state) { u[w++] = r.offset; u[w++] = r.bytes; }
  return new Uint8Array(buf);
}
