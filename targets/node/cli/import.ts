// `axon import` (ONNX or TensorFlow.js layers or graph model → Axon model file) and `axon export` (Axon model
// file → ONNX, or safetensors with PyTorch names and layouts).
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AxonError } from '../../../src/errors.js';
import { importOnnx } from '../../../src/import/onnx.js';
import { importTfjsLayers, type TfjsModelJson } from '../../../src/import/tfjs.js';
import { importTfjsGraph, type TfjsGraphJson } from '../../../src/import/tfjs_graph.js';
import { exportOnnx } from '../../../src/export/onnx.js';
import { exportTorchSafetensors } from '../../../src/export/torch.js';
import { modelToBytes, modelFromBytes } from '../../../src/model/serialize.js';
import { writeFileAtomic } from '../fs.js';
import { readError } from '../read_error.js';

const read = async (path: string): Promise<Uint8Array> => {
  try { return new Uint8Array(await readFile(path)); } catch (e) { throw readError(path, e, 'model file'); }
};

// TF.js models shipped inside npm packages as JavaScript modules (nsfwjs: model.min.js exports the
// model.json object, group1-shard1of1.min.js the shard as a base64 string).
const JS = /\.(js|cjs|mjs)$/i;
async function jsModule(path: string): Promise<unknown> {
  if (!existsSync(path)) throw new AxonError('IO', `${path}: file not found`);
  try { const m = await import(pathToFileURL(resolve(path)).href); return m.default ?? m; } catch (e) {
    throw new AxonError('BAD_MODEL_FILE', `${path}: cannot load this JavaScript module (${(e as Error).message}); pass model.json and its binary shards instead`);
  }
}
async function jsModelJson(path: string): Promise<{ format?: string; modelTopology?: { node?: unknown } }> {
  let v = await jsModule(path) as { default?: unknown; modelTopology?: unknown } | string;
  if (typeof v === 'string') try { v = JSON.parse(v); } catch { /* checked below */ }
  if (v && typeof v === 'object' && !('modelTopology' in v) && v.default) v = v.default as typeof v;
  if (!v || typeof v !== 'object' || !('modelTopology' in v)) throw new AxonError('BAD_MODEL_FILE', `${path}: this JavaScript module does not export a TensorFlow.js model.json (an object with modelTopology)`);
  return v as { format?: string; modelTopology?: { node?: unknown } };
}
/** A shard beside a JS model: the binary file itself, or a JS module (.min.js, .js) exporting its bytes as base64. */
async function jsShard(dir: string, p: string): Promise<Uint8Array> {
  const tried = [p, `${p}.min.js`, `${p}.js`].map((n) => join(dir, n)), found = tried.find((f) => existsSync(f));
  if (!found) throw new AxonError('IO', `weight shard "${p}" not found (looked for ${tried.join(', ')})`);
  if (!JS.test(found)) return read(found);
  const v = await jsModule(found);
  if (typeof v === 'string') return new Uint8Array(Buffer.from(v, 'base64'));
  if (v instanceof Uint8Array || v instanceof ArrayBuffer) return new Uint8Array(v);
  throw new AxonError('BAD_MODEL_FILE', `${found}: expected a module exporting the shard's bytes (a base64 string)`);
}

export interface ImportResult { out: string; layers: number; params: number; inputShape: number[]; note: string }

/** Converts model.onnx or a TF.js model.json (shards beside it) into an Axon model file. */
export async function importModel(input: string, opts: { out: string; name?: string; output?: string; inputShape?: number[] }): Promise<ImportResult> {
  if ((opts.output !== undefined || opts.inputShape !== undefined) && extname(input).toLowerCase() === '.onnx')
    throw new AxonError('BAD_ARGUMENT', `${input}: --output and --input-shape apply to TensorFlow.js graph models (an ONNX graph has one output and its own input shape)`);
  const ext = extname(input).toLowerCase();
  let model, note = '';
  if (ext === '.onnx') {
    const r = await importOnnx(await read(input), { file: input, name: opts.name });
    model = r.model;
    const moved = r.onnxInputShape.join() !== model.inputShape.join();
    note = moved ? `input is channels-last: ONNX [N, ${r.onnxInputShape}] → Axon [N, ${model.inputShape}]` : '';
  } else if (ext === '.json' || JS.test(input)) {
    const dir = dirname(input);
    let mj: { format?: string; modelTopology?: { node?: unknown } };
    const o = { file: input, name: opts.name, loadShard: (p: string) => (JS.test(input) ? jsShard(dir, p) : read(join(dir, p))) };
    if (JS.test(input)) mj = await jsModelJson(input);
    else try { mj = JSON.parse(new TextDecoder().decode(await read(input))); } catch (e) {
      if (e instanceof AxonError) throw e;
      throw new AxonError('BAD_MODEL_FILE', `${input}: not JSON (${(e as Error).message})`);
    }
    const graph = mj.format === 'graph-model' || Array.isArray(mj.modelTopology?.node);
    if (!graph && (opts.output !== undefined || opts.inputShape !== undefined)) throw new AxonError('BAD_ARGUMENT', `${input}: --output and --input-shape apply to TensorFlow.js graph models; this is a layers model (one output, input shape in its config)`);
    const r = graph ? await importTfjsGraph(mj as TfjsGraphJson, { ...o, output: opts.output, inputShape: opts.inputShape }) : await importTfjsLayers(mj as TfjsModelJson, o);
    model = r.model;
  } else throw new AxonError('BAD_ARGUMENT', `${input}: expected a .onnx file, a TensorFlow.js model.json, or a JavaScript module exporting one (model.min.js)`);
  writeFileAtomic(opts.out, modelToBytes(model));   // (with model.extra.importedFrom: the source's names and layouts)
  return { out: opts.out, layers: model.layers.length, params: model.paramCount, inputShape: model.inputShape, note };
}

/** Writes an Axon model file as ONNX (.onnx) or PyTorch-layout safetensors (.safetensors). */
export async function exportModel(input: string, opts: { out: string; layout?: 'nhwc' | 'nchw'; opset?: number }): Promise<{ out: string; bytes: number }> {
  const { model, graph } = modelFromBytes(await read(input), input);
  const sources = (graph.extra?.importedFrom as { paramSources?: Record<string, string> } | undefined)?.paramSources;
  const ext = extname(opts.out).toLowerCase();
  let bytes: Uint8Array;
  if (ext === '.onnx') bytes = await exportOnnx(model, { inputLayout: opts.layout, opset: opts.opset });
  else if (ext === '.safetensors') bytes = exportTorchSafetensors(model, { names: sources });   // imported models get their original names back
  else throw new AxonError('BAD_ARGUMENT', `${opts.out}: the output must end in .onnx or .safetensors`);
  writeFileAtomic(opts.out, bytes);
  return { out: opts.out, bytes: bytes.length };
}
