// `axon info <model.axon>`: what a model file holds, without running it: format version, input,
// layers with output shapes, parameter counts and tensor dtypes, quantization, compile settings,
// the saved normalizer, and the file size. --json prints the same as JSON. Models with several
// (or named, or i32, or open-length) inputs or several outputs list them: name, dtype, shape with
// open dimensions as null, maxima and id ranges; each output's shape.
import { AxonError } from '../../../src/errors.js';
import { readAxonModelFile } from '../../../src/format/safetensors.js';
import { modelFromBytes } from '../../../src/model/serialize.js';
import { size } from '../../../src/layers/layer.js';
import { readModelFile } from '../model_file.js';

export interface InfoLayer { name: string; type: string; outputShape: number[]; params: number; tensors: Record<string, string>; trainable: boolean; inputs?: string[] }
export interface InfoInput { name: string; dtype: 'f32' | 'i32'; shape: Array<number | null>; maxShape?: Array<number | null>; range?: [number, number] }
export interface ModelInfo {
  file: string; bytes: number; version: number; name: string; inputShape: number[]; outputShape: number[];
  inputs: InfoInput[]; outputs: Array<{ name: string; shape: number[] }>;
  layers: InfoLayer[]; params: number; paramBytes: number; dtypes: Record<string, number>; quantized: boolean;
  compile?: unknown; normalizer: boolean;
  /** a model trained on text: its tokenizer (graph.extra.text) */
  text?: { tokenizer: string; vocab: number; maxLength: number; labels?: string[] };
}

/** graph.extra.text, summarized (not loaded: info reads files it cannot run too). */
function textInfo(extra: Record<string, unknown> | undefined): ModelInfo['text'] {
  const t = extra?.text as { tokenizer?: { model?: { type?: unknown; vocab?: unknown } }; maxLength?: unknown; labels?: unknown } | undefined;
  if (!t || typeof t !== 'object') return undefined;
  const m = t.tokenizer?.model, vocab = m?.vocab;
  return { tokenizer: String(m?.type ?? '?'), vocab: Array.isArray(vocab) ? vocab.length : vocab && typeof vocab === 'object' ? Object.keys(vocab).length : 0, maxLength: Number(t.maxLength), ...(Array.isArray(t.labels) ? { labels: t.labels.map(String) } : {}) };
}

export async function info(path: string): Promise<ModelInfo> {
  const bytes = readModelFile(path);
  const file = readAxonModelFile(bytes, path);
  const { model, graph } = modelFromBytes(bytes, path);
  const dtypes: Record<string, number> = {};
  let paramBytes = 0;
  for (const [, t] of file.tensors) { dtypes[t.dtype] = (dtypes[t.dtype] ?? 0) + t.data.length; paramBytes += t.data.byteLength; }
  const chain = model.isChain;   // graph models also list what each layer reads
  const layers = model.layers.map((l) => ({
    name: l.name, type: l.type, outputShape: l.outputShape, params: l.paramCount, trainable: l.trainable, ...(chain ? {} : { inputs: model.inputsOf(l.name) }),
    tensors: Object.fromEntries(l.params.map((p) => [p.name, file.tensors.get(`${l.name}.${p.name}`)?.dtype ?? '?'])),
  }));
  if (!layers.length) throw new AxonError('BAD_MODEL_FILE', `${path}: the model has no layers`);
  return {
    file: path, bytes: bytes.length, version: file.version, name: model.name, inputShape: model.inputShape, outputShape: model.outputShape,
    inputs: model.inputs.map((m) => ({ name: m.name, dtype: m.dtype, shape: m.shape, ...(m.shape.some((d, k) => d === null && m.max[k] !== null) ? { maxShape: m.max } : {}), ...(m.range ? { range: m.range } : {}) })),
    outputs: model.outputNames.map((name, k) => ({ name, shape: model.outputShapes[k] })),
    layers, params: model.paramCount, paramBytes, dtypes, quantized: file.quant !== undefined, compile: graph.compile,
    normalizer: (graph.extra as { normalizer?: unknown } | undefined)?.normalizer !== undefined,
    ...(textInfo(graph.extra) ? { text: textInfo(graph.extra) } : {}),
  };
}

/** One f32 input named "input" with no open dimension and one output: the classic one-line summary. */
const plainIO = (i: ModelInfo) => i.inputs.length === 1 && i.outputs.length === 1 && i.inputs[0].name === 'input' && i.inputs[0].dtype === 'f32' && !i.inputs[0].shape.includes(null);

/** The human-readable table. */
export function formatInfo(i: ModelInfo): string {
  const graph = i.layers.some((l) => l.inputs);
  const rows = [['Layer (type)', 'Output shape', 'Params', ...(graph ? ['Reads'] : []), 'Tensors'], ...i.layers.map((l) => [
    `${l.name} (${l.type})${l.trainable ? '' : ' *'}`, `[batch, ${l.outputShape.join(', ')}]`, String(l.params), ...(graph ? [l.inputs!.join(', ')] : []),
    Object.entries(l.tensors).map(([k, d]) => `${k}:${d}`).join(' ') || '-',
  ])];
  const padded = rows[0].length - 1, w = rows[0].slice(0, padded).map((_, c) => Math.max(...rows.map((r) => r[c].length)) + 2);
  const line = (r: string[]) => r.map((s, c) => (c < padded ? s.padEnd(w[c]) : s)).join('');
  const rule = '─'.repeat(w.reduce((a, b) => a + b, 0) + 24);
  const c = i.compile as { loss?: string; optimizer?: unknown } | undefined;
  return [
    `${i.file}: Axon model file, format version ${i.version}, ${i.bytes.toLocaleString('en-US')} bytes${i.quantized ? ', int8 quantized' : ''}`,
    ...(plainIO(i) ? [`model: ${i.name}, input [batch, ${i.inputShape.join(', ')}] → output [batch, ${i.outputShape.join(', ')}]`] : [
      `model: ${i.name}, ${i.inputs.length} input${i.inputs.length > 1 ? 's' : ''} → ${i.outputs.length} output${i.outputs.length > 1 ? 's' : ''}`,
      ...i.inputs.map((m) => `  input  ${m.name}: ${m.dtype} [batch, ${m.shape.map((d) => d ?? 'null').join(', ')}]${m.maxShape ? ` (at most [${m.maxShape.join(', ')}])` : ''}${m.range ? ` ids in [${m.range.join(', ')}]` : ''}`),
      ...i.outputs.map((o) => `  output ${o.name}: [batch, ${o.shape.join(', ')}]${i.inputs.some((m) => m.shape.includes(null)) ? ' (at the largest input shapes)' : ''}`),
    ]),
    rule, line(rows[0]), rule, ...rows.slice(1).map(line), rule,
    `parameters: ${i.params.toLocaleString('en-US')} (${Object.entries(i.dtypes).map(([d, n]) => `${n.toLocaleString('en-US')} ${d}`).join(', ')}; ${i.paramBytes.toLocaleString('en-US')} bytes)`,
    ...(i.layers.some((l) => !l.trainable) ? ['* frozen (not trained by fit)'] : []),
    `compile: ${c ? `loss ${c.loss}, optimizer ${JSON.stringify(c.optimizer)}` : 'none'}; normalizer: ${i.normalizer ? 'saved' : 'none'}`,
    ...(i.text ? [`text: ${i.text.tokenizer} tokenizer (${i.text.vocab.toLocaleString('en-US')} tokens), at most ${i.text.maxLength} tokens${i.text.labels ? `; classes ${i.text.labels.join(', ')}` : ''}`] : []),
  ].join('\n');
}
