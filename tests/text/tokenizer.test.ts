// The text tokenizer (src/text/tokenizer.ts on @huggingface/tokenizers) against the Hugging Face
// `tokenizers` Rust crate: the shipped WordPiece tokenizer.json, a byte-level BPE and a Unigram
// (Metaspace) one give the crate's ids and attention masks (truncation at maxLength keeping [CLS]/[SEP], padding to the
// longest row), fixtures from tests/fixtures/text/gen-tokenizers.mjs. Bad files and bad requests
// get AxonErrors naming the problem.
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadTokenizer, AxonError, type TextTokenizer } from '../../src/index.js';

const read = (p: string) => readFileSync(new URL(p, import.meta.url), 'utf8');
const golden = JSON.parse(read('../fixtures/text/golden.json'));
const files: Record<string, string> = { wordpiece: read('../../models/text/tokenizer.json'), bpe: read('../fixtures/text/bpe.tokenizer.json'), unigram: read('../fixtures/text/unigram.tokenizer.json') };
const rows = (t: { data: Int32Array; shape: readonly number[] }) => Array.from({ length: t.shape[0] }, (_, r) => Array.from(t.data.subarray(r * t.shape[1], (r + 1) * t.shape[1])));

describe.each(['wordpiece', 'bpe', 'unigram'])('%s tokenizer = the Rust tokenizers crate', (name) => {
  let tok: TextTokenizer;
  beforeAll(async () => { tok = await loadTokenizer(files[name], `${name}.json`); });
  const g = golden.tokenizers[name];

  it('ids without special tokens, sentence by sentence', () => {
    golden.sentences.forEach((s: string, i: number) => expect(tok.encodeOne(s, { addSpecialTokens: false }).ids, JSON.stringify(s)).toEqual(g.plain[i]));
  });

  it.each([8, 16, 64])('a batch at maxLength %i: ids and masks, truncated keeping the special tokens, padded to the longest row', (L) => {
    const b = tok.encode(golden.sentences, { maxLength: L });
    expect(b.ids.dtype).toBe('i32');
    expect(b.ids.shape).toEqual([golden.sentences.length, g.batches[L].ids[0].length]);
    expect(rows(b.ids)).toEqual(g.batches[L].ids);
    expect(rows(b.mask)).toEqual(g.batches[L].mask);
    const specials = tok.encodeOne('').ids.length;
    expect(b.truncated).toEqual(g.batches[L].mask.flatMap((m: number[], i: number) => (g.plain[i].length + specials > L ? [i] : [])));
  });
});

describe('encoding options', () => {
  let tok: TextTokenizer;
  beforeAll(async () => { tok = await loadTokenizer(files.wordpiece); });
  it("pads to maxLength with 'max_length', refuses long rows without truncation, decodes back", () => {
    const b = tok.encode(['turn on the lights', 'call mom'], { maxLength: 12, padding: 'max_length' });
    expect(b.ids.shape).toEqual([2, 12]);
    expect(b.lengths).toEqual([6, 4]);
    expect(rows(b.mask)[1]).toEqual([1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(rows(b.ids)[1].slice(4)).toEqual(new Array(8).fill(tok.padId));
    expect(tok.decode(rows(b.ids)[0])).toBe('turn on the lights');
    expect(tok.vocabSize).toBe(Object.keys(JSON.parse(files.wordpiece).model.vocab).length);
    expect(() => tok.encode('please turn the heating up to twenty two degrees', { maxLength: 4, truncation: false })).toThrow(/text 0 has 1\d tokens, more than maxLength 4/);
    expect(() => tok.encode('hello', { maxLength: 1 })).toThrow(/shorter than the 2 special tokens/);
  });
  it.each([
    [[], /non-empty list/], [[42], /text 0 is a number/], [['ok', 'x'.repeat(200_001)], /text 1 has 200001 characters/],
  ])('bad texts %#', (texts, msg) => {
    expect(() => tok.encode(texts as string[])).toThrow(msg);
    try { tok.encode(texts as string[]); } catch (e) { expect(e).toBeInstanceOf(AxonError); }
  });
});

describe('bad tokenizer files get AxonError BAD_TOKENIZER', () => {
  const base = JSON.parse(files.wordpiece);
  const edit = (f: (j: Record<string, any>) => void) => { const j = structuredClone(base); f(j); return JSON.stringify(j); };
  it.each([
    ['not JSON', '{"model": ', /not valid JSON/],
    ['not an object', '[1, 2]', /a JSON object with a "model"/],
    ['no model', edit((j) => { delete j.model; }), /"model" is missing/],
    ['unknown model type', edit((j) => { j.model.type = 'WordLevel'; }), /model.type "WordLevel" is not supported/],
    ['vocab not an object', edit((j) => { j.model.vocab = [1, 2]; }), /model.vocab of a WordPiece model must be an object/],
    ['negative id', edit((j) => { j.model.vocab.turn = -3; }), /model.vocab\["turn"\] = -3 is not an id/],
    ['unk token missing', edit((j) => { j.model.unk_token = '<nope>'; }), /unk_token "<nope>" is not in model.vocab/],
    ['BPE without merges', read('../fixtures/text/bpe.tokenizer.json').replace('"merges":[', '"merges_":['), /model.merges of a BPE model must be a list/],
    ['bad added token', edit((j) => { j.added_tokens[0].id = 'x'; }), /added_tokens\[0\] must be/],
    ['bad normalizer', edit((j) => { j.normalizer = 3; }), /"normalizer" must be null or an object/],
    ['normalizer the library does not know', edit((j) => { j.normalizer = { type: 'Mystery' }; }), /the tokenizer library refused it/],
    ['huge vocabulary', edit((j) => { j.model.vocab = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`w${i}`, i])); j.model.vocab['[UNK]'] = 30; }), /more than the 20 allowed/],
  ])('%s', async (_, text, msg) => {
    const limits = _ === 'huge vocabulary' ? { maxVocab: 20 } : {};
    let err: unknown;
    try { await loadTokenizer(text, 'bad.json', limits); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(AxonError);
    expect((err as AxonError).code).toBe('BAD_TOKENIZER');
    expect((err as AxonError).message).toMatch(msg);
    expect((err as AxonError).message).toMatch(/^bad\.json: /);
  });
  it('bytes: size limit and UTF-8', async () => {
    await expect(loadTokenizer(new Uint8Array([0xff, 0xfe]), 't.json')).rejects.toThrow(/not valid UTF-8/);
    await expect(loadTokenizer(new TextEncoder().encode(files.wordpiece), 't.json', { maxFileBytes: 1000 })).rejects.toThrow(/more than the 1000 allowed/);
    expect((await loadTokenizer(new TextEncoder().encode(files.wordpiece))).vocabSize).toBeGreaterThan(500);
  });
});
