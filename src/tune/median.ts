// The median stopping rule (Golovin et al., "Google Vizier", KDD 2017, sec. 3.2.2): stop a running
// trial at step s when its best value so far is worse than the median of the running averages, up
// to step s, of the completed trials' reported values. Values here are already "lower is better".

export interface MedianRuleOptions {
  /** Completed trials with reports needed before anything is stopped (default 5). */
  minTrials?: number;
  /** Reports at steps below this never stop a trial (default 1). */
  warmupSteps?: number;
}

export type Curve = { step: number; value: number }[];

/** Mean of the curve's values at steps <= s, or undefined when it has none. */
function runningAverage(curve: Curve, s: number): number | undefined {
  let sum = 0, k = 0;
  for (const p of curve) if (p.step <= s) { sum += p.value; k++; }
  return k ? sum / k : undefined;
}

function median(v: number[]): number {
  const a = v.slice().sort((x, y) => x - y), m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}

/** True when the trial with `curve` (its reports so far, the last at step s) should stop. */
export function medianShouldStop(curve: Curve, completed: Curve[], opts: MedianRuleOptions = {}): boolean {
  if (curve.length === 0) return false;
  const s = curve[curve.length - 1].step;
  if (s < (opts.warmupSteps ?? 1)) return false;
  const avgs = completed.map((c) => runningAverage(c, s)).filter((v): v is number => v !== undefined);
  if (avgs.length < (opts.minTrials ?? 5)) return false;
  let best = Infinity;
  for (const p of curve) if (p.value < best) best = p.value;
  return best > median(avgs);
}
