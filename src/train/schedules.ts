// Learning-rate schedules. The trainer evaluates one per optimizer step and writes the value into
// the plan's hyperparameter blocks, so any schedule works with every optimizer.
//   constant:     lr
//   step:         lr * gamma^floor(k / stepSize)
//   exponential:  lr * gamma^(k / decaySteps)            (decaySteps = 1: PyTorch ExponentialLR)
// k counts epochs (per: 'epoch', the default, like PyTorch schedulers stepped once an epoch) or
// optimizer steps (per: 'step', like Keras' ExponentialDecay with staircase off).
import { AxonError } from '../errors.js';

export type ScheduleConfig =
  | { type: 'constant' }
  | { type: 'step'; stepSize: number; gamma?: number; per?: 'epoch' | 'step' }
  | { type: 'exponential'; gamma: number; decaySteps?: number; per?: 'epoch' | 'step' };

export type Schedule = (lr0: number, step: number, epoch: number) => number;

export function makeSchedule(cfg: ScheduleConfig = { type: 'constant' }): Schedule {
  const counter = (per: 'epoch' | 'step' = 'epoch') => (step: number, epoch: number) => (per === 'epoch' ? epoch : step);
  switch (cfg.type) {
    case 'constant': return (lr) => lr;
    case 'step': {
      if (!(cfg.stepSize >= 1)) throw new AxonError('BAD_CONFIG', `step schedule: stepSize must be >= 1, got ${cfg.stepSize}`);
      const k = counter(cfg.per), g = cfg.gamma ?? 0.1;
      return (lr, s, e) => lr * g ** Math.floor(k(s, e) / cfg.stepSize);
    }
    case 'exponential': {
      if (!(cfg.gamma > 0 && cfg.gamma <= 1)) throw new AxonError('BAD_CONFIG', `exponential schedule: gamma must be in (0, 1], got ${cfg.gamma}`);
      const k = counter(cfg.per), d = cfg.decaySteps ?? 1;
      return (lr, s, e) => lr * cfg.gamma ** (k(s, e) / d);
    }
    default: throw new AxonError('BAD_CONFIG', `unknown schedule "${(cfg as { type: string }).type}"; use constant, step or exponential`);
  }
}
