// `axon run <model.axon> --input <x>`: inference on a file of inputs. Inputs: .npy (any numeric
// dtype), raw little-endian f32 .bin (per-sample --shape, default the model's input shape), or any
// dataset file axon reads (IDX, CSV); prepared as at training time (--scale, saved normalizer).
// Outputs: .npy, .json ({ shape, predictions, classes }) or JSON on stdout.
import { readFile } from 'node:fs/promises';
import { AxonError } from '../errors.js';
import { Tensor } from '../runtime/tensor.js';
import { size } from '../layers/layer.js';
import { modelFromBytes } from '../model/serialize.js';
import { encodeNpy } from '../data/npy.js';
import { loadEngine } from '../../targets/node/index.js';
import { modelInputs, prepareInputs } from './quantize.js';
import { readModelFile } from '../../targets/node/model_file.js';
import { writeFileAtomic } from '../../targets/node/fs.js';

export interface RunFlags { input: string; shape?: number[]; out?: string; scale?: number; normalize?: boolean; batchSize?: number; build?: 'auto' | 'simd' | 'relaxed' }
export interface RunReport { samples: number; outputShape: number[]; seconds: number; out?: string; json?: string }

/** Parses "28,28,1" (or "28x28x1") into positive integers. */
export function parseShape(s: string): number[] {
  const v = s.split(/[,x ]+/).filter(Boolean).map(Number);
  if (!v.length || !v.every((d) => Number.isInteger(d) && d > 0)) throw new AxonError('BAD_CONFIG', `--shape must be positive integers like 28,28,1, got "${s}"`);
  return v;
}

export async function run(modelPath: string, f: RunFlags): Promise<RunReport> {
  if (f.out && !/\.(npy|json)$/i.test(f.out)) throw new AxonError('BAD_CONFIG', `--out ${f.out}: use a .npy or .json file name`);
  const engine = await loadEngine(f.build ? { build: f.build } : undefined);
  const { model, graph } = modelFromBytes(readModelFile(modelPath), modelPath, engine);
  const F = size(model.inputShape);
  let x: Tensor;
  if (f.input.toLowerCase().endsWith('.bin')) {
    let raw: Uint8Array;
    try { raw = new Uint8Array(await readFile(f.input)); } catch { throw new AxonError('IO', `${f.input}: cannot read the input file`); }
    const per = f.shape ? size(f.shape) : F;
    if (per !== F) throw new AxonError('BAD_SHAPE', `--shape [${f.shape}] has ${per} values per sample but the model takes ${F} ([${model.inputShape}])`);
    if (raw.length % (4 * F)) throw new AxonError('BAD_SHAPE', `${f.input}: ${raw.length} bytes is not a whole number of f32 samples of ${F} values (${4 * F} bytes)`);
    const data = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
    x = prepareInputs(data, raw.length / (4 * F), model, graph, f.input, f);
  } else {
    if (f.shape) throw new AxonError('BAD_CONFIG', `--shape applies to raw .bin input only; ${f.input} carries its own shape (drop --shape, or pass the data as .bin)`);
    x = await modelInputs(f.input, model, graph, f);
  }
  for (let i = 0; i < x.data.length; i++) if (!Number.isFinite(x.data[i])) throw new AxonError('NOT_FINITE', `${f.input}: input value ${i} (sample ${Math.floor(i / F)}) is not finite`);
  const t0 = performance.now();
  const y = await model.predict(x, { batchSize: f.batchSize ?? 256 });
  const seconds = (performance.now() - t0) / 1000;
  const report: RunReport = { samples: x.shape[0], outputShape: [...y.shape], seconds };
  if (f.out?.toLowerCase().endsWith('.npy')) { writeFileAtomic(f.out, encodeNpy(y)); report.out = f.out; return report; }
  const C = size(model.outputShape), rows = Array.from({ length: x.shape[0] }, (_, r) => Array.from(y.data.subarray(r * C, (r + 1) * C)));
  const classes = model.outputShape.length === 1 && C > 1 ? rows.map((p) => p.indexOf(Math.max(...p))) : undefined;
  const json = JSON.stringify({ shape: y.shape, predictions: rows, ...(classes ? { classes } : {}) });
  if (f.out) { writeFileAtomic(f.out, new TextEncoder().encode(json)); report.out = f.out; } else report.json = json;
  return report;
}
