// `axon tune <config>`: a training config (as `axon train`) plus a `search` section; runs grid,
// random or Bayesian search over dotted config paths (model.*, compile.*, fit.*), each trial a full
// training run on the same data split, reporting the validation metric per epoch to the median
// stopping rule. Writes results.json, best.json (a runnable train config) and report.svg.
import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve, join, relative, isAbsolute } from 'node:path';
import cliProgress from 'cli-progress';
import { AxonError } from '../../../src/errors.js';
import type { Model } from '../../../src/model/model.js';
import { EarlyStopping, Callback } from '../../../src/train/callbacks.js';
import { gridSearch, randomSearch, bayesSearch, spaceFromJSON, gridSize, Space, Trial, TrialContext, SearchResult, MedianRuleOptions, GridOrder, tuneReportSvg as reportSvg } from '../../../src/tune/index.js';
import { loadEngine } from '../index.js';
import { parseConfig, TrainConfig } from './config.js';
import { loadData, buildModel } from './train.js';
import { loadTextData } from './text_data.js';
import type { Tensor } from '../../../src/runtime/tensor.js';

export type TuneMethod = 'grid' | 'random' | 'bayes';
export interface SearchSection {
  method?: TuneMethod;
  /** trial budget (grid: at most the grid size) */
  trials?: number;
  /** wall-clock budget: no trial starts after this */
  seconds?: number;
  /** validation metric to optimize, default val_loss; *accuracy is maximized, anything else minimized */
  metric?: string;
  /** dotted config path → {uniform|logUniform|intRange|intLogRange|choice: [...]} */
  space: Record<string, unknown>;
  /** grid points per numeric parameter (default 3) */
  points?: number;
  /** grid order: 'spaceFilling' (default when the budget is smaller than the grid) or 'grid' (last parameter fastest) */
  order?: GridOrder;
  /** Bayes: random trials before the first GP proposal */
  initialTrials?: number;
  /** median stopping rule options, or false */
  pruning?: false | MedianRuleOptions;
  /** seed of the search's own draws (default: the config's seed) */
  seed?: number;
}
export interface TuneConfig extends TrainConfig { search: SearchSection }
export interface TuneFlags { out?: string; method?: TuneMethod; trials?: number; seconds?: number; epochs?: number; seed?: number; build?: 'auto' | 'simd' | 'relaxed'; progress?: boolean; pruning?: boolean }
export interface TuneReport {
  method: TuneMethod; metric: string; direction: 'min' | 'max'; seconds: number;
  /** grid search: how the grid was walked ('spaceFilling' when a budget cut it short) and its size */
  gridOrder?: GridOrder; gridPoints?: number;
  best?: { trial: number; value: number; config: Record<string, unknown> };
  trials: Array<Trial<Record<string, unknown>> & { curve: number[]; error?: string }>;
  files: { results: string; best?: string; chart: string };
}

const TUNABLE = ['model.', 'compile.', 'fit.'];

/** Walks to the parent of a dotted path; throws naming the path when it does not exist. */
function parentOf(cfg: Record<string, unknown>, key: string, where: string): [Record<string, unknown> | unknown[], string] {
  const parts = key.split('.');
  let o: unknown = cfg;
  for (const p of parts.slice(0, -1)) {
    if (!o || typeof o !== 'object' || !(p in (o as object))) throw new AxonError('BAD_CONFIG', `${where}: search.space key "${key}" does not name a place in the config ("${p}" is missing)`);
    o = (o as Record<string, unknown>)[p];
  }
  if (!o || typeof o !== 'object') throw new AxonError('BAD_CONFIG', `${where}: search.space key "${key}" does not name a place in the config (its parent is not an object or list)`);
  return [o as Record<string, unknown>, parts[parts.length - 1]];
}

/** The training config of one trial: a deep copy with the trial's values at their dotted paths. */
export function applyValues(cfg: TrainConfig, values: Record<string, unknown>, where = 'config'): TrainConfig {
  const c = structuredClone(cfg) as TrainConfig & { search?: unknown };
  delete c.search;
  if (typeof c.compile.optimizer === 'string') c.compile.optimizer = { type: c.compile.optimizer };
  for (const [k, v] of Object.entries(values)) { const [o, last] = parentOf(c as unknown as Record<string, unknown>, k, where); (o as Record<string, unknown>)[last] = v; }
  return c;
}

function checkSearch(c: TuneConfig, path: string, flags: TuneFlags): { s: SearchSection; space: Space; method: TuneMethod; metric: string; direction: 'min' | 'max' } {
  const s = c.search;
  const bad = (msg: string) => new AxonError('BAD_CONFIG', `${path}: ${msg}`);
  if (!s || typeof s !== 'object') throw bad('a tuning config needs a "search" section: { method, trials, metric, space: { "compile.optimizer.lr": { "logUniform": [1e-4, 0.1] } } }');
  const method = flags.method ?? s.method ?? 'bayes';
  if (!['grid', 'random', 'bayes'].includes(method)) throw bad(`search.method "${method}" must be "grid", "random" or "bayes"`);
  const space = spaceFromJSON(s.space, `${path}: search.space`);
  for (const k of Object.keys(space)) {
    if (!TUNABLE.some((r) => k.startsWith(r))) throw bad(`search.space key "${k}": only model.*, compile.* and fit.* paths can be tuned (the data is loaded once for all trials)`);
  }
  applyValues(c, Object.fromEntries(Object.keys(space).map((k) => [k, 0])), path); // every path resolves
  const metric = s.metric ?? 'val_loss';
  if (!/^val_\w+$/.test(metric)) throw bad(`search.metric "${metric}" must be a validation metric such as "val_loss" or "val_accuracy"`);
  const name = metric.slice(4), cm = c.compile.metrics ?? [], logged = ['loss', ...(Array.isArray(cm) ? cm : Object.values(cm).flat()).map((m) => (typeof m === 'string' ? m : m.type))];
  if (!logged.includes(name)) throw bad(`search.metric "${metric}" is not logged: add "${name}" to compile.metrics (logged: ${logged.map((m) => `val_${m}`).join(', ')})`);
  return { s, space, method, metric, direction: /accuracy/.test(name) ? 'max' : 'min' };
}

/** A cli-progress bar over trials on a terminal, one line per trial otherwise. */
class TrialProgress {
  private bar?: cliProgress.SingleBar;
  constructor(private readonly total: number, private readonly metric: string, private readonly tty: boolean, private readonly quiet: boolean) {
    if (!tty || quiet) return;
    this.bar = new cliProgress.SingleBar({ format: `trial {value}/{total} {bar} | best ${metric} {best} | last {last} | ETA {eta_formatted}`, barsize: 24, hideCursor: true, stream: process.stderr },
      cliProgress.Presets.shades_classic);
    this.bar.start(total, 0, { best: '-', last: '-' });
  }
  trial(t: Trial<Record<string, unknown>>, best: number | undefined): void {
    const v = Number.isFinite(t.value) ? t.value.toFixed(4) : '-';
    if (this.bar) { this.bar.increment(1, { best: best?.toFixed(4) ?? '-', last: `${v} (${t.state})` }); return; }
    if (this.quiet) return;
    const cfg = Object.entries(t.config).map(([k, x]) => `${k}=${typeof x === 'number' ? +x.toPrecision(4) : x}`).join(' ');
    process.stderr.write(`[${t.id + 1}${Number.isFinite(this.total) ? `/${this.total}` : ''}] trial ${t.id}: ${this.metric} ${v} (${t.state}, ${t.steps} epochs, ${t.seconds.toFixed(1)} s) best ${best?.toFixed(4) ?? '-'} | ${cfg}\n`);
  }
  stop(): void { this.bar?.stop(); }
}

/** The report chart (src/tune/report.ts): a diverged trial is drawn clipped and named, the others keep the scale. */
export function tuneReportSvg(r: TuneReport, title: string): string {
  return reportSvg(r.trials, { metric: r.metric, method: r.method, direction: r.direction }, title);
}

/** Runs the search; writes results.json, best.json and report.svg into the output directory. */
export async function tune(configPath: string, flags: TuneFlags = {}): Promise<TuneReport> {
  let text: string;
  try { text = await readFile(configPath, 'utf8'); } catch { throw new AxonError('IO', `${configPath}: cannot read the config file`); }
  const cfg = parseConfig(text, configPath) as TuneConfig;
  const { s, space, method, metric, direction } = checkSearch(cfg, configPath, flags);
  const dir = dirname(resolve(configPath));
  const seed = flags.seed ?? cfg.seed ?? 42;
  const out = resolve(flags.out ?? (cfg.output ? resolve(dir, cfg.output, 'tune') : 'out/tune'));
  const engine = await loadEngine(flags.build ? { build: flags.build } : undefined);
  const textData = cfg.text ? await loadTextData(cfg, dir, seed) : undefined;
  const data = textData ?? await loadData(cfg, dir, seed);
  if (!data.validation.y!.shape[0]) throw new AxonError('BAD_CONFIG', `${configPath}: tuning needs validation data; set data.validationSplit above 0`);
  const inputShape = textData ? [] : (data.train.x as Tensor).shape.slice(1);
  const curves: number[][] = [], errors: string[] = [];
  const sign = direction === 'max' ? -1 : 1;

  const objective = async (values: Record<string, unknown>, ctx: TrialContext): Promise<number> => {
    const t = applyValues(cfg, values, configPath);
    if (flags.epochs) t.fit.epochs = flags.epochs;
    let model: Model;
    try {
      model = buildModel(t, inputShape, seed, textData?.tokenizer);
      model.engine = engine;
      model.compile(t.compile);
    } catch (e) { // an impossible combination of values fails this trial, not the search
      if (!(e instanceof AxonError)) throw e;
      errors[ctx.trial] = e.message;
      return NaN;
    }
    const curve: number[] = (curves[ctx.trial] = []);
    const callbacks: Callback[] = [{ onEpochEnd: (epoch, logs) => { curve.push(logs[metric]); ctx.report(epoch + 1, logs[metric]); } }];
    if (t.fit.earlyStopping) callbacks.push(new EarlyStopping({ monitor: 'val_loss', ...t.fit.earlyStopping }));
    await model.fit(data.train.x, data.train.y!, {
      epochs: t.fit.epochs ?? 10, batchSize: t.fit.batchSize ?? 32, shuffle: t.fit.shuffle,
      validationData: [data.validation.x, data.validation.y!], callbacks,
    });
    return curve.reduce((b, v) => (sign * v < sign * b ? v : b), sign * Infinity);
  };

  const trials = flags.trials ?? s.trials;
  const seconds = flags.seconds ?? s.seconds;
  const points = s.points ?? 3;
  const total = method === 'grid' ? Math.min(trials ?? Infinity, gridSize(space, points)) : trials ?? (seconds !== undefined ? Infinity : 20);
  const progress = new TrialProgress(total, metric, Boolean(process.stderr.isTTY), flags.progress === false);
  let best: number | undefined;
  const opts = {
    direction, trials, seconds, seed: s.seed ?? seed, name: `${configPath}: search`,
    pruning: flags.pruning === false ? (false as const) : s.pruning,
    onTrial: (tr: Trial<Record<string, unknown>>) => {
      if (tr.state === 'complete' && (best === undefined || sign * tr.value < sign * best)) best = tr.value;
      progress.trial(tr, best);
    },
  };
  const t0 = performance.now();
  let result: SearchResult<Record<string, unknown>>;
  try {
    result = method === 'grid' ? await gridSearch(space, objective, { ...opts, points, ...(s.order ? { order: s.order } : {}) })
      : method === 'random' ? await randomSearch(space, objective, opts)
      : await bayesSearch(space, objective, { ...opts, initialTrials: s.initialTrials });
  } finally { progress.stop(); }

  await mkdir(out, { recursive: true });
  const report: TuneReport = {
    method, metric, direction, seconds: +((performance.now() - t0) / 1000).toFixed(2),
    ...('order' in result ? { gridOrder: result.order as GridOrder, gridPoints: gridSize(space, points) } : {}),
    best: result.best && { trial: result.best.id, value: result.best.value, config: result.best.config },
    trials: result.trials.map((t) => ({ ...t, curve: curves[t.id] ?? [], ...(errors[t.id] ? { error: errors[t.id] } : {}) })),
    files: { results: join(out, 'results.json'), chart: join(out, 'report.svg') },
  };
  if (result.best) {
    const b = applyValues(cfg, result.best.config, configPath);
    const rel = (p: string) => (isAbsolute(p) ? p : relative(out, resolve(dir, p)));
    for (const k of ['x', 'y', 'testX', 'testY'] as const) if (b.data[k]) b.data[k] = rel(b.data[k]!);
    Object.assign(b, { seed, output: 'best' });
    if (flags.epochs) b.fit.epochs = flags.epochs;
    report.files.best = join(out, 'best.json');
    await writeFile(report.files.best, JSON.stringify(b, null, 2) + '\n');
  }
  await writeFile(report.files.results, JSON.stringify(report, null, 2) + '\n');
  await writeFile(report.files.chart, tuneReportSvg(report, cfg.name ?? 'model'));
  const log = (m: string) => process.stderr.write(m + '\n');
  log(`\n${result.table(20)}`);
  const counts = ['complete', 'pruned', 'failed'].map((st) => `${result.trials.filter((t) => t.state === st).length} ${st}`).join(', ');
  log(`${method} search: ${result.trials.length} trials (${counts}) in ${report.seconds} s`);
  if (report.gridOrder === 'spaceFilling') log(`grid: ${result.trials.length} of its ${report.gridPoints} points, visited in a space-filling order (centre first, then spread over every dimension), not one corner`);
  if (!result.best) {
    const why = errors.find(Boolean);
    throw new AxonError('BAD_CONFIG', `${configPath}: no trial completed${why ? ` (first error: ${why})` : ''}; see ${report.files.results}`);
  }
  log(`best ${metric} ${result.best.value.toFixed(4)} (trial ${result.best.id}): ${JSON.stringify(result.best.config)}`);
  log(`wrote ${report.files.results}, ${report.files.best}, ${report.files.chart}`);
  return report;
}
