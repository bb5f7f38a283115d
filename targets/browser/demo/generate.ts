// The generation demo: the character-level causal LM of models/lm/config.json (lm.json here),
// trained in the page on the intents utterances (the same lines, seed and settings as
// `axon train models/lm/config.json`), or loaded from a model file that command wrote; then it
// continues what the user types, one character per step through the KV cache, greedy or sampled
// (top-k / top-p / temperature) with a seed: the same seed gives the same text as on Node and the Worker.
import { loadEngine, modelFromBytes, trainCharLm, sampleLines, CharLm, type Engine, type SamplingStrategy } from '../index.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
type LmConfig = { seed: number; data: { column: number; lowercase: boolean; limit: number }; model: { maxLength: number; dim: number; heads: number; ff: number; layers: number }; fit: { epochs: number; batchSize: number; lr: number } };
const state = { status: 'loading', build: '', error: '', lines: 0, losses: [] as number[], source: '', prompt: '', text: '', generations: 0 };
const setStatus = (s: string, text: string) => { state.status = s; $('status').textContent = text; };
const fail = (e: unknown) => { state.error = String(e); setStatus('error', `error: ${e}`); };
addEventListener('error', (e) => fail(e.error ?? e.message));
addEventListener('unhandledrejection', (e) => fail(e.reason));

let engine: Engine, cfg: LmConfig, lines: string[] = [], lm: CharLm | undefined;

async function fetchText(name: string): Promise<string> {
  const res = await fetch(name);
  if (!res.ok) throw new Error(`${name}: HTTP ${res.status}`);
  return res.text();
}

async function init() {
  engine = await loadEngine();
  state.build = engine.build;
  $('build').textContent = `${engine.build === 'relaxed' ? 'relaxed SIMD' : 'SIMD128'} build`;
  const [tsv, json] = await Promise.all([fetchText('intents.tsv'), fetchText('lm.json')]);
  cfg = JSON.parse(json) as LmConfig;
  // as targets/node/cli/lm.ts reads data.text: non-blank lines, one tab-separated column, lowercased, a seeded sample
  const all = tsv.split(/\r?\n/).filter((l) => l.trim()).map((l) => l.split('\t')[cfg.data.column] ?? '').filter(Boolean).map((l) => (cfg.data.lowercase ? l.toLowerCase() : l));
  lines = sampleLines(all, cfg.data.limit, cfg.seed);
  state.lines = lines.length;
  $<HTMLInputElement>('epochs').value = String(cfg.fit.epochs);
  setStatus('ready-to-train', `${lines.length} lines of ${all.length}; train here or load a model file`);
  for (const id of ['train', 'file']) $<HTMLButtonElement>(id).disabled = false;
}

async function train(epochs: number): Promise<void> {
  $<HTMLButtonElement>('train').disabled = true;
  setStatus('training', 'training…');
  state.losses = [];
  const t0 = performance.now();
  const r = await trainCharLm(lines, cfg.model, { ...cfg.fit, epochs, seed: cfg.seed, onEpoch: (e, loss) => { state.losses.push(loss); setStatus('training', `epoch ${e + 1}/${epochs}: loss ${loss.toFixed(3)} nats/char`); } }, engine);
  lm = CharLm.from(r.model, { lm: r.spec }, 'the page model', engine);
  state.source = 'trained';
  setStatus('ready', `trained ${epochs} epochs in ${((performance.now() - t0) / 1000).toFixed(1)} s (loss ${state.losses.at(-1)!.toFixed(3)}); type a prompt`);
  $<HTMLButtonElement>('train').disabled = false;
  await ready();
}

async function load(file: File): Promise<void> {
  const { model, graph } = modelFromBytes(new Uint8Array(await file.arrayBuffer()), file.name, engine);
  lm = CharLm.from(model, graph.extra, file.name, engine);
  state.source = file.name;
  setStatus('ready', `loaded ${file.name}; type a prompt`);
  await ready();
}

async function ready() {
  for (const id of ['prompt', 'generate']) $<HTMLInputElement>(id).disabled = false;
  await run();
}

/** The form's sampling options. */
function options(): { strategy: SamplingStrategy; k?: number; p?: number; temperature?: number; seed: number; maxNewTokens: number } {
  const strategy = $<HTMLSelectElement>('strategy').value as SamplingStrategy, num = (id: string) => Number($<HTMLInputElement>(id).value);
  return { strategy, k: strategy === 'topK' ? num('k') : undefined, p: strategy === 'topP' ? num('p') : undefined, temperature: strategy === 'greedy' ? undefined : num('temperature'), seed: num('seed'), maxNewTokens: num('tokens') };
}

async function run(): Promise<void> {
  if (!lm) return;
  const prompt = $<HTMLInputElement>('prompt').value.toLowerCase();
  const text = await lm.generate(prompt, options());
  Object.assign(state, { prompt, text, generations: state.generations + 1 });
  $('typed').textContent = prompt;
  $('continuation').textContent = text;
}

let pending: ReturnType<typeof setTimeout> | undefined;
const later = () => { clearTimeout(pending); pending = setTimeout(() => run().catch(fail), 80); };
for (const id of ['prompt', 'strategy', 'k', 'p', 'temperature', 'seed', 'tokens']) $(id).addEventListener('input', later);
$('generate').addEventListener('click', () => run().catch(fail));
$('train').addEventListener('click', () => { train(Math.max(1, Math.min(50, Number($<HTMLInputElement>('epochs').value) || 8))).catch(fail); });
$('file').addEventListener('change', () => { const f = $<HTMLInputElement>('file').files?.[0]; if (f) load(f).catch(fail); });
init().catch(fail);

// For tests and the console.
Object.assign(globalThis, { axonGenerate: { state, train, run, get lm() { return lm; } } });
