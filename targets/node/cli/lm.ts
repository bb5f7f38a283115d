// `axon train <config>` with "task": "causalLm" (a character-level causal LM on the lines of a text
// file, e.g. models/lm/config.json) and `axon generate <model> --prompt "..."` (continues the
// prompt with the KV cache; greedy, top-k or top-p, seeded). Writes model.axon and history.json.
import { readFile, mkdir } from 'node:fs/promises';
import { dirname, resolve, join } from 'node:path';
import { AxonError } from '../../../src/errors.js';
import { modelFromBytes } from '../../../src/model/serialize.js';
import { trainCharLm, charLmToBytes, charLmLoss, CharLm, sampleLines } from '../../../src/text/char_lm.js';
import type { SamplingStrategy } from '../../../src/text/generate.js';
import { loadEngine } from '../index.js';
import { readModelFile } from '../model_file.js';
import { writeFileAtomic } from '../fs.js';
import type { TrainFlags } from './train_flags.js';

interface LmConfig {
  task: 'causalLm'; name?: string; seed?: number; output?: string;
  /** a text file, one line a sample; `column`: for TSV lines, which tab-separated field (0-based) */
  /** `heldOut`: that many further lines of the seeded shuffle (not trained on) score the model (heldOutLoss, nats/char) */
  data: { text: string; column?: number; lowercase?: boolean; limit?: number; heldOut?: number };
  model: { maxLength: number; window?: number; dim: number; heads: number; ff: number; layers: number };
  /** perPosition: score every position of full windows of the text (not one next character per window) */
  fit: { epochs: number; batchSize: number; lr: number; perPosition?: boolean };
}

function check(c: LmConfig, path: string): void {
  const bad = (m: string) => new AxonError('BAD_CONFIG', `${path}: ${m}`);
  if (!c.data || typeof c.data.text !== 'string') throw bad('data.text must name a text file (one line a sample)');
  if (!c.model || typeof c.model !== 'object') throw bad('model must be { maxLength, window?, dim, heads, ff, layers }');
  if (!c.fit || ![c.fit.epochs, c.fit.batchSize].every((v) => Number.isInteger(v) && v > 0) || !(c.fit.lr > 0)) throw bad('fit must be { epochs, batchSize: positive integers, lr > 0 }');
}

export async function trainLm(configPath: string, source: string, flags: TrainFlags): Promise<Record<string, unknown>> {
  const c = JSON.parse(source) as LmConfig;
  check(c, configPath);
  const dir = dirname(resolve(configPath)), seed = flags.seed ?? c.seed ?? 42;
  const out = resolve(flags.out ?? (c.output ? resolve(dir, c.output) : 'out'));
  let body: string;
  try { body = await readFile(resolve(dir, c.data.text), 'utf8'); } catch { throw new AxonError('IO', `${c.data.text}: cannot read the text file`); }
  let lines = body.split(/\r?\n/).filter((l) => l.trim()).map((l) => (c.data.column !== undefined ? l.split('\t')[c.data.column] ?? '' : l)).filter(Boolean);
  if (c.data.lowercase) lines = lines.map((l) => l.toLowerCase());
  let held: string[] = [];
  if (c.data.limit) {
    const shuffled = sampleLines(lines, lines.length, seed);
    lines = shuffled.slice(0, c.data.limit);
    held = shuffled.slice(c.data.limit, c.data.limit + (c.data.heldOut ?? 0));
  }
  const engine = await loadEngine(flags.build || flags.threads ? { build: flags.build, threads: flags.threads } : undefined);
  const fit = { ...c.fit, epochs: flags.epochs ?? c.fit.epochs, batchSize: flags.batchSize ?? c.fit.batchSize };
  const t0 = performance.now();
  const r = await trainCharLm(lines, c.model, { ...fit, seed, onEpoch: flags.progress === false ? undefined : (e, loss) => process.stderr.write(`epoch ${e + 1}/${fit.epochs}  loss ${loss.toFixed(4)}  ${((performance.now() - t0) / 1000).toFixed(1)} s\n`) }, engine);
  await mkdir(out, { recursive: true });
  const modelPath = join(out, 'model.axon');
  writeFileAtomic(modelPath, charLmToBytes(r.model, r.spec));
  const seconds = (performance.now() - t0) / 1000;
  const heldOutLoss = held.length ? await charLmLoss(r.model, r.spec, held.filter((l) => [...l].every((ch) => r.spec.chars.includes(ch))), engine) : undefined;
  const report = { model: modelPath, lines: lines.length, vocab: r.spec.config.vocab, params: r.model.paramCount, losses: r.losses, seconds, perPosition: !!c.fit.perPosition, ...(heldOutLoss !== undefined ? { heldOutLines: held.length, heldOutLoss } : {}) };
  writeFileAtomic(join(out, 'history.json'), new TextEncoder().encode(JSON.stringify(report, null, 1)));
  return report;
}

export interface GenerateFlags { prompt: string; maxNewTokens?: number; strategy?: SamplingStrategy; k?: number; p?: number; temperature?: number; seed?: number; build?: 'auto' | 'simd' | 'relaxed' }

export async function generateText(modelPath: string, f: GenerateFlags): Promise<{ prompt: string; text: string; seconds: number }> {
  const engine = await loadEngine(f.build ? { build: f.build } : undefined);
  const { model, graph } = modelFromBytes(readModelFile(modelPath), modelPath, engine);
  const lm = CharLm.from(model, graph.extra, modelPath, engine);
  const t0 = performance.now();
  const text = await lm.generate(f.prompt, { maxNewTokens: f.maxNewTokens ?? 80, strategy: f.strategy, k: f.k, p: f.p, temperature: f.temperature, seed: f.seed });
  return { prompt: f.prompt, text, seconds: (performance.now() - t0) / 1000 };
}
