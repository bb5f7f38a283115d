// Text → token ids, on the host (never in wasm). A Hugging Face `tokenizer.json` (WordPiece, BPE or
// Unigram models, with the normalizers, pre-tokenizers, post-processors and decoders that
// @huggingface/tokenizers implements) is checked field by field before the library sees it, then
// batches of texts are encoded into the i32 `ids` and attention-`mask` Tensors a model's inputs take:
// special tokens as the file's post-processor adds them, truncation that keeps them (the content is
// cut, as the Rust `tokenizers` crate does), padding to the batch's longest row or to a fixed length.
// Limits: the file size, vocabulary size and characters per text are bounded (TokenizerLimits), so
// a hostile file or request gets an AxonError instead of a long stall.
// NOTE: the library is imported on first use (a dynamic import, inlined by bundlers), so an app that
// never loads a tokenizer ships none of it (bundlers keep a static import's top-level code).
import type { Tokenizer } from '@huggingface/tokenizers';
import { AxonError } from '../errors.js';
import { Tensor } from '../runtime/tensor.js';

export interface TokenizerLimits {
  /** largest tokenizer.json accepted, in bytes (default 64 MiB) */
  maxFileBytes: number;
  /** most vocabulary entries (default 1,000,000) */
  maxVocab: number;
}
const DEFAULTS: TokenizerLimits = { maxFileBytes: 67_108_864, maxVocab: 1_000_000 }; // 64 MiB

export interface EncodeOptions {
  /** the longest row, special tokens included (default 512) */
  maxLength?: number;
  /** 'longest' (default): pad to the batch's longest row; 'max_length': pad every row to maxLength */
  padding?: 'longest' | 'max_length';
  /** cut rows beyond maxLength, keeping the special tokens (default true); false: an AxonError names the row */
  truncation?: boolean;
  /** add the post-processor's special tokens ([CLS] … [SEP]); default true */
  addSpecialTokens?: boolean;
  /** most characters per text (default 100,000) */
  maxChars?: number;
}

export interface EncodedBatch {
  /** [n, L] i32 token ids, padded with padId */
  ids: Tensor;
  /** [n, L] i32, 1 for a token and 0 for padding */
  mask: Tensor;
  /** tokens per row before padding */
  lengths: number[];
  /** rows that were cut to maxLength */
  truncated: number[];
}

const MODELS = ['WordPiece', 'BPE', 'Unigram'];
const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const isId = (v: unknown, max: number) => Number.isInteger(v) && (v as number) >= 0 && (v as number) < max;

/** A tokenizer.json loaded behind checks; encodes batches into model inputs. */
export class TextTokenizer {
  /** the tokenizer.json object it was loaded from (saved into model files as is) */
  readonly json: Record<string, unknown>;
  /** the model type: WordPiece, BPE or Unigram */
  readonly kind: string;
  /** one past the largest id the tokenizer can produce (an embedding needs at least this many rows) */
  readonly vocabSize: number;
  /** the id padding rows get (the file's padding.pad_id, else [PAD] / <pad>, else 0) */
  readonly padId: number;
  private readonly tok: Tokenizer;
  private readonly name: string;

  constructor(json: Record<string, unknown>, name: string, limits: TokenizerLimits, Lib: typeof Tokenizer) {
    this.name = name;
    const { kind, maxId } = checkTokenizerJson(json, name, limits);
    this.json = json;
    this.kind = kind;
    this.vocabSize = maxId + 1;
    try {
      this.tok = new Lib({ normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null, added_tokens: [], ...json }, {});
    } catch (e) { throw this.fail(`the tokenizer library refused it (${(e as Error).message})`); }
    const pad = isObject(json.padding) && isId(json.padding.pad_id, this.vocabSize) ? (json.padding.pad_id as number)
      : this.tok.token_to_id('[PAD]') ?? this.tok.token_to_id('<pad>') ?? 0;
    this.padId = pad;
    this.ids('a b', true, 'a smoke test'); // a model that constructs but cannot encode fails here, not at the first request
  }

  private fail(msg: string): AxonError { return new AxonError('BAD_TOKENIZER', `${this.name}: ${msg}; give a tokenizer.json saved by Hugging Face tokenizers (WordPiece, BPE or Unigram)`); }

  /** One text's ids (special tokens when asked), each checked to be an id of the vocabulary. */
  private ids(text: string, special: boolean, what: string): number[] {
    let ids: number[];
    try { ids = this.tok.encode(text, { add_special_tokens: special }).ids; } catch (e) { throw this.fail(`encoding ${what} failed (${(e as Error).message})`); }
    for (const id of ids) if (!isId(id, this.vocabSize)) throw this.fail(`encoding ${what} gave id ${id}, not an id of the vocabulary (is unk_token in the vocabulary?)`);
    return ids;
  }

  /** The tokens of one text (no special tokens), as strings: for looking, not for the model. */
  tokenize(text: string): string[] { return this.tok.tokenize(text); }

  /** Ids back to text (special tokens dropped). */
  decode(ids: ArrayLike<number>): string {
    const list = Array.from(ids);
    return list.length ? this.tok.decode(list, { skip_special_tokens: true }) : '';
  }

  /** One text's ids, truncated to maxLength keeping the special tokens the post-processor added around the content. */
  encodeOne(text: string, o: EncodeOptions = {}, row = 0): { ids: number[]; truncated: boolean } {
    const maxLength = o.maxLength ?? 512, special = o.addSpecialTokens ?? true;
    if (typeof text !== 'string') throw new AxonError('BAD_ARGUMENT', `text ${row} is a ${text === null ? 'null' : typeof text}; give strings`);
    if (text.length > (o.maxChars ?? 100_000)) throw new AxonError('BAD_ARGUMENT', `text ${row} has ${text.length} characters, more than the ${o.maxChars ?? 100_000} allowed; split it or raise maxChars`);
    const full = this.ids(text, special, `text ${row}`);
    if (full.length <= maxLength) return { ids: full, truncated: false };
    if (o.truncation === false) throw new AxonError('BAD_SHAPE', `text ${row} has ${full.length} tokens, more than maxLength ${maxLength}; shorten it or allow truncation`);
    if (!special) return { ids: full.slice(0, maxLength), truncated: true };
    const content = this.ids(text, false, `text ${row}`);
    const at = findRun(full, content);
    const suffix = at < 0 ? [] : full.slice(at + content.length), prefix = at < 0 ? [] : full.slice(0, at);
    const room = maxLength - prefix.length - suffix.length;
    if (room < 0) throw new AxonError('BAD_ARGUMENT', `maxLength ${maxLength} is shorter than the ${prefix.length + suffix.length} special tokens the tokenizer adds`);
    return { ids: at < 0 ? full.slice(0, maxLength) : [...prefix, ...content.slice(0, room), ...suffix], truncated: true };
  }

  /** Texts → { ids, mask } [n, L] i32 Tensors (L: the longest row, or maxLength with padding 'max_length'). */
  encode(texts: string | readonly string[], o: EncodeOptions = {}): EncodedBatch {
    const list = typeof texts === 'string' ? [texts] : texts;
    if (!Array.isArray(list) || list.length === 0) throw new AxonError('BAD_ARGUMENT', 'encode: give a text or a non-empty list of texts');
    const maxLength = o.maxLength ?? 512;
    if (!Number.isInteger(maxLength) || maxLength < 1 || maxLength > 65536) throw new AxonError('BAD_ARGUMENT', `encode: maxLength must be an integer in [1, 65536], got ${maxLength}`);
    if (o.padding !== undefined && o.padding !== 'longest' && o.padding !== 'max_length') throw new AxonError('BAD_ARGUMENT', `encode: padding must be "longest" or "max_length", got ${JSON.stringify(o.padding)}`);
    const rows = list.map((t, i) => this.encodeOne(t, { ...o, maxLength }, i));
    const L = o.padding === 'max_length' ? maxLength : Math.max(1, ...rows.map((r) => r.ids.length));
    const ids = new Int32Array(list.length * L).fill(this.padId), mask = new Int32Array(list.length * L);
    rows.forEach((r, i) => { ids.set(r.ids, i * L); mask.fill(1, i * L, i * L + r.ids.length); });
    return {
      ids: new Tensor(ids, [list.length, L], 'i32'), mask: new Tensor(mask, [list.length, L], 'i32'),
      lengths: rows.map((r) => r.ids.length), truncated: rows.flatMap((r, i) => (r.truncated ? [i] : [])),
    };
  }
}

/** The first index where `run` occurs in `all` (-1 if nowhere; 0 for an empty run). */
function findRun(all: number[], run: number[]): number {
  for (let p = 0; p + run.length <= all.length; p++) if (run.every((v, k) => all[p + k] === v)) return p;
  return -1;
}

let lib: Promise<typeof import('@huggingface/tokenizers')> | undefined;

/**
 * Loads a Hugging Face tokenizer.json (its text, bytes or parsed object). Rejects with
 * AxonError('BAD_TOKENIZER') naming what is wrong with the file.
 */
export async function loadTokenizer(file: string | Uint8Array | Record<string, unknown>, name = 'tokenizer.json', limits: Partial<TokenizerLimits> = {}): Promise<TextTokenizer> {
  const l = { ...DEFAULTS, ...limits };
  const bad = (msg: string) => new AxonError('BAD_TOKENIZER', `${name}: ${msg}`);
  let json: unknown = file;
  if (file instanceof Uint8Array) {
    if (file.length > l.maxFileBytes) throw bad(`${file.length} bytes is more than the ${l.maxFileBytes} allowed`);
    try { json = new TextDecoder('utf-8', { fatal: true }).decode(file); } catch { throw bad('not valid UTF-8'); }
  }
  if (typeof json === 'string') {
    if (json.length > l.maxFileBytes) throw bad(`${json.length} characters is more than the ${l.maxFileBytes} allowed`);
    try { json = JSON.parse(json); } catch (e) { throw bad(`not valid JSON (${(e as Error).message})`); }
  }
  if (!isObject(json)) throw bad('a tokenizer.json is a JSON object with a "model"');
  const { Tokenizer } = await (lib ??= import('@huggingface/tokenizers'));
  return new TextTokenizer(json, name, l, Tokenizer);
}

/** Field checks before the library sees the file; returns the model type and the largest id. */
function checkTokenizerJson(j: Record<string, unknown>, name: string, l: TokenizerLimits): { kind: string; maxId: number } {
  const bad = (msg: string) => new AxonError('BAD_TOKENIZER', `${name}: ${msg}`);
  const m = j.model;
  if (!isObject(m)) throw bad('"model" is missing or not an object; a tokenizer.json has a "model" with a "type" and a "vocab"');
  const kind = m.type;
  if (typeof kind !== 'string' || !MODELS.includes(kind)) throw bad(`model.type ${JSON.stringify(kind)} is not supported; use ${MODELS.join(', ')}`);
  let maxId = -1;
  if (kind === 'Unigram') {
    if (!Array.isArray(m.vocab) || m.vocab.length === 0) throw bad('model.vocab of a Unigram model must be a non-empty list of [piece, score] pairs');
    if (m.vocab.length > l.maxVocab) throw bad(`model.vocab has ${m.vocab.length} entries, more than the ${l.maxVocab} allowed`);
    m.vocab.forEach((e, i) => { if (!Array.isArray(e) || typeof e[0] !== 'string' || typeof e[1] !== 'number' || !Number.isFinite(e[1])) throw bad(`model.vocab[${i}] must be a [piece, score] pair`); });
    maxId = m.vocab.length - 1;
    if (m.unk_id !== undefined && m.unk_id !== null && !isId(m.unk_id, m.vocab.length)) throw bad(`model.unk_id ${JSON.stringify(m.unk_id)} is not an index of model.vocab`);
  } else {
    if (!isObject(m.vocab)) throw bad(`model.vocab of a ${kind} model must be an object { token: id }`);
    const entries = Object.entries(m.vocab);
    if (entries.length === 0) throw bad('model.vocab is empty');
    if (entries.length > l.maxVocab) throw bad(`model.vocab has ${entries.length} entries, more than the ${l.maxVocab} allowed`);
    for (const [t, id] of entries) {
      if (!isId(id, l.maxVocab)) throw bad(`model.vocab[${JSON.stringify(t)}] = ${JSON.stringify(id)} is not an id in [0, ${l.maxVocab})`);
      if ((id as number) > maxId) maxId = id as number;
    }
    if (m.unk_token !== undefined && m.unk_token !== null && typeof m.unk_token !== 'string') throw bad('model.unk_token must be a string');
    if (kind === 'WordPiece' && (typeof m.unk_token !== 'string' || !(m.unk_token in m.vocab))) throw bad(`model.unk_token ${JSON.stringify(m.unk_token)} is not in model.vocab; WordPiece needs it for words it cannot split`);
    if (kind === 'BPE') {
      if (!Array.isArray(m.merges)) throw bad('model.merges of a BPE model must be a list ("a b" strings or [a, b] pairs)');
      if (m.merges.length > l.maxVocab) throw bad(`model.merges has ${m.merges.length} entries, more than the ${l.maxVocab} allowed`);
      m.merges.forEach((g, i) => {
        const ok = typeof g === 'string' ? g.split(' ').length === 2 : Array.isArray(g) && g.length === 2 && g.every((s) => typeof s === 'string');
        if (!ok) throw bad(`model.merges[${i}] must be "a b" or ["a", "b"]`);
      });
    }
  }
  const added = j.added_tokens ?? [];
  if (!Array.isArray(added)) throw bad('"added_tokens" must be a list');
  if (added.length > l.maxVocab) throw bad(`"added_tokens" has ${added.length} entries, more than the ${l.maxVocab} allowed`);
  added.forEach((t, i) => {
    if (!isObject(t) || typeof t.content !== 'string' || !isId(t.id, l.maxVocab)) throw bad(`added_tokens[${i}] must be { id: integer in [0, ${l.maxVocab}), content: string, ... }`);
    if ((t.id as number) > maxId) maxId = t.id as number;
  });
  for (const k of ['normalizer', 'pre_tokenizer', 'post_processor', 'decoder']) {
    const v = j[k];
    if (v !== undefined && v !== null && !(isObject(v) && typeof v.type === 'string')) throw bad(`"${k}" must be null or an object with a "type"`);
  }
  return { kind, maxId };
}
