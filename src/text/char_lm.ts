// A character-level causal LM end to end: the vocabulary (the corpus' characters; id 0 = "\n",
// which starts and ends every line), training windows, training (src/text/lm.ts 'train' wiring),
// the model file (the 'full' wiring's weights, graph.extra.lm = { config, chars }) and text
// generation through the KV-cache wiring (src/text/generate.ts).
import { AxonError } from '../errors.js';
import type { Model } from '../model/model.js';
import { modelToBytes } from '../model/serialize.js';
import type { Engine } from '../runtime/engine.js';
import { Rng } from '../runtime/rng.js';
import { Tensor } from '../runtime/tensor.js';
import { causalLm, copyLmWeights, CausalLmConfig } from './lm.js';
import { generate, GenerateOptions } from './generate.js';

/** What graph.extra.lm holds. */
export interface LmSpec { config: CausalLmConfig; chars: string }

export class CharVocab {
  private readonly index: Map<string, number>;
  /** chars[0] is "\n" (line start / end) */
  constructor(readonly chars: string) {
    if (chars[0] !== '\n' || new Set(chars).size !== chars.length) throw new AxonError('BAD_CONFIG', 'a character vocabulary must start with "\\n" and list each character once');
    this.index = new Map([...chars].map((c, i) => [c, i]));
  }
  static of(lines: readonly string[]): CharVocab { return new CharVocab('\n' + [...new Set(lines.join(''))].filter((c) => c !== '\n').sort().join('')); }
  get size(): number { return this.chars.length; }
  encode(text: string): number[] {
    return [...text].map((c, i) => {
      const id = this.index.get(c);
      if (id === undefined) throw new AxonError('BAD_ARGUMENT', `character ${JSON.stringify(c)} at ${i} of ${JSON.stringify(text.slice(0, 40))} is not in the model's vocabulary (${JSON.stringify(this.chars.slice(1, 60))})`);
      return id;
    });
  }
  decode(ids: readonly number[]): string { return ids.map((i) => this.chars[i] ?? '').join(''); }
}

/**
 * Training samples: for every character of every line (a line is "\n" + text + "\n"), the window of
 * up to `window` characters before it, left-padded (id 0, mask 0, position 0), and the character as target.
 */
export function charWindows(lines: readonly string[], v: CharVocab, window: number): { x: Record<string, Tensor>; y: Tensor } {
  const seqs = lines.map((l) => [0, ...v.encode(l), 0]), n = seqs.reduce((s, q) => s + q.length - 1, 0);
  const ids = new Int32Array(n * window), pos = new Int32Array(n * window), mask = new Int32Array(n * window), y = new Int32Array(n);
  let r = 0;
  for (const q of seqs) for (let t = 1; t < q.length; t++, r++) {
    const ctx = q.slice(Math.max(0, t - window), t), off = r * window + window - ctx.length;
    ctx.forEach((id, j) => { ids[off + j] = id; pos[off + j] = j; mask[off + j] = 1; });
    y[r] = q[t];
  }
  const T = (d: Int32Array) => new Tensor(d, [n, window], 'i32');
  return { x: { ids: T(ids), positions: T(pos), mask: T(mask) }, y: new Tensor(y, [n], 'i32') };
}

/**
 * Training samples scored at every position: the lines as one stream ("\n" + line for each line,
 * then "\n"), cut into full windows of `window` characters (the last short one dropped) with the
 * next character at each position as targets [n, window].
 */
export function charStreamWindows(lines: readonly string[], v: CharVocab, window: number): { x: Record<string, Tensor>; y: Tensor } {
  const stream = [...lines.flatMap((l) => [0, ...v.encode(l)]), 0], n = Math.floor((stream.length - 1) / window);
  if (n < 1) throw new AxonError('BAD_DATA', `the text has ${stream.length} characters, fewer than one window of ${window} + 1`);
  const ids = Int32Array.from(stream.slice(0, n * window)), y = Int32Array.from(stream.slice(1, n * window + 1));
  const pos = Int32Array.from({ length: n * window }, (_, i) => i % window), T = (d: Int32Array) => new Tensor(d, [n, window], 'i32');
  return { x: { ids: T(ids), positions: T(pos), mask: T(new Int32Array(n * window).fill(1)) }, y: T(y) };
}

/** The mean next-character loss (nats) of a trained 'full' model on the lines, every character with up to maxLength before it (charWindows). */
export async function charLmLoss(full: Model, spec: LmSpec, lines: readonly string[], engine?: Engine): Promise<number> {
  const m = copyLmWeights(full, causalLm(spec.config, 'train', { engine }));
  m.compile({ optimizer: { type: 'sgd', lr: 0 }, loss: 'sparseCategoricalCrossentropy' });
  const { x, y } = charWindows(lines, new CharVocab(spec.chars), spec.config.maxLength);
  return (await m.evaluate(x, y, { batchSize: 256 })).loss;
}

export interface CharLmTraining {
  epochs: number; batchSize: number; lr: number; seed: number; onEpoch?: (epoch: number, loss: number) => void;
  /** score every position of full windows of the text stream (charStreamWindows), not one next character per window (charWindows) */
  perPosition?: boolean;
}

/** Trains a character LM on the lines (contexts: the last maxLength characters, positions from the window's start); returns the 'full' wiring with the trained weights and its spec. */
export async function trainCharLm(lines: readonly string[], cfg: Omit<CausalLmConfig, 'vocab'>, t: CharLmTraining, engine?: Engine): Promise<{ model: Model; spec: LmSpec; losses: number[] }> {
  if (!lines.length) throw new AxonError('BAD_DATA', 'no lines of text to train on');
  if (cfg.window !== undefined && cfg.window !== cfg.maxLength) throw new AxonError('BAD_CONFIG', `a character LM trains on windows of maxLength (${cfg.maxLength}) characters; drop window (got ${cfg.window})`);
  const v = CharVocab.of(lines), config = { ...cfg, vocab: v.size }, window = cfg.maxLength;
  const m = causalLm(config, t.perPosition ? 'trainAll' : 'train', { seed: t.seed, engine });
  m.compile({ optimizer: { type: 'adamw', lr: t.lr }, loss: 'sparseCategoricalCrossentropy' });
  const { x, y } = (t.perPosition ? charStreamWindows : charWindows)(lines, v, window), losses: number[] = [];
  for (let e = 0; e < t.epochs; e++) {
    const h = await m.fit(x, y, { epochs: 1, batchSize: t.batchSize, shuffle: true });
    losses.push(h.epochs[0].loss);
    t.onEpoch?.(e, h.epochs[0].loss);
  }
  const full = copyLmWeights(m, causalLm(config, 'full', { engine }));
  return { model: full, spec: { config, chars: v.chars }, losses };
}

/** The model file of a character LM. */
export const charLmToBytes = (model: Model, spec: LmSpec): Uint8Array => modelToBytes(model, { extra: { lm: spec } });

/** A loaded character LM: prompt text in, continued text out (KV cache). */
export class CharLm {
  readonly vocab: CharVocab;
  private constructor(readonly step: Model, readonly spec: LmSpec) { this.vocab = new CharVocab(spec.chars); }

  /** From a loaded model file's model and graph.extra; AxonError('BAD_MODEL_FILE') when it is no character LM. */
  static from(model: Model, extra: Record<string, unknown> | undefined, file = 'model.axon', engine?: Engine): CharLm {
    const lm = extra?.lm as LmSpec | undefined;
    if (!lm || typeof lm !== 'object' || typeof lm.chars !== 'string' || !lm.config || typeof lm.config !== 'object')
      throw new AxonError('BAD_MODEL_FILE', `${file}: has no language-model spec (graph.extra.lm); train it with "task": "causalLm"`);
    if (lm.chars.length !== lm.config.vocab) throw new AxonError('BAD_MODEL_FILE', `${file}: extra.lm has ${lm.chars.length} characters for a vocabulary of ${lm.config.vocab}`);
    const step = copyLmWeights(model, causalLm(lm.config, 'step', { engine }));
    return new CharLm(step, lm);
  }

  /** Continues the prompt (a line start is implied) until a line end or maxNewTokens; returns the new text. */
  async generate(prompt: string, o: Omit<GenerateOptions, 'eos'>): Promise<string> {
    const ids = await generate(this.step, [0, ...this.vocab.encode(prompt)].slice(-this.spec.config.maxLength), { ...o, eos: 0, slide: true });
    return this.vocab.decode(ids[ids.length - 1] === 0 ? ids.slice(0, -1) : ids);
  }
}

/** A seeded sample of `n` lines (the corpus can be large; training must stay small). */
export function sampleLines(lines: readonly string[], n: number, seed: number): string[] {
  return new Rng(seed).shuffle([...lines]).slice(0, Math.min(n, lines.length));
}
