// Text generation from a causal LM (src/text/lm.ts): host code around the model's plans. With the
// 'step' wiring every call feeds only the new token(s) and carries each block's keys/values from
// one call to the next (the KV cache: one plan per step shape, the prefix never recomputed); the
// 'full' wiring recomputes the whole sequence each step (the reference). Sampling is seeded with
// Axon's PRNG (src/runtime/rng.ts): the same seed gives the same tokens on every target.
//   greedy: argmax;  topK: the k most likely, renormalized;  topP: the smallest most-likely set whose
//   probability reaches p (the nucleus), renormalized;  temperature divides the logits first.
// NOTE: one sequence at a time (batch 1); generation stops at eos or at the model's maxLength, or
// with `slide` goes on from the last half of the context (positions renumbered, the cache rebuilt:
// what a model trained on windows of maxLength tokens expects).
import { AxonError } from '../errors.js';
import type { Model } from '../model/model.js';
import { Rng } from '../runtime/rng.js';
import { Tensor } from '../runtime/tensor.js';

export type SamplingStrategy = 'greedy' | 'topK' | 'topP';

export interface SamplingOptions {
  strategy?: SamplingStrategy;
  /** topK: how many of the most likely tokens stay candidates */
  k?: number;
  /** topP: the nucleus' probability mass, in (0, 1] */
  p?: number;
  /** > 0; default 1 (greedy ignores it) */
  temperature?: number;
}

export interface GenerateOptions extends SamplingOptions {
  maxNewTokens: number;
  /** PRNG seed (default 0) */
  seed?: number;
  /** stop after this token id (it is returned) */
  eos?: number;
  /** at maxLength, continue from the last maxLength/2 tokens instead of stopping */
  slide?: boolean;
}

/** Checks sampling options; throws AxonError('BAD_CONFIG') saying which one is wrong. */
export function checkSampling(o: SamplingOptions, vocab?: number): void {
  const s = o.strategy ?? 'greedy';
  if (!['greedy', 'topK', 'topP'].includes(s)) throw new AxonError('BAD_CONFIG', `strategy must be "greedy", "topK" or "topP", got ${JSON.stringify(o.strategy)}`);
  if (o.temperature !== undefined && !(Number.isFinite(o.temperature) && o.temperature > 0)) throw new AxonError('BAD_CONFIG', `temperature must be a number > 0, got ${JSON.stringify(o.temperature)}`);
  if (s === 'topK' && !(Number.isInteger(o.k) && o.k! >= 1 && (vocab === undefined || o.k! <= vocab))) throw new AxonError('BAD_CONFIG', `topK needs k, an integer in [1, ${vocab ?? 'vocabulary size'}], got ${JSON.stringify(o.k)}`);
  if (s === 'topP' && !(typeof o.p === 'number' && o.p > 0 && o.p <= 1)) throw new AxonError('BAD_CONFIG', `topP needs p in (0, 1], got ${JSON.stringify(o.p)}`);
}

/** The candidates a strategy keeps, most likely first, with their renormalized probabilities. */
export function candidates(logits: ArrayLike<number>, o: SamplingOptions): { ids: number[]; probs: number[] } {
  const s = o.strategy ?? 'greedy', t = o.temperature ?? 1, V = logits.length;
  if (s === 'greedy') { let best = 0; for (let i = 1; i < V; i++) if (logits[i] > logits[best]) best = i; return { ids: [best], probs: [1] }; }   // (no sort: the first argmax)
  const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => logits[b] - logits[a] || a - b);
  const top = logits[order[0]] / t, e = order.map((i) => Math.exp(logits[i] / t - top));
  const total = e.reduce((a, b) => a + b, 0);
  let n = V;
  if (s === 'topK') n = o.k!;
  else {
    let acc = 0;
    for (n = 0; n < V; ) { acc += e[n++] / total; if (acc >= o.p! - 1e-12) break; }
  }
  const kept = e.slice(0, n), sum = kept.reduce((a, b) => a + b, 0);
  return { ids: order.slice(0, n), probs: kept.map((v) => v / sum) };
}

/** One token drawn from the logits of one position. */
export function sampleNext(logits: ArrayLike<number>, o: SamplingOptions, rng: Rng): number {
  const { ids, probs } = candidates(logits, o);
  if (ids.length === 1) return ids[0];
  const u = rng.uniform();
  let acc = 0;
  for (let i = 0; i < ids.length; i++) { acc += probs[i]; if (u < acc) return ids[i]; }
  return ids[ids.length - 1];
}

const i32 = (v: number[]) => new Tensor(Int32Array.from(v), [1, v.length], 'i32');
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

/**
 * Continues `prompt` (token ids) with up to maxNewTokens tokens; returns the new ones.
 * `model`: causalLm(…, 'step') (KV cache) or causalLm(…, 'full') with trained weights.
 */
export async function generate(model: Model, prompt: readonly number[], o: GenerateOptions): Promise<number[]> {
  const names = model.inputs.map((m) => m.name);
  for (const n of ['ids', 'positions', 'mask']) if (!names.includes(n)) throw new AxonError('BAD_CONFIG', `generate: the model has no "${n}" input (inputs: ${names.join(', ')}); build it with causalLm(config, 'step' | 'full')`);
  if (!Number.isInteger(o.maxNewTokens) || o.maxNewTokens < 0) throw new AxonError('BAD_CONFIG', `maxNewTokens must be an integer >= 0, got ${JSON.stringify(o.maxNewTokens)}`);
  if (!prompt.length) throw new AxonError('BAD_ARGUMENT', 'generate: the prompt is empty; give at least one token id');
  const V = model.outputShapes[0].at(-1)!, L = model.inputs.find((m) => m.name === 'positions')!.max[0] ?? Infinity;
  checkSampling(o, V);
  if (prompt.length > L) throw new AxonError('BAD_ARGUMENT', `generate: the prompt has ${prompt.length} tokens but the model's maxLength is ${L}`);
  const pasts = names.filter((n) => n.startsWith('past_')), rng = new Rng(o.seed ?? 0), seq = [...prompt], out: number[] = [];
  let feed: Record<string, Tensor> = {}, fed = 0;
  const restart = () => {
    feed = {}; fed = 0;
    if (!pasts.length) return;
    const D = model.inputs.find((m) => m.name === pasts[0])!.shape[1] as number;
    for (const n of pasts) feed[n] = new Tensor(new Float32Array(D), [1, 1, D]);   // the placeholder row (mask 0)
  };
  restart();
  while (out.length < o.maxNewTokens && seq.length <= L) {
    const step = pasts.length ? seq.slice(fed) : seq, from = pasts.length ? fed : 0;
    const keys = pasts.length ? feed[pasts[0]].shape[1] + step.length : step.length;
    const ys = (await model.predict({ ...feed, ids: i32(step), positions: i32(range(from, step.length)), mask: i32(pasts.length ? [0, ...Array(keys - 1).fill(1)] : Array(keys).fill(1)) })) as Record<string, Tensor>;
    const logits = ys[model.outputNames[0]].data.subarray((step.length - 1) * V, step.length * V);
    if (pasts.length) { feed = {}; pasts.forEach((n, k) => { feed[n] = ys[model.outputNames[k + 1]]; }); fed = seq.length; }
    const next = sampleNext(logits, o, rng);
    out.push(next); seq.push(next);
    if (next === o.eos) break;
    if (seq.length >= L) {
      if (!o.slide || L < 2) break;
      seq.splice(0, seq.length - Math.floor(L / 2));
      restart();
    }
  }
  return out;
}
