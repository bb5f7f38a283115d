// The character LM end to end: training windows by definition, training lowers the loss, the model
// file carries the vocabulary and generates the same text after a round trip (KV cache, sliding
// past maxLength), unknown characters are refused.
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { AxonError } from '../../src/index.js';
import { modelFromBytes } from '../../src/model/serialize.js';
import { CharVocab, charWindows, trainCharLm, charLmToBytes, CharLm, sampleLines } from '../../src/text/char_lm.js';
import type { Engine } from '../../src/runtime/engine.js';
import { engine } from '../helpers.js';

let e: Engine;
beforeAll(async () => { e = await engine(); });

describe('character LM', () => {
  it('windows: the last W characters before each target, left-padded, positions from the window start', () => {
    const v = CharVocab.of(['abca']);
    expect(v.chars).toBe('\nabc');
    const { x, y } = charWindows(['abca'], v, 3);
    // line "\n a b c a \n": targets a b c a \n
    expect(Array.from(y.data)).toEqual([1, 2, 3, 1, 0]);
    expect(Array.from(x.ids.data.subarray(0, 3))).toEqual([0, 0, 0]);
    expect(Array.from(x.mask.data.subarray(0, 3))).toEqual([0, 0, 1]);
    expect(Array.from(x.ids.data.subarray(12, 15))).toEqual([2, 3, 1]);     // target "\n" after "bca"
    expect(Array.from(x.positions.data.subarray(12, 15))).toEqual([0, 1, 2]);
    expect(Array.from(x.positions.data.subarray(3, 6))).toEqual([0, 0, 1]);
    expect(() => v.encode('abd')).toThrow(AxonError);
  });

  it('trains on shipped text (loss falls), saves, and generates the same text after loading', async () => {
    const all = readFileSync(new URL('../../models/text/intents.tsv', import.meta.url), 'utf8').split('\n').filter(Boolean).map((l) => l.split('\t')[1].toLowerCase());
    const lines = sampleLines(all, 80, 3);
    const r = await trainCharLm(lines, { maxLength: 12, dim: 16, heads: 2, ff: 32, layers: 1 }, { epochs: 3, batchSize: 32, lr: 1e-2, seed: 2 }, e);
    expect(r.losses[2]).toBeLessThan(r.losses[0] * 0.9);
    expect(r.losses[2]).toBeLessThan(Math.log(r.spec.config.vocab) - 0.5);   // well below guessing uniformly
    const { model, graph } = modelFromBytes(charLmToBytes(r.model, r.spec), 'lm.axon', e);
    const a = CharLm.from(r.model, { lm: r.spec }, 'mem', e), b = CharLm.from(model, graph.extra, 'lm.axon', e);
    const o = { maxNewTokens: 30, strategy: 'topK' as const, k: 4, seed: 9 };
    const text = await a.generate('turn ', o);
    expect(await b.generate('turn ', o)).toBe(text);
    expect([...text].every((c) => r.spec.chars.includes(c) && c !== '\n')).toBe(true);
    await expect(b.generate('turn é', o)).rejects.toThrow(/not in the model's vocabulary/);
    expect(() => CharLm.from(model, {}, 'x.axon', e)).toThrow(/no language-model spec/);
  }, 60_000);
});
