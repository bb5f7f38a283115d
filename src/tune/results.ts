// Search results: every trial in run order, the same sorted best-first, the best config, and a
// plain-text table for terminals and logs.
import type { Value } from './space.js';

export interface Trial<C> {
  /** 0-based run order. */
  id: number;
  config: C;
  /** The objective's value; for pruned trials the best value reported before stopping; NaN if failed. */
  value: number;
  /** complete, pruned (median stopping rule), or failed (non-finite value or a NOT_FINITE error). */
  state: 'complete' | 'pruned' | 'failed';
  /** Number of report() calls. */
  steps: number;
  seconds: number;
}

export interface SearchResult<C> {
  direction: 'min' | 'max';
  /** Trials in run order. */
  trials: Trial<C>[];
  /** Completed trials best first, then pruned (best first), then failed. */
  sorted: Trial<C>[];
  /** The best completed trial (undefined when none completed). */
  best?: Trial<C>;
  /** The sorted trials as an aligned text table. */
  table(limit?: number): string;
}

const RANK = { complete: 0, pruned: 1, failed: 2 } as const;

export function makeResult<C>(trials: Trial<C>[], direction: 'min' | 'max'): SearchResult<C> {
  const sign = direction === 'max' ? -1 : 1;
  const sorted = trials.slice().sort((a, b) => RANK[a.state] - RANK[b.state] || sign * (a.value - b.value) || a.id - b.id);
  const best = sorted[0]?.state === 'complete' ? sorted[0] : undefined;
  return { direction, trials, sorted, best, table: (limit = Infinity) => formatTable(sorted.slice(0, limit)) };
}

function fmt(v: unknown): string {
  if (typeof v !== 'number') return String(v);
  if (Number.isNaN(v)) return '-';
  return Number.isInteger(v) ? String(v) : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5 ? String(+v.toPrecision(4)) : v.toExponential(2);
}

function formatTable<C>(trials: Trial<C>[]): string {
  const keys = trials.length ? Object.keys(trials[0].config as Record<string, Value>) : [];
  const head = ['rank', 'trial', 'value', 'state', 'steps', 'secs', ...keys];
  const rows = trials.map((t, i) => [
    String(i + 1), String(t.id), fmt(t.value), t.state, String(t.steps), t.seconds.toFixed(2),
    ...keys.map((k) => fmt((t.config as Record<string, Value>)[k])),
  ]);
  const w = head.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  return [head, ...rows].map((r) => r.map((c, j) => c.padEnd(w[j])).join('  ').trimEnd()).join('\n');
}
