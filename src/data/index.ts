// Dataset readers, splits and normalization: pure TS (no Node APIs), for every target.
export { parseNpy, encodeNpy, parseNpyHeader, npyHeaderLength, decodeNpyBody, type NpyHeader } from './npy.js';
export { parseIdx, parseIdxHeader, decodeIdxBody, gunzipIfNeeded, isGzip, type IdxHeader } from './idx.js';
export { parseCsv, type CsvOptions, type CsvData } from './csv.js';
export { splitData, shuffleData, permutation, takeRows, dirichletSplit, type SplitOptions, type Split, type Part } from './split.js';
export { Normalizer, fitNormalizer, type NormalizeMethod, type NormalizeOver, type NormalizeOptions, type NormalizerJSON } from './normalize.js';
