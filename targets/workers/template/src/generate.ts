// POST /generate {"prompt": "turn off the ", "maxTokens"?, "temperature"?, "topK"?, "topP"?, "seed"?}
// for a causal language model (`axon train` with "task": "causalLm": its file carries the
// vocabulary, graph.extra.lm). One token per step through the KV-cache wiring; sampling is seeded
// (Axon's PRNG), so a seed gives the same text here, on Node and in the browser.
//   nothing but the prompt → greedy;  topK → the k most likely;  topP → the nucleus;  temperature
//   alone → sampling from the whole distribution (top-k with k = the vocabulary).
// Answers {prompt, text, tokens}; bad fields get AxonError('BAD_ARGUMENT') → 400 naming the field.
import { AxonError, type CharLm, type SamplingStrategy } from '../../index.js';

export const GENERATE_LIMITS = { maxTokens: 200, defaultTokens: 40, maxPromptChars: 500 };

export interface GenerateRequest { prompt: string; maxNewTokens: number; strategy: SamplingStrategy; k?: number; p?: number; temperature?: number; seed: number }

const FIELDS = ['prompt', 'maxTokens', 'temperature', 'topK', 'topP', 'seed'];

/** The body's fields, checked (names as the request spells them). */
export function generateRequest(body: Record<string, unknown>, lm: CharLm): GenerateRequest {
  const bad = (m: string) => new AxonError('BAD_ARGUMENT', m);
  const extra = Object.keys(body).filter((k) => !FIELDS.includes(k));
  if (extra.length) throw bad(`unknown field${extra.length > 1 ? 's' : ''} ${extra.map((k) => JSON.stringify(k)).join(', ')}; /generate takes ${FIELDS.join(', ')}`);
  const { prompt, maxTokens = GENERATE_LIMITS.defaultTokens, temperature, topK, topP, seed = 0 } = body;
  if (typeof prompt !== 'string') throw bad('"prompt" must be a string, e.g. {"prompt": "turn off the "}');
  if ([...prompt].length > GENERATE_LIMITS.maxPromptChars) throw bad(`"prompt" has ${[...prompt].length} characters; at most ${GENERATE_LIMITS.maxPromptChars}`);
  if (!Number.isInteger(maxTokens) || (maxTokens as number) < 1 || (maxTokens as number) > GENERATE_LIMITS.maxTokens) throw bad(`"maxTokens" must be an integer in [1, ${GENERATE_LIMITS.maxTokens}], got ${JSON.stringify(maxTokens)}`);
  if (!Number.isInteger(seed) || (seed as number) < 0 || (seed as number) > 0xffffffff) throw bad(`"seed" must be an integer in [0, 2^32), got ${JSON.stringify(seed)}`);
  if (temperature !== undefined && !(typeof temperature === 'number' && temperature > 0 && temperature <= 100)) throw bad(`"temperature" must be a number in (0, 100], got ${JSON.stringify(temperature)}`);
  if (topK !== undefined && topP !== undefined) throw bad('give "topK" or "topP", not both');
  const V = lm.vocab.size;
  if (topK !== undefined && !(Number.isInteger(topK) && (topK as number) >= 1 && (topK as number) <= V)) throw bad(`"topK" must be an integer in [1, ${V}] (the vocabulary), got ${JSON.stringify(topK)}`);
  if (topP !== undefined && !(typeof topP === 'number' && topP > 0 && topP <= 1)) throw bad(`"topP" must be a number in (0, 1], got ${JSON.stringify(topP)}`);
  lm.vocab.encode(prompt);   // characters outside the vocabulary: AxonError naming the character
  const strategy: SamplingStrategy = topK !== undefined ? 'topK' : topP !== undefined ? 'topP' : temperature !== undefined ? 'topK' : 'greedy';
  return { prompt, maxNewTokens: maxTokens as number, strategy, k: strategy === 'topK' ? (topK as number | undefined) ?? V : undefined, p: topP as number | undefined, temperature: temperature as number | undefined, seed: seed as number };
}

/** Runs the generation (inside `run`, the Worker's one-at-a-time queue). */
export async function generateText(lm: CharLm, r: GenerateRequest, run: <T>(fn: () => Promise<T>) => Promise<T>): Promise<Record<string, unknown>> {
  const text = await run(() => lm.generate(r.prompt, { maxNewTokens: r.maxNewTokens, strategy: r.strategy, k: r.k, p: r.p, temperature: r.temperature, seed: r.seed }));
  return { prompt: r.prompt, text, tokens: [...text].length, strategy: r.strategy, seed: r.seed };
}
