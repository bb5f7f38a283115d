// Sequence-to-sequence generation (src/text/seq2seq.ts): host code around the wirings' plans. With
// { encode, step } the encoder and every block's memory keys/values run once per source; each step
// then feeds only the newest token, its self-attention keys/values carried from step to step and the
// memory's cached (one plan per step shape, nothing recomputed). With the 'full' wiring every step
// recomputes the source and the whole prefix (the reference). Sampling as in src/text/generate.ts
// (greedy / topK / topP, seeded): the same seed gives the same tokens on every target and both ways.
// NOTE: one source at a time (batch 1); the decoder starts from `bos` at position 0 and stops after
// eos or at the wiring's maxTarget positions.
import { AxonError } from '../errors.js';
import type { Model } from '../model/model.js';
import { Rng } from '../runtime/rng.js';
import { Tensor } from '../runtime/tensor.js';
import { checkSampling, sampleNext, type SamplingOptions } from './generate.js';

export interface Seq2seqGenerateOptions extends SamplingOptions {
  maxNewTokens: number;
  /** PRNG seed (default 0) */
  seed?: number;
  /** the decoder's start token (default 0) */
  bos?: number;
  /** stop after this token id (it is returned) */
  eos?: number;
}

/** What generateSeq2seq decodes with: the cached pair (seq2seqDecoder) or the 'full' wiring. */
export type Seq2seqModels = { encode: Model; step: Model } | Model;

const i32 = (v: readonly number[]) => new Tensor(Int32Array.from(v), [1, v.length], 'i32');
const maxOf = (m: Model, input: string) => m.inputs.find((d) => d.name === input)?.max[0] ?? Infinity;

function need(m: Model, names: string[], wiring: string): void {
  const have = m.inputs.map((d) => d.name);
  for (const n of names) if (!have.includes(n)) throw new AxonError('BAD_CONFIG', `generateSeq2seq: the ${wiring} model has no "${n}" input (inputs: ${have.join(', ')}); build it with seq2seq(config, '${wiring}')`);
}

/** Translates `source` (token ids) into up to maxNewTokens target tokens; returns them (eos included when reached). */
export async function generateSeq2seq(models: Seq2seqModels, source: readonly number[], o: Seq2seqGenerateOptions): Promise<number[]> {
  const cached = !('predict' in models);
  const full = cached ? undefined : (models as Model), { encode, step } = cached ? (models as { encode: Model; step: Model }) : ({} as { encode?: Model; step?: Model });
  if (cached) { need(encode!, ['src', 'src_mask'], 'encode'); need(step!, ['ids', 'positions', 'mask', 'src_mask'], 'step'); } else need(full!, ['src', 'src_mask', 'ids'], 'full');
  if (!Number.isInteger(o.maxNewTokens) || o.maxNewTokens < 0) throw new AxonError('BAD_CONFIG', `maxNewTokens must be an integer >= 0, got ${JSON.stringify(o.maxNewTokens)}`);
  if (!source.length) throw new AxonError('BAD_ARGUMENT', 'generateSeq2seq: the source is empty; give at least one token id');
  const dec = step ?? full!, V = dec.outputShapes[0].at(-1)!, maxS = maxOf(encode ?? full!, 'src'), L = maxOf(dec, 'ids');
  checkSampling(o, V);
  if (source.length > maxS) throw new AxonError('BAD_ARGUMENT', `generateSeq2seq: the source has ${source.length} tokens but the model's maxSource is ${maxS}`);
  const src = i32(source), srcMask = i32(source.map(() => 1)), rng = new Rng(o.seed ?? 0), seq = [o.bos ?? 0], out: number[] = [];
  let feed: Record<string, Tensor> = {};   // (the step's inputs that persist: src_mask, memory and past keys/values)
  if (cached) {
    const ys = (await encode!.predict({ src, src_mask: srcMask })) as Record<string, Tensor>;
    const pasts = step!.inputs.map((d) => d.name).filter((n) => n.startsWith('past_'));
    const D = step!.inputs.find((d) => d.name === pasts[0])?.shape[1] as number;
    feed = { src_mask: srcMask };
    pasts.forEach((n) => { feed[n] = new Tensor(new Float32Array(D), [1, 1, D]); });   // the placeholder row (mask 0)
    encode!.outputNames.slice(1).forEach((_, k) => { feed[`mem_${k % 2 ? 'v' : 'k'}${k >> 1}`] = ys[encode!.outputNames[k + 1]]; });
  }
  while (out.length < o.maxNewTokens && seq.length <= L) {
    const t = seq.length - 1;
    const logits = cached ? await stepLogits(step!, feed, seq[t], t, V) : lastRow((await full!.predict({ src, src_mask: srcMask, ids: i32(seq) })) as Record<string, Tensor>, full!, V);
    const next = sampleNext(logits, o, rng);
    out.push(next); seq.push(next);
    if (next === o.eos) break;
  }
  return out;
}

const lastRow = (ys: Record<string, Tensor>, m: Model, V: number) => { const y = ys[m.outputNames[0]].data; return y.subarray(y.length - V); };

/** One cached step: token `id` at position t; replaces the feed's past keys/values with the present ones; returns the logits. */
async function stepLogits(step: Model, feed: Record<string, Tensor>, id: number, t: number, V: number): Promise<ArrayLike<number>> {
  const Tp = feed.past_k0.shape[1], names = step.outputNames;
  const ys = (await step.predict({ ...feed, ids: i32([id]), positions: i32([t]), mask: i32([0, ...Array(Tp).fill(1)]) })) as Record<string, Tensor>;
  for (let k = 1; k < names.length; k++) feed[`past_${k % 2 ? 'k' : 'v'}${(k - 1) >> 1}`] = ys[names[k]];
  return lastRow(ys, step, V);
}
