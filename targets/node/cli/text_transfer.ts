// `axon train` with "model": {"encoder": {...}} (text configs only): reads a pretrained encoder
// (.onnx, or .onnx.gz), imports it, checks it against the config's tokenizer (vocabulary and the
// longest sequence), and appends pooling + a new Dense head (src/text/transfer.ts), the encoder
// frozen unless "freeze": false. The training parts' ids / mask go to the encoder's own input names.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { AxonError } from '../../../src/errors.js';
import { importOnnx } from '../../../src/import/onnx.js';
import type { Model } from '../../../src/model/model.js';
import type { Engine } from '../../../src/runtime/engine.js';
import type { Tensor } from '../../../src/runtime/tensor.js';
import type { ActivationName } from '../../../src/layers/activation.js';
import { encoderInputs, textClassifierFromEncoder } from '../../../src/text/transfer.js';
import type { TextTokenizer } from '../../../src/text/tokenizer.js';
import type { TrainConfig } from './config.js';
import type { TextData, TextPart } from './text_data.js';

/** The encoder file's bytes (gunzipped when it ends in .gz). */
export async function readEncoder(path: string): Promise<Uint8Array> {
  let raw: Buffer;
  try { raw = await readFile(path); } catch { throw new AxonError('IO', `${path}: cannot read the encoder file`); }
  if (!path.endsWith('.gz')) return new Uint8Array(raw);
  try { return new Uint8Array(gunzipSync(raw)); } catch (e) { throw new AxonError('BAD_MODEL_FILE', `${path}: not a gzip file (${(e as Error).message}); give the .onnx itself`); }
}

export interface EncoderModel { model: Model; inputs: { ids: string; mask: string }; frozen: number }

/** The config's encoder with its new head, for this tokenizer and these classes. */
export async function buildEncoderModel(cfg: TrainConfig, dir: string, tokenizer: TextTokenizer, classes: number, seed: number, engine: Engine): Promise<EncoderModel> {
  const e = cfg.model.encoder!, path = resolve(dir, e.onnx);
  const imp = await importOnnx(await readEncoder(path), { engine, file: e.onnx, seed, name: cfg.name ?? 'model' });
  const m = imp.model;
  const inputs = encoderInputs(m, e.inputs);
  const ids = m.inputs.find((d) => d.name === inputs.ids)!;
  const vocab = ids.range ? ids.range[1] + 1 : Infinity, longest = ids.max?.[0] ?? Infinity;
  if (vocab < tokenizer.vocabSize) throw new AxonError('BAD_CONFIG', `${e.onnx}: the encoder knows ${vocab} token ids but the tokenizer has ${tokenizer.vocabSize}; use the tokenizer it was pretrained with`);
  if (longest < cfg.text!.maxLength) throw new AxonError('BAD_CONFIG', `${e.onnx}: the encoder takes at most ${longest} tokens; set text.maxLength ≤ ${longest} (it is ${cfg.text!.maxLength})`);
  const model = textClassifierFromEncoder(imp, { classes, pooling: e.pooling, hidden: e.hidden?.map((h) => ({ units: h.units, activation: h.activation as ActivationName })), freeze: e.freeze, output: e.output, inputs });
  return { model, inputs, frozen: model.layers.filter((l) => !l.trainable).length };
}

/** The text parts with their ids / mask under the encoder's input names. */
export function renameInputs(data: TextData, inputs: { ids: string; mask: string }): TextData {
  const part = (p: TextPart): TextPart => ({ ...p, x: { [inputs.ids]: p.x.ids, [inputs.mask]: p.x.mask } as unknown as { ids: Tensor; mask: Tensor } });
  return { ...data, train: part(data.train), validation: part(data.validation), test: part(data.test) };
}
