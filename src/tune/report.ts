// The tuning report chart (axon tune's report.svg): the metric of every trial with the best so far,
// and the learning curves of the best trials. A trial that diverged (non-finite, or failed as
// non-finite, or far off: beyond the robust fence of the completed trials' values, median ± 5·MAD,
// and beyond the largest gap among them, a gap wider than the spread below it) does not
// set the y range: the curves of the others stay readable, the diverged values are drawn clipped at
// the edge (triangles) and the trial is named in the legend: "diverged" when it failed, went
// non-finite or got worse over its epochs, else "outlier".
import { chartSvg, Series } from '../train/chart.js';
import { robustRange } from '../train/axis.js';

export interface ReportTrial { id: number; state: 'complete' | 'pruned' | 'failed'; value: number; curve: number[] }
export interface ReportInfo { metric: string; method: string; direction: 'min' | 'max' }

/** Trial ids that diverged, by the rule in the header. */
export function divergedTrials(trials: ReportTrial[], direction: 'min' | 'max'): Set<number> {
  const sign = direction === 'max' ? -1 : 1;
  const done = trials.filter((t) => t.state === 'complete' && Number.isFinite(t.value));
  const r = robustRange(done.map((t) => t.value));
  // far off: beyond the MAD fence and above the largest gap of the sorted values, that gap wider
  // than the whole spread below it (one or two trials far from all the others, not a long tail)
  const v = done.map((t) => sign * t.value).sort((a, b) => a - b);
  let cut = Infinity, gap = 0;
  for (let i = 0; i + 1 < v.length; i++) if (v[i + 1] - v[i] > gap) { gap = v[i + 1] - v[i]; cut = v[i + 1]; }
  const below = v.filter((x) => x < cut);
  if (!(below.length >= v.length / 2 && gap > below[below.length - 1] - below[0])) cut = Infinity;
  const beyond = (x: number) => sign * x >= cut && (direction === 'min' ? x > r.hi : x < r.lo);
  return new Set(trials.filter((t) => (t.state === 'failed' && t.curve.length > 0) || (t.state === 'complete' && beyond(t.value)) || t.curve.some((x) => !Number.isFinite(x))).map((t) => t.id));
}

/** The two-panel SVG. */
export function tuneReportSvg(trials: ReportTrial[], info: ReportInfo, title: string): string {
  const sign = info.direction === 'max' ? -1 : 1, diverged = divergedTrials(trials, info.direction);
  let best = NaN;
  const bestSoFar = trials.map((t) => { if (t.state === 'complete' && !diverged.has(t.id) && !(sign * t.value >= sign * best)) best = t.value; return best; });
  const sane = trials.filter((t) => !diverged.has(t.id));
  const top = sane.filter((t) => t.state === 'complete').sort((a, b) => sign * (a.value - b.value)).slice(0, 5);
  const pruned = sane.filter((t) => t.state === 'pruned').slice(0, 2);
  const shown = trials.filter((t) => diverged.has(t.id)).slice(0, 2);
  const offScale = info.direction === 'min' ? Infinity : -Infinity;
  // diverged: failed, non-finite, or its metric got worse over its epochs; else just an outlier
  const rising = (t: ReportTrial) => t.state === 'failed' || t.curve.some((v) => !Number.isFinite(v)) || (t.curve.length > 1 && sign * (t.curve[t.curve.length - 1] - t.curve[0]) > 0);
  const curves: Series[] = [
    ...top.map((t) => ({ name: `trial ${t.id}`, values: t.curve })),
    ...pruned.map((t) => ({ name: `trial ${t.id} (pruned)`, values: t.curve, dashed: true })),
    ...shown.map((t) => ({ name: `trial ${t.id} (${rising(t) ? 'diverged' : 'outlier'})`, values: t.curve.map((v) => (Number.isFinite(v) ? v : offScale)), color: '#d62728', dashed: true })),
  ];
  const span = (vs: number[]): [number, number] | undefined => { const f = vs.filter(Number.isFinite); return f.length ? [Math.min(...f), Math.max(...f)] : undefined; };
  const perTrial: Series[] = [
    { name: `${info.metric} (completed)`, values: trials.map((t) => (t.state === 'complete' && !diverged.has(t.id) ? t.value : NaN)) },
    { name: 'best so far', values: bestSoFar, dashed: true },
    ...(diverged.size ? [{ name: 'outliers, diverged or failed', values: trials.map((t) => (diverged.has(t.id) ? (Number.isFinite(t.value) ? t.value : offScale) : NaN)), color: '#d62728' }] : []),
  ];
  return chartSvg([
    { series: perTrial, options: { title: `${title}: ${info.method} search`, xLabel: 'trials run', yLabel: info.metric, yRange: span([...perTrial[0].values, ...bestSoFar]) } },
    { series: curves, options: { title: 'best trials per epoch', xLabel: 'epoch', yLabel: info.metric, yRange: span([...top, ...pruned].flatMap((t) => t.curve)) } },
  ]);
}
