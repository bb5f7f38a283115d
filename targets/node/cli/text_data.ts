// `axon train` on text (a config with a "text" section): the tokenizer.json, a labelled text file
// ("label<TAB>text" per line; `#` lines and blank lines skipped), a seeded split of the texts,
// and the ids + mask inputs every part gets (one padded length for all parts: the longest text,
// at most text.maxLength); data.limit keeps the first n rows of the (shuffled) training part, the
// validation and test parts unchanged. The model's inputs are "ids" and "mask" (i32 [steps], open up to maxLength).
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { AxonError } from '../../../src/errors.js';
import { Tensor } from '../../../src/runtime/tensor.js';
import { splitData, takeRows } from '../../../src/data/split.js';
import { loadTokenizer, TextTokenizer } from '../../../src/text/tokenizer.js';
import { parseLabelledText } from '../../../src/text/data.js';
import type { InputSpec } from '../../../src/model/inputs.js';
import type { TrainConfig } from './config.js';

export interface TextPart { x: { ids: Tensor; mask: Tensor }; y: Tensor }
export interface TextData { tokenizer: TextTokenizer; labels: string[]; train: TextPart; validation: TextPart; test: TextPart; length: number; truncated: number }

async function readText(path: string, what: string): Promise<string> {
  try { return await readFile(path, 'utf8'); } catch { throw new AxonError('IO', `${path}: cannot read the ${what}`); }
}

/** The model inputs a text config declares. */
export const textInputs = (maxLength: number): InputSpec[] => [
  { name: 'ids', shape: [null], dtype: 'i32', maxShape: [maxLength] },
  { name: 'mask', shape: [null], dtype: 'i32', maxShape: [maxLength] },
];

export async function loadTextData(cfg: TrainConfig, dir: string, seed: number): Promise<TextData> {
  const t = cfg.text!, d = cfg.data;
  const tokPath = resolve(dir, t.tokenizer);
  const tokenizer = await loadTokenizer(await readText(tokPath, 'tokenizer file'), tokPath);
  const main = parseLabelledText(await readText(resolve(dir, d.text!), 'text data file'), d.text!);
  const test = d.testText ? parseLabelledText(await readText(resolve(dir, d.testText), 'test text file'), d.testText) : undefined;
  const labels = t.labels ?? [...new Set(main.labels)].sort();
  const classOf = (l: string, file: string) => {
    const k = labels.indexOf(l);
    if (k < 0) throw new AxonError('BAD_DATA', `${file}: label "${l}" is not one of text.labels (${labels.join(', ')})`);
    return k;
  };
  const texts = [...main.texts, ...(test?.texts ?? [])];
  const y = Int32Array.from([...main.labels.map((l) => classOf(l, d.text!)), ...(test?.labels.map((l) => classOf(l, d.testText!)) ?? [])]);
  const enc = tokenizer.encode(texts, { maxLength: t.maxLength });
  const n = main.texts.length, rows = new Tensor(Int32Array.from({ length: n }, (_, i) => i), [n, 1], 'i32');
  const split = splitData(rows, undefined, { validation: d.validationSplit ?? 0.1, test: test ? 0 : d.testSplit ?? 0.2, seed, name: d.text! });
  const part = (index: ArrayLike<number>): TextPart => ({ x: { ids: takeRows(enc.ids, index), mask: takeRows(enc.mask, index) }, y: takeRows(new Tensor(y, [y.length], 'i32'), index) });
  return {
    tokenizer, labels, length: enc.ids.shape[1], truncated: enc.truncated.length,
    train: part(d.limit ? split.train.x.data.subarray(0, d.limit) : split.train.x.data), validation: part(split.validation.x.data),
    test: part(test ? Int32Array.from({ length: test.texts.length }, (_, i) => n + i) : split.test.x.data),
  };
}
