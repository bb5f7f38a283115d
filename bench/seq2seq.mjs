// Seq2seq decoding: ms per generated token, batch 1, greedy, a Transformer encoder-decoder
// (src/text/seq2seq.ts; vocab 1,000, dim 128, 4 heads, ff 512, 2 encoder + 2 decoder blocks, seeded
// weights) translating a source of --src tokens into --new tokens, three ways, interleaved round by round:
//   recompute   the 'full' wiring every step: the source and the whole target prefix (the reference)
//   self-cache  the encoder once; each step feeds one token with the self-attention KV cache, but the
//               cross-attention reads the memory [S, 128] and projects its keys/values again every step
//               (what decoder blocks did before the memory K/V cache)
//   full cache  the 'encode' wiring once (memory + every block's memory K/V), then the 'step' wiring:
//               one token, past self-attention K/V and the cached memory K/V (generateSeq2seq)
// The figure is the whole generation (encoder included) divided by the tokens (the encode wiring's
// own time is printed too: a step costs about (figure × tokens - encode) / tokens); all three must give
// the same tokens (checked before timing). Medians of --rounds rounds, min and max.
// Usage: npm run build && node bench/seq2seq.mjs [--rounds=7] [--src=64,128] [--new=32]
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { Model, Tensor, layers, addDecoderBlock, seq2seq, seq2seqDecoder, copySeq2seqWeights, generateSeq2seq, loadEngine } from '../dist/node.js';

const arg = (name, def) => process.argv.find((x) => x.startsWith(`--${name}=`))?.slice(name.length + 3) ?? def;
const ROUNDS = Number(arg('rounds', 7)), NEW = Number(arg('new', 32)), SRCS = arg('src', '64,128').split(',').map(Number);
const CFG = { vocab: 1000, maxSource: Math.max(...SRCS), maxTarget: NEW + 1, dim: 128, heads: 4, ff: 512, encoderLayers: 2, decoderLayers: 2 };
const e = await loadEngine({ build: 'simd', threads: 1 });
const i32 = (v) => new Tensor(Int32Array.from(v), [1, v.length], 'i32');
let s = 12345;
const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);

const full = seq2seq(CFG, 'full', { seed: 1, engine: e });
const w = full.getWeights();
for (const [k, v] of w) if (/tok\.|pos\.weight/.test(k)) for (let i = 0; i < v.length; i++) v[i] = rand() * 2 - 1;   // (token-dependent logits)
full.setWeights(w);
const cached = seq2seqDecoder(full, CFG, { engine: e });

// self-cache: the step wiring with the memory itself as input (cross-attention projects it each step)
const D = CFG.dim, L = CFG.maxTarget, S = CFG.maxSource;
const selfCache = new Model({ engine: e, name: 'self_cache', inputs: [
  { name: 'ids', shape: [null], dtype: 'i32', maxShape: [L] }, { name: 'positions', shape: [null], dtype: 'i32', maxShape: [L] },
  { name: 'mask', shape: [null], dtype: 'i32', maxShape: [2 * L] }, { name: 'src_mask', shape: [null], dtype: 'i32', maxShape: [S] },
  { name: 'memory', shape: [null, D], maxShape: [S, D] },
  ...[0, 1].flatMap((i) => [{ name: `past_k${i}`, shape: [null, D], maxShape: [L, D] }, { name: `past_v${i}`, shape: [null, D], maxShape: [L, D] }])] });
selfCache.add(layers.embedding({ inputDim: CFG.vocab, outputDim: D, name: 'tok' }), { inputs: ['ids'] });
selfCache.add(layers.positionEmbedding({ maxLength: L, name: 'pos' }), { inputs: ['tok', 'positions'] });
let top = 'pos';
for (let i = 0; i < CFG.decoderLayers; i++)
  top = addDecoderBlock(selfCache, { input: top, heads: CFG.heads, ff: CFG.ff, activation: 'gelu', preNorm: true, name: `dec${i}`, mask: 'mask', memory: 'memory', memoryMask: 'src_mask', cache: { keys: `past_k${i}`, values: `past_v${i}` } });
selfCache.add(layers.layerNormalization({ name: 'ln_f' }), { inputs: [top] }).add(layers.dense({ units: CFG.vocab, name: 'head' }));
selfCache.setOutputs(['head', 'dec0/attn:1', 'dec0/attn:2', 'dec1/attn:1', 'dec1/attn:2']);
copySeq2seqWeights(full, selfCache);

const argmax = (a) => { let b = 0; for (let i = 1; i < a.length; i++) if (a[i] > a[b]) b = i; return b; };
async function generateSelfCache(src) {
  const ys = await cached.encode.predict({ src: i32(src), src_mask: i32(src.map(() => 1)) });
  const feed = { memory: ys['enc_ln'], src_mask: i32(src.map(() => 1)) };
  for (const n of ['past_k0', 'past_v0', 'past_k1', 'past_v1']) feed[n] = new Tensor(new Float32Array(D), [1, 1, D]);
  const seq = [0];
  while (seq.length <= NEW) {
    const t = seq.length - 1, Tp = feed.past_k0.shape[1];
    const out = await selfCache.predict({ ...feed, ids: i32([seq[t]]), positions: i32([t]), mask: i32([0, ...Array(Tp).fill(1)]) });
    selfCache.outputNames.slice(1).forEach((n, k) => { feed[`past_${k % 2 ? 'v' : 'k'}${k >> 1}`] = out[n]; });
    seq.push(argmax(out['head'].data));
  }
  return seq.slice(1);
}

const ways = {
  recompute: (src) => generateSeq2seq(full, src, { maxNewTokens: NEW }),
  'self-cache': generateSelfCache,
  'full cache': (src) => generateSeq2seq(cached, src, { maxNewTokens: NEW }),
};
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const lscpu = (() => { try { return execFileSync('lscpu', { encoding: 'utf8' }).match(/Model name:\s*(.*)/)?.[1]; } catch { return os.cpus()[0]?.model; } })();
console.log(`${lscpu}, Node ${process.version}, SIMD build, 1 thread; vocab ${CFG.vocab}, dim ${D}, ${CFG.heads} heads, ff ${CFG.ff}, ${CFG.encoderLayers}+${CFG.decoderLayers} blocks; ${NEW} new tokens; ${ROUNDS} rounds`);
for (const Sn of SRCS) {
  const src = Array.from({ length: Sn }, () => 1 + Math.floor(rand() * (CFG.vocab - 1)));
  const ref = await ways.recompute(src);
  for (const [name, f] of Object.entries(ways)) {
    const got = await f(src);
    if (got.join() !== ref.join()) throw new Error(`${name}: tokens differ from the recompute's at source length ${Sn}: ${got} vs ${ref}`);
    await f(src);   // (warm: plans compiled)
  }
  const ms = Object.fromEntries(Object.keys(ways).map((k) => [k, []])), encodeMs = [];
  const encodeOnce = () => cached.encode.predict({ src: i32(src), src_mask: i32(src.map(() => 1)) });
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, f] of Object.entries(ways)) { const t0 = performance.now(); await f(src); ms[name].push((performance.now() - t0) / NEW); }
    const t0 = performance.now(); await encodeOnce(); encodeMs.push(performance.now() - t0);
  }
  const base = median(ms.recompute);
  console.log(`source ${String(Sn).padStart(3)}  encode wiring once (memory + 2 blocks' K/V): ${median(encodeMs).toFixed(2)} ms`);
  for (const [name, a] of Object.entries(ms))
    console.log(`source ${String(Sn).padStart(3)}  ${name.padEnd(10)}  ${median(a).toFixed(3)} ms/token (min ${Math.min(...a).toFixed(3)}, max ${Math.max(...a).toFixed(3)})  ${(base / median(a)).toFixed(1)}x vs recompute`);
  console.log(`source ${String(Sn).padStart(3)}  full cache / self-cache: ${(median(ms['self-cache']) / median(ms['full cache'])).toFixed(2)}x faster per token`);
}
