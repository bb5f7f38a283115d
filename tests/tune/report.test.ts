// The tuning report chart keeps its scale when one trial diverges: the trial is found, named
// "diverged", drawn clipped at the edge, and the ticks stay on the other trials' range.
import { describe, it, expect } from 'vitest';
import { tuneReportSvg, divergedTrials, ReportTrial } from '../../src/tune/report.js';

const curve = (from: number, to: number, n = 6) => Array.from({ length: n }, (_, i) => from + ((to - from) * i) / (n - 1));
const ok: ReportTrial[] = [0.093, 0.11, 0.12, 0.1, 0.14].map((v, id) => ({ id, state: 'complete', value: v, curve: curve(0.6, v) }));
const info = { metric: 'val_loss', method: 'grid', direction: 'min' as const };
const yLabels = (svg: string, panel: number) => [...svg.split('<g transform')[panel + 1].matchAll(/text-anchor="end">([^<]*)</g)].map((m) => Number(m[1]));

describe('tuning report', () => {
  it('finds the diverged trials: beyond the fence of the others, or failed with a curve (NaN)', () => {
    const trials: ReportTrial[] = [...ok, { id: 5, state: 'complete', value: 2.39, curve: curve(0.6, 2.39) }, { id: 6, state: 'failed', value: NaN, curve: [0.7, 5, 80] }];
    expect([...divergedTrials(trials, 'min')]).toEqual([5, 6]);
    expect(divergedTrials(ok, 'min').size).toBe(0);
    expect([...divergedTrials([...ok.map((t) => ({ ...t, value: 1 - t.value })), { id: 9, state: 'complete', value: 0.1, curve: [] }], 'max')]).toEqual([9]);
    // a long tail of poor trials (no gap wider than the spread below it) is data, not divergence
    const tail = [0.069, 0.074, 0.082, 0.09, 0.099, 0.1, 0.107, 0.51, 0.61, 0.76, 1.31, 2.45].map((v, id): ReportTrial => ({ id, state: 'complete', value: v, curve: [v] }));
    expect(divergedTrials(tail, 'min').size).toBe(0);
  });
  it('keeps the scale of the others and marks the diverged trial', () => {
    const trials: ReportTrial[] = [{ id: 0, state: 'complete', value: 2.39, curve: curve(0.6, 2.39) }, ...ok.map((t) => ({ ...t, id: t.id + 1 }))];
    const svg = tuneReportSvg(trials, info, 'digits');
    expect(svg).toContain('outliers, diverged or failed (1 off scale)');
    expect(svg).toContain('trial 0 (diverged)');             // its loss rose from 0.6 to 2.39
    expect(Math.max(...yLabels(svg, 0))).toBeLessThanOrEqual(0.2);        // trials panel: 0.093 … 0.14, not up to 2.39
    expect(Math.max(...yLabels(svg, 1))).toBeLessThanOrEqual(0.7);        // curves panel: the others' 0.6 … 0.093
    const plain = tuneReportSvg(ok, info, 'digits');
    expect(plain).not.toContain('diverged');
    expect(tuneReportSvg([...ok, { id: 5, state: 'failed', value: NaN, curve: [0.5, Infinity] }], info, 'd')).toContain('trial 5 (diverged)');
  });
});
