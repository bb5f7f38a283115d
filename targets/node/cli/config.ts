// The training config file of `axon train`: data, model, compile, fit, output (and, for text,
// `text`: the tokenizer and the longest sequence; for audio, `data.audio`: x is a directory of
// <label>/*.wav clips). Paths are relative to the config file.
// Validated up front with messages that name the key.
import { AxonError } from '../../../src/errors.js';
import type { CompileOptions } from '../../../src/model/model.js';
import type { NormalizeOptions } from '../../../src/data/normalize.js';

/** A layer: its type, options, and (graph models) the names of the layers it reads ("input": the model input). */
export interface LayerSpec { type: string; name?: string; inputs?: string[]; [k: string]: unknown }
/** A pretrained encoder (ONNX, .onnx or .onnx.gz) frozen under a new pooling + Dense head. */
export interface EncoderSpec { onnx: string; freeze?: boolean; pooling?: 'mean' | 'first'; hidden?: Array<{ units: number; activation?: string }>; output?: string; inputs?: { ids?: string; mask?: string } }
export interface TrainConfig {
  name?: string;
  seed?: number;
  /** a text model: inputs "ids" and "mask" from this tokenizer; data.text holds "label<TAB>text" lines */
  text?: { tokenizer: string; maxLength: number; labels?: string[] };
  data: {
    /** inputs and labels (any model but a text one) */
    x?: string; y?: string;
    /** text models: a "label<TAB>text" file, and optionally a separate test file of the same form */
    text?: string; testText?: string;
    testX?: string; testY?: string;
    /** fraction held out for test when no testX/testY (default 0.2) */
    testSplit?: number;
    /** fraction of the training part used for validation (default 0.1) */
    validationSplit?: number;
    /** multiply inputs by this before anything else (e.g. 1/255) */
    scale?: number;
    /** fitted on the training part only, saved in the model file */
    normalize?: NormalizeOptions | false;
    /** reshape each sample, e.g. [28, 28, 1] */
    sampleShape?: number[];
    /** use only the first n training samples */
    limit?: number;
    /** x (and testX) a directory of <label>/*.wav clips: the labels come from it (no y); class order and clip format */
    labels?: string[];
    audio?: { sampleRate?: number; samples?: number };
  };
  /** layers, or (text) `encoder`: a pretrained ONNX encoder with a new head (text_transfer.ts) */
  model: { inputShape?: number[]; layers: LayerSpec[]; encoder?: EncoderSpec };
  compile: CompileOptions;
  fit: { epochs?: number; batchSize?: number; shuffle?: boolean; earlyStopping?: { monitor?: string; patience?: number; minDelta?: number; restoreBestWeights?: boolean } };
  output?: string;
}

export function parseConfig(text: string, path: string): TrainConfig {
  let c: TrainConfig;
  try { c = JSON.parse(text); } catch (e) { throw new AxonError('BAD_CONFIG', `${path}: not valid JSON (${(e as Error).message})`); }
  const need = (cond: unknown, msg: string) => { if (!cond) throw new AxonError('BAD_CONFIG', `${path}: ${msg}`); };
  need(c && typeof c === 'object', 'the config must be a JSON object');
  if (c.text !== undefined) {
    const t = c.text;
    need(t && typeof t === 'object' && typeof t.tokenizer === 'string', 'text.tokenizer must name a tokenizer.json file');
    need(Number.isInteger(t.maxLength) && t.maxLength >= 2 && t.maxLength <= 4096, `text.maxLength must be an integer in [2, 4096] (the longest sequence, special tokens included), got ${JSON.stringify(t.maxLength)}`);
    need(t.labels === undefined || (Array.isArray(t.labels) && t.labels.length > 1 && t.labels.every((l) => typeof l === 'string')), 'text.labels must be a list of at least two class names');
    need(c.data && typeof c.data.text === 'string', 'data.text must name a "label<TAB>text" file (a config with "text" trains on text)');
    need(c.data.testText === undefined || typeof c.data.testText === 'string', 'data.testText must name a "label<TAB>text" file');
  } else if (c.data?.audio !== undefined) {
    need(typeof c.data.x === 'string', 'data.x must name a directory of <label>/*.wav clips (data.audio is set)');
    need(c.data.labels === undefined || (Array.isArray(c.data.labels) && c.data.labels.length > 1 && c.data.labels.every((l) => typeof l === 'string')), 'data.labels must be a list of at least two class names (the subdirectories)');
    for (const k of ['sampleRate', 'samples'] as const) need(c.data.audio[k] === undefined || (Number.isInteger(c.data.audio[k]) && c.data.audio[k]! > 0), `data.audio.${k} must be a positive integer`);
  } else need(c.data && typeof c.data.x === 'string' && typeof c.data.y === 'string', 'data.x and data.y must name the input and label files');
  if (c.model?.encoder !== undefined) {
    const e = c.model.encoder;
    need(c.text, 'model.encoder needs a "text" section (the tokenizer the encoder was pretrained with)');
    need(e && typeof e === 'object' && typeof e.onnx === 'string', 'model.encoder.onnx must name a .onnx (or .onnx.gz) file');
    need(e.pooling === undefined || e.pooling === 'mean' || e.pooling === 'first', `model.encoder.pooling must be "mean" or "first", got ${JSON.stringify(e.pooling)}`);
    need(e.freeze === undefined || typeof e.freeze === 'boolean', 'model.encoder.freeze must be true or false');
    need(e.hidden === undefined || (Array.isArray(e.hidden) && e.hidden.every((h) => h && Number.isInteger(h.units) && h.units > 0)), 'model.encoder.hidden must be a list of { "units": n, "activation"?: name }');
    need(c.model.layers === undefined, 'model.encoder replaces model.layers (the head is pooling + Dense); drop "layers"');
    c.model.layers = [];
  } else need(c.model && Array.isArray(c.model.layers) && c.model.layers.length > 0, 'model.layers must be a non-empty list of layers');
  need(c.data.limit === undefined || (Number.isInteger(c.data.limit) && c.data.limit > 0), `data.limit must be a positive integer, got ${JSON.stringify(c.data.limit)}`);
  c.model.layers.forEach((l, i) => {
    need(l && typeof l.type === 'string', `model.layers[${i}].type is missing`);
    need(l.inputs === undefined || (Array.isArray(l.inputs) && l.inputs.length > 0 && l.inputs.every((n) => typeof n === 'string')), `model.layers[${i}].inputs must be a non-empty list of layer names ("input" for the model input)`);
  });
  need(c.compile && c.compile.loss && c.compile.optimizer, 'compile.loss and compile.optimizer are required');
  c.fit ??= {};
  return c;
}
