// Seq2seq decoding with a cross-attention K/V cache (issue 15, Generation): the 'encode' wiring
// computes every block's memory keys/values once per source, the 'step' wiring feeds one token and
// reads them (no memory projection in its plan); step logits = the 'full' recompute; the memory
// padding mask applies; cached generation = uncached generation (greedy, top-k, top-p, seeded);
// gradients through attentionMemory → multiHeadAttention({ memoryKv }) by central differences;
// bad memory K/V shapes and mask lengths are refused naming the input.
import { describe, it, expect, beforeAll, vi } from 'vitest';
import { Model, Tensor, AxonError, layers, addDecoderBlock, modelToBytes, modelFromBytes, quantizeModel } from '../../src/index.js';
import { addMemoryKv } from '../../src/model/decoder.js';
import { seq2seq, seq2seqDecoder, copySeq2seqWeights, type Seq2seqConfig } from '../../src/text/seq2seq.js';
import { generateSeq2seq } from '../../src/text/seq2seq_generate.js';
import type { Engine } from '../../src/runtime/engine.js';
import { engine, randn } from '../helpers.js';
import { checkGradients } from '../train/model-gradcheck.js';

let e: Engine;
beforeAll(async () => { e = await engine(); });
const CFG: Seq2seqConfig = { vocab: 13, targetVocab: 11, maxSource: 12, maxTarget: 10, dim: 8, heads: 2, ff: 16, encoderLayers: 2, decoderLayers: 2 };
const I = (v: number[]) => new Tensor(Int32Array.from(v), [1, v.length], 'i32');
const T = (n: number, shape: number[], seed: number, scale = 1) => new Tensor(randn(n * shape.reduce((a, b) => a * b, 1), seed, scale), [n, ...shape]);
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => { let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i])); return m; };
type Out = Record<string, Tensor>;

/** A 'full' wiring with weights large enough that logits differ visibly between tokens (init scales embeddings by 0.02). */
async function randomFull(seed: number): Promise<Model> {
  const full = seq2seq(CFG, 'full', { seed, engine: e });
  const w = full.getWeights();
  for (const [k, v] of w) if (/tok\.|pos\.weight/.test(k)) v.set(randn(v.length, seed + k.length));
  full.setWeights(w);
  return full;
}

/** The step wiring's feed for one token at position t: placeholder past row first (mask 0). */
function stepFeed(enc: Out, past: Out, id: number, t: number, srcMask: number[]): Out {
  const Tp = past.past_k0.shape[1], feed: Out = { ...past, ids: I([id]), positions: I([t]), mask: I([0, ...Array(Tp).fill(1)]), src_mask: I(srcMask) };
  for (let i = 0; i < CFG.decoderLayers; i++) { feed[`mem_k${i}`] = enc[`dec${i}/cross`]; feed[`mem_v${i}`] = enc[`dec${i}/cross:1`]; }
  return feed;
}
const placeholders = (): Out => Object.fromEntries(Array.from({ length: CFG.decoderLayers }, (_, i) => ['k', 'v'].map((kv) => [`past_${kv}${i}`, new Tensor(new Float32Array(CFG.dim), [1, 1, CFG.dim])])).flat());

describe('cached cross-attention: step decoding = full recompute', () => {
  it('one token per step, memory K/V from the encode wiring: logits within 1e-5 of the full forward, with a padded source', async () => {
    const full = await randomFull(3), { encode, step } = seq2seqDecoder(full, CFG, { engine: e });
    const src = [5, 2, 9, 1, 7, 0, 0], srcMask = [1, 1, 1, 1, 1, 0, 0], tgt = [0, 4, 8, 2, 6, 1, 3, 9], V = CFG.targetVocab!;
    const want = ((await full.predict({ src: I(src), src_mask: I(srcMask), ids: I(tgt) })) as Out)['head'].data;
    // the padding is masked: the unpadded source gives the same logits
    const unpadded = ((await full.predict({ src: I(src.slice(0, 5)), src_mask: I(srcMask.slice(0, 5)), ids: I(tgt) })) as Out)['head'].data;
    expect(maxDiff(unpadded, want)).toBeLessThan(1e-5);
    const enc = (await encode.predict({ src: I(src), src_mask: I(srcMask) })) as Out;
    expect(enc['dec1/cross:1'].shape).toEqual([1, src.length, CFG.dim]);
    let past = placeholders(), worst = 0;
    for (let t = 0; t < tgt.length; t++) {
      const ys = (await step.predict(stepFeed(enc, past, tgt[t], t, srcMask))) as Out;
      worst = Math.max(worst, maxDiff(ys['head'].data, want.subarray(t * V, (t + 1) * V)));
      past = {};
      for (let i = 0; i < CFG.decoderLayers; i++) { past[`past_k${i}`] = ys[`dec${i}/attn:1`]; past[`past_v${i}`] = ys[`dec${i}/attn:2`]; }
    }
    console.log(`seq2seq step vs full: max |cached - recomputed| logit ${worst.toExponential(2)} over ${tgt.length} steps`);
    expect(worst).toBeLessThan(1e-5);
    expect(maxDiff(want.subarray(0, V), want.subarray(V, 2 * V))).toBeGreaterThan(1e-2);   // (the logits do depend on the token)
  });

  it('the step wiring holds no memory projection: no k/v weights of a cross-attention, every GEMM of its plan is one row per token', async () => {
    const step = copySeq2seqWeights(await randomFull(4), seq2seq(CFG, 'step', { engine: e }));
    const names = [...step.getWeights().keys()];
    expect(names.filter((k) => /cross\.[kv]_/.test(k))).toEqual([]);
    expect(names).toContain('dec1/cross.q_weight');
    const S = 9, gemmRows = async (m: Model, shapes: number[][]) => (await m.session(1, { shapes })).plan('predict', 1, shapes).plan.instrs.filter((i) => i.op.name === 'gemm' || i.op.name === 'gemm_bias_act').map((i) => i.args[i.op.args.findIndex((a) => a.name === 'M')]);
    const shapes = step.inputs.map((d) => (d.name === 'mask' ? [4] : d.name === 'src_mask' ? [S] : d.name.startsWith('mem_') ? [S, CFG.dim] : d.name.startsWith('past_') ? [3, CFG.dim] : [1]));
    const rows = await gemmRows(step, shapes);
    expect(rows.length).toBe(CFG.decoderLayers * 8 + 1);   // per block: self q k v o, cross q o, ff1 ff2; the head
    expect(new Set(rows)).toEqual(new Set([1]));
    // the check sees a memory projection when there is one: a cached decoder block that reads the memory itself
    const old = new Model({ inputs: [{ name: 'x', shape: [null, 8], maxShape: [4, 8] }, { name: 'pk', shape: [null, 8], maxShape: [4, 8] }, { name: 'pv', shape: [null, 8], maxShape: [4, 8] }, { name: 'mem', shape: [S, 8] }], engine: e });
    old.setOutputs([addDecoderBlock(old, { input: 'x', memory: 'mem', cache: { keys: 'pk', values: 'pv' }, heads: 2, ff: 16, preNorm: true, name: 'd' })]);
    expect(await gemmRows(old, [[1, 8], [3, 8], [3, 8], [S, 8]])).toContain(S);
  });

  it('wirings save and load: the step wiring from a file gives the same logits; it quantizes (dynamic int8)', async () => {
    const full = await randomFull(5), { encode, step } = seq2seqDecoder(full, CFG, { engine: e });
    const enc = (await encode.predict({ src: I([3, 4, 5]), src_mask: I([1, 1, 1]) })) as Out, feed = stepFeed(enc, placeholders(), 0, 0, [1, 1, 1]);
    const a = ((await step.predict(feed)) as Out)['head'].data;
    const back = modelFromBytes(modelToBytes(step), 'step.axon', e).model, back2 = modelFromBytes(modelToBytes(encode), 'encode.axon', e).model;
    expect(maxDiff(((await back.predict(feed)) as Out)['head'].data, a)).toBe(0);
    expect(maxDiff(((await back2.predict({ src: I([3, 4, 5]), src_mask: I([1, 1, 1]) })) as Out)['dec0/cross'].data, enc['dec0/cross'].data)).toBe(0);
    // dynamic int8: the cached cross-attention has q/o projections only; the step stays close to f32
    const q = await quantizeModel(step, undefined, { mode: 'dynamic' });
    expect(q.layers.find((l) => l.name === 'dec0/cross')!.params.map((p) => p.name).filter((n) => n.endsWith('_weight'))).toEqual(['q_weight', 'o_weight']);
    expect(maxDiff(((await q.predict(feed)) as Out)['head'].data, a)).toBeLessThan(0.05 * Math.max(...Array.from(a, Math.abs)));
  });
});

describe('generateSeq2seq', () => {
  it('the encoder runs once per source, the step once per token; the tokens are the full recompute\'s (greedy, top-k, top-p; seeded)', async () => {
    const full = await randomFull(6), models = seq2seqDecoder(full, CFG, { engine: e });
    const enc = vi.spyOn(models.encode, 'predict'), stp = vi.spyOn(models.step, 'predict');
    const src = [7, 3, 12, 5, 1, 8];
    for (const o of [{}, { strategy: 'topK' as const, k: 4, temperature: 2, seed: 9 }, { strategy: 'topP' as const, p: 0.9, temperature: 1.5, seed: 3 }]) {
      enc.mockClear(); stp.mockClear();
      const got = await generateSeq2seq(models, src, { maxNewTokens: 7, ...o });
      expect(got).toHaveLength(7);
      expect(enc).toHaveBeenCalledTimes(1);
      expect(stp).toHaveBeenCalledTimes(7);
      expect(await generateSeq2seq(full, src, { maxNewTokens: 7, ...o })).toEqual(got);
    }
    const sampled = await Promise.all([1, 2, 3, 4].map((seed) => generateSeq2seq(models, src, { maxNewTokens: 7, strategy: 'topK', k: 5, temperature: 3, seed })));
    expect(new Set(sampled.map((s) => s.join())).size).toBeGreaterThan(1);
    const greedy = await generateSeq2seq(models, src, { maxNewTokens: 7 });
    expect(await generateSeq2seq(models, src, { maxNewTokens: 7, eos: greedy[2] })).toEqual(greedy.slice(0, greedy.indexOf(greedy[2]) + 1));
    expect(await generateSeq2seq(models, src, { maxNewTokens: 50 })).toHaveLength(CFG.maxTarget);   // positions 0 .. maxTarget-1
  });

  it('bad sources and options are refused with AxonError', async () => {
    const models = seq2seqDecoder(seq2seq(CFG, 'full', { seed: 1, engine: e }), CFG, { engine: e });
    await expect(generateSeq2seq(models, [], { maxNewTokens: 2 })).rejects.toThrow(/source is empty/);
    await expect(generateSeq2seq(models, Array(13).fill(1), { maxNewTokens: 2 })).rejects.toThrow(/maxSource is 12/);
    await expect(generateSeq2seq(models, [99], { maxNewTokens: 2 })).rejects.toThrow(/src/);
    await expect(generateSeq2seq(models, [1], { maxNewTokens: 2, strategy: 'topK', k: 12 })).rejects.toThrow(AxonError);
    await expect(generateSeq2seq({ encode: models.step, step: models.step }, [1], { maxNewTokens: 2 })).rejects.toThrow(/encode model has no "src" input/);
    expect(() => copySeq2seqWeights(models.step, seq2seq(CFG, 'full', { engine: e }))).toThrow(/has no src_tok/);
  });
});

describe('attentionMemory → multiHeadAttention({ cross, memoryKv })', () => {
  const net = (split: boolean, mask: boolean) => {
    const m = new Model({ inputs: [{ name: 'x', shape: [3, 4] }, { name: 'mem', shape: [5, 4] }, ...(mask ? [{ name: 'keep', shape: [5], dtype: 'i32' as const }] : [])], seed: 8, engine: e });
    m.add(layers.dense({ units: 4, name: 'mem_in' }), { inputs: ['mem'] });
    const memory = split ? { memoryKv: addMemoryKv(m, { block: 'b', memory: 'mem_in', heads: 2, name: 'kv' }) } : { memory: 'mem_in' };   // ('b/cross' is the cross-attention's here)
    const top = addDecoderBlock(m, { input: 'x', ...memory, ...(mask ? { memoryMask: 'keep' } : {}), heads: 2, ff: 6, preNorm: true, name: 'b' });
    m.add(layers.flatten({ name: 'flat' }), { inputs: [top] }).add(layers.dense({ units: 2, name: 'out' }));
    return m;
  };
  const x = () => ({ x: T(2, [3, 4], 9), mem: T(2, [5, 4], 11), keep: new Tensor(Int32Array.from([1, 1, 1, 0, 0, 1, 1, 1, 1, 1]), [2, 5], 'i32') });

  it('the split form computes what the cross-attention over the memory computes, with the same weights', async () => {
    const whole = net(false, true), split = net(true, true), w = whole.getWeights();
    split.setWeights(new Map([...split.getWeights().keys()].map((k) => [k, w.get(k.replace(/^kv\./, 'b/cross.'))!])));
    expect(maxDiff(((await split.predict(x())) as Out)['out'].data, ((await whole.predict(x())) as Out)['out'].data)).toBeLessThan(1e-6);
  });

  it('gradients reach the k/v weights through the precomputed keys/values, the q/o weights and the memory (central differences)', async () => {
    const m = net(true, true);
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    await checkGradients(m, x(), T(2, [2], 10, 0.5), ['kv.k_weight', 'kv.k_bias', 'kv.v_weight', 'kv.v_bias', 'b/cross.q_weight', 'b/cross.o_weight', 'mem_in.weight', 'b/attn.q_weight']);
  });

  it('bad memory keys/values and mask lengths are refused naming the input', async () => {
    const step = seq2seq(CFG, 'step', { seed: 1, engine: e }), enc = (await seq2seq(CFG, 'encode', { seed: 1, engine: e }).predict({ src: I([1, 2, 3]), src_mask: I([1, 1, 1]) })) as Out;
    const ok = stepFeed(enc, placeholders(), 0, 0, [1, 1, 1]);
    await expect(step.predict(ok)).resolves.toBeDefined();
    for (const [bad, name] of [[{ mem_k0: T(1, [3, 6], 1) }, 'mem_k0'], [{ mem_v1: T(1, [4, 8], 1) }, 'mem_v1'], [{ src_mask: I([1, 1]) }, 'src_mask'], [{ mask: I([0, 1, 1]) }, 'mask']] as const) {
      const p = step.predict({ ...ok, ...bad });
      await expect(p, name).rejects.toThrow(AxonError);
      await expect(step.predict({ ...ok, ...bad }), name).rejects.toThrow(new RegExp(name));
    }
    expect(() => layers.multiHeadAttention({ numHeads: 2, memoryKv: true })).toThrow(/memoryKv .* needs cross: true/);
    const m = new Model({ inputs: [{ name: 'x', shape: [2, 4] }, { name: 'k', shape: [3, 4] }, { name: 'v', shape: [2, 4] }], engine: e });
    expect(() => m.add(layers.multiHeadAttention({ numHeads: 2, cross: true, memoryKv: true, name: 'xa' }), { inputs: ['x', 'k', 'v'] })).toThrow(/xa: memory keys and values must both be \[memory steps, 4\]/);
  });
});
