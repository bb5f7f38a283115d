// `axon run <model.axon> --input <x>`: inference on a file of inputs. Inputs: .npy (any numeric
// dtype), raw little-endian f32 .bin (per-sample --shape, default the model's input shape), or any
// dataset file axon reads (IDX, CSV); prepared as at training time (--scale, saved normalizer).
// A model with several inputs takes one --input name=file per input (.npy, or .bin for an input
// with no open dimension); i32 inputs (ids, masks) take int32 / int64 / integer .npy files, checked
// against the input's declared range. Outputs: .npy, .json ({ shape, predictions, classes }) or JSON
// on stdout; several outputs: one <out>.<output>.npy each, or one JSON { outputs: { name: ... } }.
import { readFile } from 'node:fs/promises';
import { AxonError } from '../../../src/errors.js';
import { Tensor } from '../../../src/runtime/tensor.js';
import { size } from '../../../src/layers/layer.js';
import { modelFromBytes } from '../../../src/model/serialize.js';
import type { Model } from '../../../src/model/model.js';
import { encodeNpy } from '../../../src/data/npy.js';
import { loadEngine } from '../index.js';
import { modelInputs, prepareInputs } from './quantize.js';
import { readModelFile } from '../model_file.js';
import { writeFileAtomic } from '../fs.js';
import { readDataset } from '../data.js';

export interface RunFlags { input?: string | string[]; shape?: number[]; out?: string; scale?: number; normalize?: boolean; batchSize?: number; build?: 'auto' | 'simd' | 'relaxed'; threads?: number | 'auto' }
export interface RunOutput { name: string; shape: number[]; out?: string }
export interface RunReport { samples: number; outputShape: number[]; outputs: RunOutput[]; seconds: number; out?: string; json?: string }

/** Parses "28,28,1" (or "28x28x1") into positive integers. */
export function parseShape(s: string): number[] {
  const v = s.split(/[,x ]+/).filter(Boolean).map(Number);
  if (!v.length || !v.every((d) => Number.isInteger(d) && d > 0)) throw new AxonError('BAD_CONFIG', `--shape must be positive integers like 28,28,1, got "${s}"`);
  return v;
}

const declared = (model: Model) => model.inputs.map((m) => `${m.name} (${m.dtype} [n, ${m.shape.map((d) => d ?? 'null')}])`).join(', ');

/** --input values → one file per model input, by name (a bare file: the model's only input). */
export function inputFiles(model: Model, given: string[]): Map<string, string> {
  const named = given.map((g) => /^([A-Za-z_][\w/-]*)=(.+)$/.exec(g));
  const out = new Map<string, string>();
  if (named.every((m) => m === null)) {
    if (given.length === 1 && model.inputs.length === 1) return out.set(model.inputs[0].name, given[0]);
    throw new AxonError('BAD_CONFIG', `the model has ${model.inputs.length} input${model.inputs.length > 1 ? 's' : ''}: ${declared(model)}; give one --input name=file per input`);
  }
  named.forEach((m, i) => {
    if (!m) throw new AxonError('BAD_CONFIG', `--input ${given[i]}: name it as the others (name=file); the model's inputs: ${declared(model)}`);
    if (!model.inputs.some((d) => d.name === m[1])) throw new AxonError('BAD_CONFIG', `--input ${m[1]}=...: the model has no input "${m[1]}"; its inputs: ${declared(model)}`);
    if (out.has(m[1])) throw new AxonError('BAD_CONFIG', `--input ${m[1]} is given twice`);
    out.set(m[1], m[2]);
  });
  const missing = model.inputs.filter((d) => !out.has(d.name));
  if (missing.length) throw new AxonError('BAD_CONFIG', `no --input for ${missing.map((d) => `"${d.name}"`).join(', ')}; the model's inputs: ${declared(model)}`);
  return out;
}

/** One named input's file as a Tensor of the input's dtype (shapes, ranges: checked by predict). */
async function readInput(model: Model, name: string, path: string, f: RunFlags): Promise<Tensor> {
  const m = model.inputs.find((d) => d.name === name)!;
  let t: Tensor;
  if (path.toLowerCase().endsWith('.bin')) {
    if (m.shape.some((d) => d === null)) throw new AxonError('BAD_CONFIG', `--input ${name}=${path}: a raw .bin has no shape, and "${name}" has an open dimension ([n, ${m.shape.map((d) => d ?? 'null')}]); give a .npy`);
    let raw: Uint8Array;
    try { raw = new Uint8Array(await readFile(path)); } catch { throw new AxonError('IO', `${path}: cannot read the input file`); }
    const per = size(m.shape as number[]);
    if (raw.length % (4 * per)) throw new AxonError('BAD_SHAPE', `${path}: ${raw.length} bytes is not a whole number of ${m.dtype} samples of ${per} values (${4 * per} bytes) for input "${name}"`);
    const buf = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length);
    t = new Tensor(m.dtype === 'i32' ? new Int32Array(buf) : new Float32Array(buf), [raw.length / (4 * per), ...(m.shape as number[])], m.dtype);
  } else t = (await readDataset(path)).x;
  if (m.dtype === 'i32') {
    if (t.dtype === 'f32') throw new AxonError('BAD_DTYPE', `${path}: input "${name}" is i32 (ids or a mask) but the file holds floats; save it as int32 or int64 (np.int32 / np.int64)`);
    return t.dtype === 'i32' ? t : new Tensor(Int32Array.from(t.data), t.shape, 'i32');
  }
  const k = f.scale ?? 1, data = Float32Array.from(t.data, (v) => v * k);
  const bad = data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new AxonError('NOT_FINITE', `${path}: input "${name}" value ${bad} is not finite`);
  return new Tensor(data, t.shape, 'f32');
}

export async function run(modelPath: string, f: RunFlags): Promise<RunReport> {
  if (f.out && !/\.(npy|json)$/i.test(f.out)) throw new AxonError('BAD_CONFIG', `--out ${f.out}: use a .npy or .json file name`);
  if (!f.input || !f.input.length) throw new AxonError('BAD_CONFIG', 'give the inputs: --input file (or --input name=file per input; --text "..." for a model trained on text)');
  const engine = await loadEngine(f.build || f.threads ? { build: f.build, threads: f.threads } : undefined);
  const { model, graph } = modelFromBytes(readModelFile(modelPath), modelPath, engine);
  const files = inputFiles(model, Array.isArray(f.input) ? f.input : [f.input]);
  const plain = model.inputs.length === 1 && model.inputs[0].dtype === 'f32' && !model.hasOpenAxes;
  if (!plain && f.shape) throw new AxonError('BAD_CONFIG', '--shape is for a raw .bin input of a model with one fixed-shape f32 input; give .npy files (they carry their shapes)');
  const xs: Record<string, Tensor> = {};
  if (plain) xs[model.inputs[0].name] = await singleInput(model, graph, files.values().next().value!, f);
  else for (const [name, path] of files) xs[name] = await readInput(model, name, path, f);
  const t0 = performance.now();
  const ys = await model.predict(xs, { batchSize: f.batchSize ?? 256 });
  const seconds = (performance.now() - t0) / 1000;
  const names = model.outputNames, n = Object.values(xs)[0].shape[0];
  const outputs: RunOutput[] = names.map((name) => ({ name, shape: [...ys[name].shape] }));
  const report: RunReport = { samples: n, outputShape: outputs[0].shape, outputs, seconds };
  if (f.out?.toLowerCase().endsWith('.npy')) {
    names.forEach((name, k) => {
      const file = names.length === 1 ? f.out! : f.out!.replace(/\.npy$/i, `.${name.replace(/[^\w-]/g, '_')}.npy`);
      writeFileAtomic(file, encodeNpy(ys[name]));
      outputs[k].out = file;
    });
    report.out = outputs.map((o) => o.out).join(', ');
    return report;
  }
  const answer = (y: Tensor) => {
    const C = size(y.shape.slice(1)), rows = Array.from({ length: n }, (_, r) => Array.from(y.data.subarray(r * C, (r + 1) * C)));
    const classes = y.shape.length === 2 && C > 1 ? rows.map((p) => p.indexOf(Math.max(...p))) : undefined;
    return { shape: y.shape, predictions: rows, ...(classes ? { classes } : {}) };
  };
  const json = JSON.stringify(names.length === 1 ? answer(ys[names[0]]) : { outputs: Object.fromEntries(names.map((name) => [name, answer(ys[name])])) });
  if (f.out) { writeFileAtomic(f.out, new TextEncoder().encode(json)); report.out = f.out; } else report.json = json;
  return report;
}

/** The one f32 input of a fixed shape: as before (.bin with --shape, any dataset file, --scale, the saved normalizer). */
async function singleInput(model: Model, graph: Parameters<typeof prepareInputs>[3], input: string, f: RunFlags): Promise<Tensor> {
  const F = size(model.inputShape);
  let x: Tensor;
  if (input.toLowerCase().endsWith('.bin')) {
    let raw: Uint8Array;
    try { raw = new Uint8Array(await readFile(input)); } catch { throw new AxonError('IO', `${input}: cannot read the input file`); }
    const per = f.shape ? size(f.shape) : F;
    if (per !== F) throw new AxonError('BAD_SHAPE', `--shape [${f.shape}] has ${per} values per sample but the model takes ${F} ([${model.inputShape}])`);
    if (raw.length % (4 * F)) throw new AxonError('BAD_SHAPE', `${input}: ${raw.length} bytes is not a whole number of f32 samples of ${F} values (${4 * F} bytes)`);
    const data = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
    x = prepareInputs(data, raw.length / (4 * F), model, graph, input, f);
  } else {
    if (f.shape) throw new AxonError('BAD_CONFIG', `--shape applies to raw .bin input only; ${input} carries its own shape (drop --shape, or pass the data as .bin)`);
    x = await modelInputs(input, model, graph, f);
  }
  for (let i = 0; i < x.data.length; i++) if (!Number.isFinite(x.data[i])) throw new AxonError('NOT_FINITE', `${input}: input value ${i} (sample ${Math.floor(i / F)}) is not finite`);
  return x;
}
