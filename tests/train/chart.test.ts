// Chart axes: ticks on 1-2-5 steps with just enough decimals, the robust range that tells a diverged
// series from the rest, and the SVG drawing values off scale as clipped markers.
import { describe, it, expect } from 'vitest';
import { niceStep, niceTicks, robustRange } from '../../src/train/axis.js';
import { chartSvg } from '../../src/train/chart.js';
import { Rng } from '../../src/runtime/rng.js';

const isNice = (s: number) => { const e = Math.floor(Math.log10(s) + 1e-9), m = +(s / 10 ** e).toPrecision(6); return [1, 2, 5].includes(m); };
const labelsOf = (svg: string) => [...svg.matchAll(/text-anchor="end">([^<]*)</g)].map((m) => m[1]);

describe('niceTicks', () => {
  it('rounded ticks for the ranges charts meet', () => {
    expect(niceTicks(0, 1)).toMatchObject({ lo: 0, hi: 1, step: 0.2, labels: ['0.0', '0.2', '0.4', '0.6', '0.8', '1.0'] });
    expect(niceTicks(0.093, 2.39)).toMatchObject({ lo: 0, hi: 2.5, step: 0.5, labels: ['0.0', '0.5', '1.0', '1.5', '2.0', '2.5'] });
    expect(niceTicks(-0.29, 1.57).labels).toEqual(['-0.5', '0.0', '0.5', '1.0', '1.5', '2.0']);
    expect(niceTicks(0.9312, 0.9377).labels).toEqual(['0.930', '0.932', '0.934', '0.936', '0.938']);
    expect(niceTicks(0, 2e6).labels).toEqual(['0', '5e+5', '1e+6', '1.5e+6', '2e+6']);
    expect(niceTicks(1e-5, 3e-5).labels).toEqual(['1e-5', '1.5e-5', '2e-5', '2.5e-5', '3e-5']);
    expect(niceTicks(3, 3).labels).toEqual(['2.6', '2.8', '3.0', '3.2', '3.4']);
    expect([niceStep(0.25), niceStep(0.3), niceStep(0.7), niceStep(0.75), niceStep(0)]).toEqual([0.2, 0.2, 0.5, 1, 1]);
  });
  it('for random ranges: steps of 1, 2 or 5 × 10^k, the axis covers the data, 3–9 ticks for a target of 5', () => {
    const r = new Rng(5);
    for (let i = 0; i < 500; i++) {
      const a = (r.uniform() - 0.5) * 10 ** (r.int(10) - 4), b = a + r.uniform() * 10 ** (r.int(10) - 4) + 1e-9;
      const t = niceTicks(a, b);
      expect(isNice(t.step), `step ${t.step}`).toBe(true);
      expect(t.lo).toBeLessThanOrEqual(a + 1e-12 * Math.abs(a));
      expect(t.hi).toBeGreaterThanOrEqual(b - 1e-12 * Math.abs(b));
      expect(t.values.length).toBeGreaterThanOrEqual(3);
      expect(t.values.length).toBeLessThanOrEqual(9);
      t.values.forEach((v, k) => expect(Math.abs(v - (t.lo + k * t.step))).toBeLessThan(Math.max(t.step * 1e-6, Math.abs(v) * 1e-12)));
    }
  });
});

describe('robustRange', () => {
  it('fences off a diverged value, keeps an honest spread and short lists whole', () => {
    const r = robustRange([0.093, 0.1, 0.12, 2.39]);
    expect(r.clippedHigh).toBe(true);
    expect(r.hi).toBeLessThan(0.3);
    expect(r.lo).toBe(0.093);
    expect(robustRange([0.1, 0.2, 0.5, 0.9])).toEqual({ lo: 0.1, hi: 0.9, clippedLow: false, clippedHigh: false });
    expect(robustRange([1, 100, 1e4])).toMatchObject({ lo: 1, hi: 1e4, clippedHigh: false });
    expect(robustRange([0.5, 0.5, 0.5, 0.5, 40]).clippedHigh).toBe(false);  // MAD 0: no fence to draw
    expect(robustRange([NaN, Infinity])).toMatchObject({ lo: 0, hi: 1 });
  });
});

describe('chartSvg', () => {
  it('labels the y axis with rounded ticks', () => {
    const svg = chartSvg([{ series: [{ name: 'loss', values: [2.31, 1.2, 0.642, 0.176, 0.093] }], options: { title: 't' } }]);
    expect(labelsOf(svg)).toEqual(['0.0', '0.5', '1.0', '1.5', '2.0', '2.5']);
  });
  it('x labels per position replace the numbered ticks', () => {
    const svg = chartSvg([{ series: [{ name: 'a', values: [1, 2, 3] }], options: { title: 't', xLabels: ['u24', 'u25', 'u30'] } }]);
    expect([...svg.matchAll(/text-anchor="middle">(u\d+)</g)].map((m) => m[1])).toEqual(['u24', 'u25', 'u30']);
  });
  it('a y range clips a series: triangles at the edge, "off scale" in its legend, the others untouched', () => {
    const svg = chartSvg([{ series: [{ name: 'ok', values: [0.2, 0.15, 0.1] }, { name: 'bad', values: [0.3, 5, Infinity] }], options: { title: 't', yRange: [0, 0.3] } }]);
    expect(svg).toContain('bad (2 off scale)');
    expect(svg).not.toContain('ok (');
    expect(svg.match(/<path d="M/g)).toHaveLength(2);
    expect(Math.max(...labelsOf(svg).map(Number))).toBeLessThanOrEqual(0.4);
  });
  it('a given y range is the axis: [0, 100] ends at 100, not a rounded-out 120', () => {
    const svg = chartSvg([{ series: [{ name: 'acc', values: [30.8, 86.7, 94.7] }], options: { title: 't', yRange: [0, 100] } }]);
    const ticks = labelsOf(svg).map(Number);
    expect(Math.min(...ticks)).toBe(0);
    expect(Math.max(...ticks)).toBe(100);
  });
});
