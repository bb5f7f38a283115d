// Streaming keyword spotting on Node: the cost per prediction of an AudioStream at hop 1920 (120 ms)
// fed 128-sample chunks (an AudioWorklet's), recomputing the whole 1 s window each hop ('window')
// against computing each 20 ms frame's features once and running only the normalization and the
// DS-CNN per hop ('incremental'). Cost per prediction = the time to push the whole signal / the
// predictions made after the first window (ring writes and every frame's front end included). Models: the shipped int8
// one, and an f32 DS-CNN of models/kws/config.json with seeded weights (batch norm as its own layer;
// the weights' values do not change the cost). Both modes' scores are checked equal to the bit
// first. Also the time of the pushes that end a window alone (the latency a hop waits for). Rounds
// interleave the modes; the median of rounds (min–max), batch 1, one thread.
//   npm run build && node bench/kws_stream.mjs [--rounds=7] [--seconds=10]
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { loadEngine, modelFromBytes, AudioStream } from '../dist/node.js';
import { kwsSeededModel, median } from './targets_kit.mjs';

const arg = (k, d) => Number(process.argv.find((a) => a.startsWith(`--${k}=`))?.split('=')[1] ?? d);
const ROUNDS = arg('rounds', 7), SECONDS = arg('seconds', 10), HOP = 1920, CHUNK = 128;
// speech-like: a chirp that comes and goes, over a little noise
const x = Float32Array.from({ length: SECONDS * 16000 }, (_, k) => 0.3 * Math.sin(k * (0.05 + (k % 16000) * 2e-6)) * (k % 24000 < 12000 ? 1 : 0.02) + 0.01 * Math.sin(k * 1.7));

async function stream(model, incremental) {
  const s = new AudioStream(model, { hop: HOP, incremental });
  const scores = [];
  // (untimed: the first window, up to its prediction: sessions and plans are made on first use)
  for (let k = 0; k < 16000; k += CHUNK) for (const d of await s.push(x.subarray(k, k + CHUNK))) scores.push(d.scores);
  const t0 = performance.now(), before = scores.length;
  let ending = 0;   // the pushes that end a window (their frames, the prediction)
  for (let k = 16000; k < x.length; k += CHUNK) {
    const a = performance.now(), ds = await s.push(x.subarray(k, k + CHUNK));
    if (ds.length) ending += performance.now() - a;
    for (const d of ds) scores.push(d.scores);
  }
  const n = scores.length - before;
  return { ms: (performance.now() - t0) / n, ending: ending / n, scores, mode: s.mode };
}

const engine = await loadEngine({ build: 'simd', threads: 1 });
const models = [['int8', modelFromBytes(readFileSync('models/kws/kws.int8.axon'), 'kws.int8.axon', engine).model], ['f32', kwsSeededModel(engine)]];
console.log(`AudioStream per prediction at hop ${HOP} (${HOP / 16} ms), ${CHUNK}-sample chunks, ${SECONDS} s of audio, ${ROUNDS} rounds; ${os.cpus()[0].model}, node ${process.version}, load ${os.loadavg().map((v) => v.toFixed(2)).join(' ')}`);
console.log('| model | whole window, ms per prediction | incremental, ms per prediction | speedup | the push ending a window: whole / incremental |');
console.log('|---|---|---|---|---|');
for (const [kind, model] of models) {
  const a = await stream(model, false), b = await stream(model, true);   // (warm-up and the bit check)
  if (a.mode !== 'window' || b.mode !== 'incremental') throw new Error(`modes ${a.mode}, ${b.mode}`);
  if (a.scores.length !== b.scores.length || a.scores.some((v, i) => v.some((q, c) => !Object.is(q, b.scores[i][c])))) throw new Error(`${kind}: incremental scores differ from whole-window`);
  const t = { window: [], incremental: [] }, end = { window: [], incremental: [] };
  for (let r = 0; r < ROUNDS; r++) for (const mode of ['window', 'incremental']) { const o = await stream(model, mode === 'incremental'); t[mode].push(o.ms); end[mode].push(o.ending); }
  const f = (v) => `${median(v).toFixed(3)} (${Math.min(...v).toFixed(3)}–${Math.max(...v).toFixed(3)})`;
  console.log(`| ${kind} | ${f(t.window)} | ${f(t.incremental)} | **${(median(t.window) / median(t.incremental)).toFixed(2)}x** | ${median(end.window).toFixed(3)} / ${median(end.incremental).toFixed(3)} |`);
}
console.log(`(${Math.floor((x.length - 16000) / HOP)} timed predictions per round)`);
