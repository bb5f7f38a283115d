// A model that reads text: the tokenizer travels inside the model file (graph.extra.text: the
// tokenizer.json, the longest sequence, which model inputs take the ids and the mask, the class
// names), so `axon run --text`, the Worker's {"text": ...} and the browser demo encode exactly as
// training did. A WASI device has no tokenizer: it takes ids encoded ahead (`axon compile --text`).
import { AxonError } from '../errors.js';
import type { Model } from '../model/model.js';
import type { Tensor } from '../runtime/tensor.js';
import { loadTokenizer, TextTokenizer, EncodeOptions, EncodedBatch } from './tokenizer.js';

/** What graph.extra.text holds. */
export interface TextSpec {
  /** the tokenizer.json object */
  tokenizer: Record<string, unknown>;
  /** the longest sequence the model takes, special tokens included */
  maxLength: number;
  /** the model inputs that take the token ids and (optional) the attention mask */
  inputs: { ids: string; mask?: string };
  /** class names, in output order */
  labels?: string[];
}

/** The graph.extra.text entry for a model trained with this tokenizer. */
export function textSpec(tokenizer: TextTokenizer, o: { maxLength: number; ids?: string; mask?: string | null; labels?: string[] }): TextSpec {
  const mask = o.mask === null ? undefined : o.mask ?? 'mask';
  return { tokenizer: tokenizer.json, maxLength: o.maxLength, inputs: { ids: o.ids ?? 'ids', ...(mask ? { mask } : {}) }, ...(o.labels ? { labels: o.labels } : {}) };
}

export interface TextClass { label: string; index: number; score: number; scores: number[] }

/** A model with its tokenizer: texts in, model inputs or classes out. */
export class TextModel {
  private constructor(readonly model: Model, readonly tokenizer: TextTokenizer, readonly spec: TextSpec) {}

  /** The text side of a loaded model file (graph.extra.text); rejects with AxonError('BAD_MODEL_FILE') if it has none or it is malformed. */
  static async from(model: Model, extra: Record<string, unknown> | undefined, file = 'model.axon'): Promise<TextModel> {
    const bad = (msg: string) => new AxonError('BAD_MODEL_FILE', `${file}: ${msg}`);
    const t = extra?.text as Record<string, unknown> | undefined;
    if (!t || typeof t !== 'object') throw bad('has no tokenizer (graph.extra.text); it was not trained on text: give token ids as inputs instead');
    const inputs = t.inputs as Record<string, unknown> | undefined;
    if (!t.tokenizer || typeof t.tokenizer !== 'object' || Array.isArray(t.tokenizer)) throw bad('extra.text.tokenizer must be a tokenizer.json object');
    if (!Number.isInteger(t.maxLength) || (t.maxLength as number) < 1) throw bad(`extra.text.maxLength must be a positive integer, got ${JSON.stringify(t.maxLength)}`);
    if (!inputs || typeof inputs.ids !== 'string' || (inputs.mask !== undefined && typeof inputs.mask !== 'string')) throw bad('extra.text.inputs must be { ids: input name, mask?: input name }');
    const names = [inputs.ids, ...(inputs.mask ? [inputs.mask as string] : [])];
    for (const n of names) {
      const d = model.inputs.find((m) => m.name === n);
      if (!d || d.dtype !== 'i32' || d.shape.length !== 1) throw bad(`extra.text.inputs names "${n}", which is not an i32 [steps] input of the model (its inputs: ${model.inputs.map((m) => m.name).join(', ')})`);
    }
    if (model.inputs.length !== names.length) throw bad(`the model has inputs besides the text's (${model.inputs.map((m) => m.name).join(', ')})`);
    const labels = t.labels;
    if (labels !== undefined && !(Array.isArray(labels) && labels.every((l) => typeof l === 'string'))) throw bad('extra.text.labels must be a list of class names');
    const tokenizer = await loadTokenizer(t.tokenizer as Record<string, unknown>, `${file} (extra.text.tokenizer)`);
    return new TextModel(model, tokenizer, t as unknown as TextSpec);
  }

  /** Texts → the model's inputs by name (ids and mask, padded to the longest text, cut at maxLength). */
  encode(texts: string | readonly string[], o: Omit<EncodeOptions, 'maxLength'> = {}): { inputs: Record<string, Tensor>; batch: EncodedBatch } {
    const batch = this.tokenizer.encode(texts, { ...o, maxLength: this.spec.maxLength });
    const inputs: Record<string, Tensor> = { [this.spec.inputs.ids]: batch.ids };
    if (this.spec.inputs.mask) inputs[this.spec.inputs.mask] = batch.mask;
    return { inputs, batch };
  }

  /** Texts → the model's first output, one row per text, with the best class and its name. */
  async classify(texts: string | readonly string[], o: Omit<EncodeOptions, 'maxLength'> = {}): Promise<TextClass[]> {
    const { inputs } = this.encode(texts, o);
    const ys = (await this.model.predict(inputs)) as Record<string, Tensor>;
    const y = ys[this.model.outputNames[0]], n = y.shape[0], C = y.size / n;
    return Array.from({ length: n }, (_, r) => {
      const scores = Array.from(y.data.subarray(r * C, (r + 1) * C));
      const index = scores.indexOf(Math.max(...scores));
      return { label: this.spec.labels?.[index] ?? String(index), index, score: scores[index], scores };
    });
  }
}
