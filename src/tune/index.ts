// Hyperparameter search: spaces, grid / random / Bayesian (GP + EI) search, median-rule early stopping.
export {
  uniform, logUniform, intRange, choice, validateSpace, spaceFromJSON, sampleConfig, gridSize, spaceFillingOrder,
  type Space, type Param, type Config, type Value, type Uniform, type LogUniform, type IntRange, type Choice,
} from './space.js';
export { gridSearch, randomSearch, runSearch, TrialPruned, type GridOrder, type Objective, type TrialContext, type SearchOptions, type Direction } from './search.js';
export { bayesSearch, proposeBayes, logExpectedImprovement, type BayesOptions } from './bayes.js';
export { GaussianProcess, type Kernel, type GpOptions } from './gp.js';
export { medianShouldStop, type MedianRuleOptions } from './median.js';
export type { Trial, SearchResult } from './results.js';
export { tuneReportSvg, divergedTrials, type ReportTrial, type ReportInfo } from './report.js';
