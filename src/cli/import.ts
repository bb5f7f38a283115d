// `axon import` (ONNX or TensorFlow.js layers or graph model → Axon model file) and `axon export` (Axon model
// file → ONNX, or safetensors with PyTorch names and layouts).
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, extname } from 'node:path';
import { AxonError } from '../errors.js';
import { importOnnx } from '../import/onnx.js';
import { importTfjsLayers, type TfjsModelJson } from '../import/tfjs.js';
import { importTfjsGraph, type TfjsGraphJson } from '../import/tfjs_graph.js';
import { exportOnnx } from '../export/onnx.js';
import { exportTorchSafetensors } from '../export/torch.js';
import { modelToBytes, modelFromBytes } from '../model/serialize.js';

const read = async (path: string): Promise<Uint8Array> => {
  try { return new Uint8Array(await readFile(path)); } catch (e) {
    throw new AxonError('IO', (e as NodeJS.ErrnoException).code === 'ENOENT' ? `${path}: file not found` : `${path}: cannot read (${(e as Error).message})`);
  }
};

export interface ImportResult { out: string; layers: number; params: number; inputShape: number[]; note: string }

/** Converts model.onnx or a TF.js model.json (shards beside it) into an Axon model file. */
export async function importModel(input: string, opts: { out: string; name?: string }): Promise<ImportResult> {
  const ext = extname(input).toLowerCase();
  let model, note = '', extra: Record<string, unknown>;
  if (ext === '.onnx') {
    const r = await importOnnx(await read(input), { file: input, name: opts.name });
    model = r.model;
    const moved = r.onnxInputShape.join() !== model.inputShape.join();
    note = moved ? `input is channels-last: ONNX [N, ${r.onnxInputShape}] → Axon [N, ${model.inputShape}]` : '';
    extra = { importedFrom: { format: 'onnx', file: input, opset: r.opset, onnxInputShape: r.onnxInputShape, onnxOutputShape: r.onnxOutputShape, paramSources: r.paramSources } };
  } else if (ext === '.json') {
    const dir = dirname(input), text = new TextDecoder().decode(await read(input));
    const o = { file: input, name: opts.name, loadShard: (p: string) => read(join(dir, p)) };
    let mj: { format?: string; modelTopology?: { node?: unknown } };
    try { mj = JSON.parse(text); } catch (e) { throw new AxonError('BAD_MODEL_FILE', `${input}: not JSON (${(e as Error).message})`); }
    const graph = mj.format === 'graph-model' || Array.isArray(mj.modelTopology?.node);
    const r = graph ? await importTfjsGraph(mj as TfjsGraphJson, o) : await importTfjsLayers(mj as TfjsModelJson, o);
    model = r.model;
    extra = { importedFrom: { format: graph ? 'tfjs-graph' : 'tfjs-layers', file: input, paramSources: r.paramSources } };
  } else throw new AxonError('BAD_ARGUMENT', `${input}: expected a .onnx file or a TensorFlow.js model.json`);
  await writeFile(opts.out, modelToBytes(model, { extra }));
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
  await writeFile(opts.out, bytes);
  return { out: opts.out, bytes: bytes.length };
}
