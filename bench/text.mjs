// The text application (models/text): tokenization throughput of the shipped WordPiece
// tokenizer.json (@huggingface/tokenizers, the host side of every JS target) and end-to-end
// classification latency (tokenize + the 2-block Transformer) at batch 1 and 32, after training
// the config once (into a temp directory; seed 42). Medians of --rounds rounds.
//   npm run build && node bench/text.mjs [--rounds=5]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { loadTokenizer, parseLabelledText, modelFromBytes, TextModel, loadEngine } from '../dist/node.js';

const rounds = Number(process.argv.find((a) => a.startsWith('--rounds='))?.split('=')[1] ?? 5);
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const time = async (fn, reps) => { const t0 = performance.now(); for (let i = 0; i < reps; i++) await fn(); return (performance.now() - t0) / reps; };
const { texts } = parseLabelledText(readFileSync('models/text/intents.tsv', 'utf8'));
const tok = await loadTokenizer(readFileSync('models/text/tokenizer.json', 'utf8'));

const enc = [];
for (let r = 0; r < rounds; r++) enc.push(await time(() => tok.encode(texts, { maxLength: 32 }), 3));
const dir = mkdtempSync(join(tmpdir(), 'axon-bench-text-'));
try {
  execFileSync(process.execPath, ['dist/cli.js', 'train', 'models/text/config.json', '--out', dir, '--no-progress', '--build', 'simd'], { stdio: 'ignore' });
  const { model, graph } = modelFromBytes(readFileSync(join(dir, 'model.axon')), 'model.axon', await loadEngine({ build: 'simd', threads: 1 }));
  const tm = await TextModel.from(model, graph.extra);
  const b1 = [], b32 = [], batch = texts.slice(0, 32);
  for (let r = 0; r < rounds; r++) {
    b1.push(await time(() => tm.classify(texts[r * 7]), 50));
    b32.push(await time(() => tm.classify(batch), 10));
  }
  const lscpu = (() => { try { return execFileSync('lscpu', { encoding: 'utf8' }).match(/Model name:\s*(.*)/)?.[1]; } catch { return '?'; } })();
  console.log(`${lscpu}, Node ${process.version}, SIMD build, 1 thread, ${rounds} rounds (medians)`);
  console.log(`tokenize ${texts.length} texts (WordPiece, maxLength 32): ${median(enc).toFixed(1)} ms = ${Math.round(texts.length / median(enc) * 1000).toLocaleString('en-US')} texts/s`);
  console.log(`classify batch 1 (tokenize + predict): ${median(b1).toFixed(2)} ms; batch 32: ${median(b32).toFixed(2)} ms = ${Math.round(32 / median(b32) * 1000).toLocaleString('en-US')} texts/s`);
} finally { rmSync(dir, { recursive: true, force: true }); }
