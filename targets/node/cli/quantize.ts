// `axon quantize <model.axon> --calibration <x> --out <model.int8.axon>`: post-training int8
// quantization (src/quant/ptq.ts) of a model file, calibrated on a sample of representative inputs
// (prepared as at training time: --scale, then the model file's saved normalizer). Prints the
// file sizes and, with --eval-x/--eval-y, the accuracy (or loss) before and after. A directory of
// <label>/*.wav clips serves as inputs and as labels (--eval-x dir --eval-y dir).
import { AxonError } from '../../../src/errors.js';
import { Tensor } from '../../../src/runtime/tensor.js';
import { size } from '../../../src/layers/layer.js';
import type { Model } from '../../../src/model/model.js';
import { modelFromBytes, modelToBytes, ModelGraph } from '../../../src/model/serialize.js';
import { Normalizer } from '../../../src/data/normalize.js';
import { quantizeModel, paramBytes } from '../../../src/quant/index.js';
import type { CalibrationMethod } from '../../../src/quant/calibrate.js';
import { readDataset } from '../data.js';
import { writeFileAtomic } from '../fs.js';
import { loadEngine } from '../index.js';
import { readModelFile } from '../model_file.js';

export interface QuantizeFlags {
  calibration?: string;
  samples?: number;
  method?: CalibrationMethod;
  percentile?: number;
  dynamic?: boolean;
  weightBits?: 7 | 8;
  out: string;
  evalX?: string;
  evalY?: string;
  scale?: number;
  build?: 'auto' | 'simd' | 'relaxed';
}

export interface QuantizeReport {
  out: string; f32Bytes: number; int8Bytes: number; ratio: number; mode: string; method?: string; samples: number;
  layers: string[]; f32?: Record<string, number>; int8?: Record<string, number>;
}

/** The class names a model file keeps (audio models: graph.extra.labels), for reading a WAV directory's labels in the model's order. */
const labelsOf = (g: ModelGraph) => (g.extra as { labels?: string[] } | undefined)?.labels;

/**
 * Model inputs from a data file (or a directory of <label>/*.wav clips), prepared as at training time: times `scale`, then the model's
 * saved normalizer; reshaped to [n, ...inputShape] when the per-sample size matches.
 */
export async function modelInputs(path: string, model: Model, graph: ModelGraph, o: { scale?: number; normalize?: boolean; limit?: number } = {}): Promise<Tensor> {
  const F = size(model.inputShape), raw = (await readDataset(path, {}, { labels: labelsOf(graph), samples: F })).x, n = raw.shape[0];
  if (raw.size !== n * F) throw new AxonError('BAD_SHAPE', `${path}: shape [${raw.shape}] has ${raw.size / Math.max(n, 1)} values per sample but the model takes ${F} ([${model.inputShape}])`);
  return prepareInputs(raw.data, n, model, graph, path, o);
}

export function prepareInputs(data: ArrayLike<number>, n: number, model: Model, graph: ModelGraph, path: string, o: { scale?: number; normalize?: boolean; limit?: number } = {}): Tensor {
  const F = size(model.inputShape);
  // evenly spaced rows when limited, so a sorted file still gives a representative sample
  const take = Math.min(n, o.limit ?? n), k = o.scale ?? 1, xs = new Float32Array(take * F);
  for (let r = 0; r < take; r++) {
    const src = Math.floor((r * n) / take) * F;
    for (let j = 0; j < F; j++) xs[r * F + j] = data[src + j] * k;
  }
  let x = new Tensor(xs, [take, ...model.inputShape]);
  const norm = (graph.extra as { normalizer?: unknown } | undefined)?.normalizer;
  if (norm && o.normalize !== false) x = Normalizer.fromJSON(norm, 'normalizer').apply(x, path);
  return x;
}

async function score(m: Model, x: Tensor, y: Tensor): Promise<Record<string, number>> {
  const r = await m.evaluate(x, y, { batchSize: 256 });
  return Object.fromEntries(Object.entries(r).filter(([, v]) => typeof v === 'number')) as Record<string, number>;
}

const pct = (r?: Record<string, number>) => (r?.accuracy !== undefined ? `accuracy ${(r.accuracy * 100).toFixed(2)}%` : `loss ${r?.loss?.toFixed(4)}`);

export async function quantize(modelPath: string, f: QuantizeFlags, log: (s: string) => void = (s) => process.stderr.write(s + '\n')): Promise<QuantizeReport> {
  const dynamic = f.dynamic === true;
  if (!dynamic && !f.calibration) throw new AxonError('BAD_CONFIG', 'static quantization needs --calibration <inputs file> (a few hundred representative samples); or use --dynamic');
  if ((f.evalX === undefined) !== (f.evalY === undefined)) throw new AxonError('BAD_CONFIG', '--eval-x and --eval-y go together');
  const bytes = readModelFile(modelPath);
  const engine = await loadEngine(f.build ? { build: f.build } : undefined);
  const { model, graph } = modelFromBytes(bytes, modelPath, engine);
  const samples = f.samples ?? 500;
  const calib = f.calibration ? await modelInputs(f.calibration, model, graph, { scale: f.scale, limit: samples }) : undefined;
  const t0 = performance.now();
  const q = await quantizeModel(model, calib, { mode: dynamic ? 'dynamic' : 'static', activations: f.method, percentile: f.percentile, weightBits: f.weightBits });
  const seconds = (performance.now() - t0) / 1000;
  const out = modelToBytes(q, { extra: graph.extra });
  writeFileAtomic(f.out, out);
  const report: QuantizeReport = {
    out: f.out, f32Bytes: bytes.length, int8Bytes: out.length, ratio: +(bytes.length / out.length).toFixed(2), mode: dynamic ? 'dynamic' : 'static',
    method: dynamic ? undefined : f.method ?? 'minmax', samples: calib?.shape[0] ?? 0, layers: q.layers.map((l) => `${l.name} (${l.type})`),
  };
  log(`quantized ${modelPath} (${report.mode}${report.method ? `, ${report.method} calibration on ${report.samples} samples` : ''}) in ${seconds.toFixed(2)} s:`);
  log(`  layers: ${q.layers.map((l) => l.type).join(' → ')}`);
  log(`  size: ${bytes.length.toLocaleString('en-US')} → ${out.length.toLocaleString('en-US')} bytes (${report.ratio >= 1 ? `${report.ratio}x smaller` : `${(1 / report.ratio).toFixed(2)}x larger: the quantization metadata outweighs the saving on so few weights`}; parameters ${paramBytes(model).toLocaleString('en-US')} → ${paramBytes(q).toLocaleString('en-US')} bytes)`);
  if (f.evalX && f.evalY) {
    if (!model.loss) throw new AxonError('BAD_CONFIG', `${modelPath} has no compile settings (loss), so it cannot be evaluated; quantize without --eval-x/--eval-y`);
    const ex = await modelInputs(f.evalX, model, graph, { scale: f.scale }), ed = await readDataset(f.evalY, {}, { labels: labelsOf(graph) }), ey = ed.y ?? ed.x;
    report.f32 = await score(model, ex, ey);
    report.int8 = await score(q, ex, ey);
    const d = report.f32.accuracy !== undefined ? ` (${((report.int8.accuracy - report.f32.accuracy) * 100).toFixed(2)} points)` : '';
    log(`  ${ex.shape[0]} eval samples: f32 ${pct(report.f32)}, int8 ${pct(report.int8)}${d}`);
  }
  log(`wrote ${f.out}`);
  return report;
}
