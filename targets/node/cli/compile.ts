// `axon compile <model.axon> --batch N --out bundle.axb [--epochs E --data x.npy --labels y.npy]`:
// writes the one-file bundle the standalone WASI program (build/axon.wasi.wasm) runs: arena image,
// predict plans (and train plans plus every fine-tuning step's hyperparameters when --epochs is
// given). Format: src/wasi/bundle.ts. --bin-out also writes x.bin / y.bin for the device; for a
// model trained on text, --text-file writes ids.bin / mask.bin (i32, padded to the bundle's length):
// the device has no tokenizer, so the ids are made here, ahead.
// --shapes lists the concrete input shapes to hold plans for (a model with open dimensions, e.g. a
// sequence length): "5x4,6;9x4,6" = two shape sets of two inputs each.
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AxonError } from '../../../src/errors.js';
import { Tensor } from '../../../src/runtime/tensor.js';
import { size } from '../../../src/layers/layer.js';
import { modelFromBytes } from '../../../src/model/serialize.js';
import { Normalizer } from '../../../src/data/normalize.js';
import { compileBundle, parseBundle } from '../../../src/wasi/bundle.js';
import { shapeSetKey } from '../../../src/wasi/bundle_io.js';
import { readDataset } from '../data.js';
import { writeFileAtomic } from '../fs.js';
import { loadEngine } from '../index.js';
import { readModelFile } from '../model_file.js';
import { classesOf } from '../../../src/train/loss.js';
import { TextModel } from '../../../src/text/model.js';
import type { Model } from '../../../src/model/model.js';

export interface CompileFlags {
  batch: number;
  out: string;
  epochs?: number;
  /** fine-tuning inputs (.npy/.idx/.csv): their row count fixes the steps; checked against the model */
  data?: string;
  labels?: string;
  /** the fine-tuning sample count, when no --data is given */
  samples?: number;
  seed?: number;
  shuffle?: boolean;
  /** write x.bin (and y.bin) for the device into this directory */
  binOut?: string;
  /** multiply the data by this before normalizing (as the training config's data.scale) */
  scale?: number;
  /** apply the model file's saved normalizer to x.bin (default true) */
  normalize?: boolean;
  /** shape sets to compile plans for: per set, per input, the per-sample shape */
  shapes?: number[][][];
  /** a model trained on text: one sentence per line, tokenized into --bin-out's ids.bin / mask.bin */
  textFile?: string;
  /** on-device training: any row count, the run's options chosen on the device (no --epochs) */
  device?: boolean;
  /** with device: the device applies the saved normalizer (x.bin is written un-normalized) */
  deviceNormalize?: boolean;
}

/** Parses --shapes: shape sets separated by ';', inputs by ',', dimensions by 'x' ("5x4,6;9x4,6"). */
export function parseShapeSets(s: string): number[][][] {
  const sets = s.split(';').map((set) => set.split(',').map((sh) => sh.trim().split('x').map((d) => (/^\d{1,9}$/.test(d) ? Number(d) : NaN))));
  if (!sets.every((set) => set.every((sh) => sh.every((d) => d >= 1)))) throw new AxonError('BAD_CONFIG', `--shapes must look like 5x4,6;9x4,6 (shape sets separated by ';', inputs by ',', dimensions by 'x'), got "${s}"`);
  return sets;
}

export interface CompileReport { bundle: string; bytes: number; batch: number; samples: number; epochs: number; plans: number; steps: number; files: string[]; shapes: string[] }

/** Class ids (i32) or float rows (f32) as the loss wants, checked like Sequential.fit checks them. */
function targets(y: Tensor, n: number, kind: 'i32' | 'f32', C: number, per: number, path: string): Int32Array | Float32Array {
  if (y.shape[0] !== n) throw new AxonError('BAD_SHAPE', `${path}: ${y.shape[0]} labels for ${n} samples`);
  if (kind === 'f32') {
    if (y.size !== n * per) throw new AxonError('BAD_SHAPE', `${path}: shape [${y.shape}] but the model outputs ${per} values per sample`);
    const out = Float32Array.from(y.data);
    if (out.some((v) => !Number.isFinite(v))) throw new AxonError('NOT_FINITE', `${path}: non-finite target values`);
    return out;
  }
  if (y.shape.length === 2 && y.shape[1] === C && C > 1) {
    const ids = new Int32Array(n);
    for (let r = 0; r < n; r++) { let b = 0; for (let c = 1; c < C; c++) if (y.data[r * C + c] > y.data[r * C + b]) b = c; ids[r] = b; }
    return ids;
  }
  if (y.size !== n) throw new AxonError('BAD_SHAPE', `${path}: shape [${y.shape}]; the loss wants class ids [n] or one-hot [n, ${C}]`);
  const ids = Int32Array.from(y.data);
  for (let r = 0; r < n; r++) if (!(ids[r] >= 0 && ids[r] < C) || ids[r] !== y.data[r]) throw new AxonError('BAD_DATA', `${path}: label ${y.data[r]} of sample ${r} is not a class id in [0, ${C})`);
  return ids;
}

export async function compile(modelPath: string, f: CompileFlags): Promise<CompileReport> {
  const bytes = readModelFile(modelPath);
  const engine = await loadEngine();
  const { model, graph } = modelFromBytes(bytes, modelPath, engine);
  const epochs = f.epochs ?? 0;
  let n = f.samples ?? 0, x: Tensor | undefined, y: Int32Array | Float32Array | undefined;
  if (f.data && model.inputs.length > 1) throw new AxonError('BAD_CONFIG', `${modelPath} has ${model.inputs.length} inputs (${model.inputs.map((m) => m.name).join(', ')}); --data takes a single-input model's samples (fine-tune several inputs with compileBundle from the API)`);
  if (f.data) {
    x = (await readDataset(f.data)).x;
    const F = size(model.inputShape);
    if (x.size !== x.shape[0] * F) throw new AxonError('BAD_SHAPE', `${f.data}: shape [${x.shape}] but the model takes ${F} values per sample ([${model.inputShape}])`);
    if (f.samples !== undefined && f.samples !== x.shape[0]) throw new AxonError('BAD_CONFIG', `--samples ${f.samples} disagrees with ${f.data}'s ${x.shape[0]} rows`);
    n = x.shape[0];
  }
  if (f.labels) {
    if (!x) throw new AxonError('BAD_CONFIG', '--labels needs --data');
    if (!model.loss) throw new AxonError('BAD_CONFIG', `${modelPath} has no compile settings (loss); labels cannot be checked`);
    y = targets((await readDataset(f.labels)).x, n, model.loss.targetDtype, classesOf(model.loss), model.loss.targetPerSample, f.labels);
  }
  if (epochs > 0 && !(n > 0)) throw new AxonError('BAD_CONFIG', '--epochs needs the fine-tuning set: --data x.npy (or --samples N)');
  if (f.device && epochs > 0) throw new AxonError('BAD_CONFIG', '--device bundles take the epochs on the device (finetune ... --epochs E); drop --epochs');
  if (f.deviceNormalize && !f.device) throw new AxonError('BAD_CONFIG', '--device-normalize needs --device');
  const bundle = await compileBundle(model, { batch: f.batch, epochs, samples: epochs > 0 ? n : 0, seed: f.seed, shuffle: f.shuffle, ...(f.shapes ? { shapes: f.shapes } : {}), ...(f.device ? { device: true, normalize: f.deviceNormalize === true } : {}) });
  const b = parseBundle(bundle, f.out);
  writeFileAtomic(f.out, bundle);
  const files = [f.out];
  if (f.textFile) files.push(...await textBins(model, graph.extra, b.io.shapes[0][0][0], f, modelPath));
  else if (f.binOut) {
    if (!x) throw new AxonError('BAD_CONFIG', '--bin-out needs --data (or --text-file for a model trained on text)');
    await mkdir(f.binOut, { recursive: true });
    const xs = new Float32Array(x.size);
    for (let i = 0; i < xs.length; i++) xs[i] = x.data[i] * (f.scale ?? 1);
    let xt = new Tensor(xs, x.shape);
    const norm = (graph.extra as { normalizer?: unknown } | undefined)?.normalizer;
    if (norm && f.normalize !== false && !f.deviceNormalize) xt = Normalizer.fromJSON(norm, `${modelPath} normalizer`).apply(xt, f.data);
    await writeFile(join(f.binOut, 'x.bin'), new Uint8Array(xt.data.buffer, xt.data.byteOffset, xt.data.byteLength));
    files.push(join(f.binOut, 'x.bin'));
    if (y) { await writeFile(join(f.binOut, 'y.bin'), new Uint8Array(y.buffer, y.byteOffset, y.byteLength)); files.push(join(f.binOut, 'y.bin')); }
  }
  return { bundle: f.out, bytes: bundle.length, batch: f.batch, samples: b.samples, epochs: b.epochs, plans: b.plans.length, steps: b.hp?.steps ?? 0, files, shapes: b.io.shapes.map(shapeSetKey) };
}

/** --text-file lines → ids.bin and mask.bin (i32 little-endian rows of the bundle's length L) in --bin-out. */
async function textBins(model: Model, extra: Record<string, unknown> | undefined, L: number, f: CompileFlags, modelPath: string): Promise<string[]> {
  if (!f.binOut) throw new AxonError('BAD_CONFIG', '--text-file needs --bin-out <dir> (where ids.bin and mask.bin go)');
  const tm = await TextModel.from(model, extra, modelPath);
  let body: string;
  try { body = await readFile(f.textFile!, 'utf8'); } catch { throw new AxonError('IO', `${f.textFile}: cannot read the text file`); }
  const lines = body.split(/\r?\n/).filter((l) => l.trim() && !l.startsWith('#')).map((l) => (l.includes('\t') ? l.slice(l.indexOf('\t') + 1) : l));
  if (!lines.length) throw new AxonError('BAD_DATA', `${f.textFile}: no lines of text`);
  const enc = tm.tokenizer.encode(lines, { maxLength: L, padding: 'max_length' });
  if (enc.truncated.length) process.stderr.write(`note: ${enc.truncated.length} texts cut to the bundle's ${L} tokens\n`);
  await mkdir(f.binOut, { recursive: true });
  const names = [tm.spec.inputs.ids, ...(tm.spec.inputs.mask ? [tm.spec.inputs.mask] : [])];
  const out: string[] = [];
  for (const name of names) {
    const t = name === tm.spec.inputs.ids ? enc.ids : enc.mask, file = join(f.binOut, `${name}.bin`);
    await writeFile(file, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    out.push(file);
  }
  return out;
}
