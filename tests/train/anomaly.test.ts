// Reconstruction-error anomaly scoring: per-sample errors against a hand computation, the
// calibrated quantile, and the detection counts.
import { describe, it, expect } from 'vitest';
import { reconstructionErrors, calibrateThreshold, detectionScores } from '../../src/train/anomaly.js';
import { Sequential, layers, Tensor, setDefaultEngineLoader } from '../../src/index.js';
import { engine } from '../helpers.js';
import { expectBad, expectBadAsync } from '../data/expect-bad.js';

setDefaultEngineLoader(() => engine());

describe('reconstructionErrors', () => {
  it('is the per-sample mean squared difference between the model output and its input', async () => {
    const m = new Sequential({ inputShape: [3], seed: 1 }).add(layers.dense({ units: 3, name: 'd' }));
    m.setWeights(new Map([['d.weight', Float32Array.from([2, 0, 0, 0, 2, 0, 0, 0, 2])], ['d.bias', Float32Array.from([1, 0, 0])]]));
    const x = new Tensor(Float32Array.from([1, 2, 3, 0, 0, 0]), [2, 3]);   // y = 2x + [1, 0, 0]
    const e = await reconstructionErrors(m, x);
    expect(e[0]).toBeCloseTo(((2 + 1 - 1) ** 2 + 2 ** 2 + 3 ** 2) / 3, 6);
    expect(e[1]).toBeCloseTo(1 / 3, 6);
  });
  it('refuses a model whose output is not its input size', async () => {
    const m = new Sequential({ inputShape: [3], seed: 1 }).add(layers.dense({ units: 2 }));
    await expectBadAsync(() => reconstructionErrors(m, new Tensor(new Float32Array(6), [2, 3])), 'BAD_SHAPE', /autoencoder/);
  });
});

describe('calibrateThreshold and detectionScores', () => {
  const normal = Array.from({ length: 101 }, (_, i) => i / 100);   // 0, 0.01, …, 1
  it('the quantile of the normal errors (interpolated), whatever their order', () => {
    expect(calibrateThreshold(normal, 0.9)).toBeCloseTo(0.9, 12);
    expect(calibrateThreshold([...normal].reverse(), 0.95)).toBeCloseTo(0.95, 12);
    expect(calibrateThreshold([1, 3], 0.5)).toBe(2);
    expectBad(() => calibrateThreshold(normal, 1), 'BAD_ARGUMENT', /quantile/);
    expectBad(() => calibrateThreshold([], 0.9), 'BAD_ARGUMENT', /no errors/);
    expectBad(() => calibrateThreshold([1, NaN], 0.9), 'NOT_FINITE', /non-finite/);
  });
  it('counts error > threshold against the truth', () => {
    const s = detectionScores([0.1, 0.5, 0.9, 0.2, 0.95], [false, true, true, false, false], 0.4);
    expect([s.tp, s.fp, s.fn, s.tn]).toEqual([2, 1, 0, 2]);
    expect(s.precision).toBeCloseTo(2 / 3, 12);
    expect(s.recall).toBe(1);
    expect(s.falseAlarmRate).toBeCloseTo(1 / 3, 12);
    expect(s.f1).toBeCloseTo(0.8, 12);
    expect(detectionScores([0.1], [1], 0.5)).toMatchObject({ tp: 0, fn: 1, precision: 0, recall: 0, f1: 0 });
    expectBad(() => detectionScores([1, 2], [true], 0), 'BAD_SHAPE', /2 errors but 1 labels/);
  });
});
