// W9 training-step profile: the BERT-tiny fine-tuning plan (AdamW, batch 16, sequence 128; the
// same model bench/w9/bert.mjs times) run one instruction at a time, each instruction's CPU time
// summed over rounds and grouped by op and by layer label. Per-instruction runs add a wasm call each
// (~µs), so the total is a little above the fused plan's; the shares are what it is for.
//   npm run build && node bench/w9/profile_train.mjs [--rounds=5] [--top=40] [--wasm=build/axon.simd.wasm] [--predict --batch=1]
// (--predict: the inference plan instead, e.g. batch 1 as W9's latency row)
// (--wasm: a simd build of the kernels to load instead of the default, e.g. an older one to compare)
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { Engine, Model, layers, Tensor, addEncoderBlock, loadEngine } from '../../dist/node.js';

const arg = (k, d) => Number(process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? d);
const rounds = arg('rounds', 5), top = arg('top', 40);
const predict = process.argv.includes('--predict');
const V = 1000, P = 128, D = 128, H = 2, F = 512, T = 128, B = arg('batch', predict ? 1 : 16);
if (!existsSync('out/w9/torch.json')) execFileSync('/usr/bin/python3', ['bench/w9/make_bert_tiny.py', 'out/w9'], { stdio: 'inherit' });
const wasm = process.argv.find((a) => a.startsWith('--wasm='))?.slice(7);
const engine = wasm ? await Engine.create({ simd: readFileSync(wasm), relaxed: readFileSync(wasm) }, { build: 'simd' }) : await loadEngine({ build: 'simd' });
const m = new Model({ inputs: [{ name: 'ids', shape: [null], dtype: 'i32', maxShape: [P] }, { name: 'mask', shape: [null], dtype: 'i32', maxShape: [P] }], engine, name: 'bert-tiny' });
m.add(layers.embedding({ inputDim: V, outputDim: D, name: 'tok' }), { inputs: ['ids'] });
m.add(layers.positionEmbedding({ maxLength: P, name: 'pos' }));
m.add(layers.layerNormalization({ name: 'ln' }));
let topName = 'ln';
for (let k = 0; k < 2; k++) topName = addEncoderBlock(m, { input: topName, mask: 'mask', heads: H, ff: F, activation: 'gelu', name: `enc${k}` });
m.add(layers.maskedMeanPooling({ name: 'pool' }), { inputs: [topName, 'mask'] });
m.add(layers.dense({ units: 2, name: 'cls' }));
m.add(layers.activation({ activation: 'softmax', name: 'probs' }));
m.compile({ optimizer: { type: 'adamw', lr: 1e-4 }, loss: 'sparseCategoricalCrossentropy' });
const ids = new Int32Array(B * T), mask = new Int32Array(B * T);
for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) { const keep = t < T - ((b * 13) % 40); mask[b * T + t] = keep ? 1 : 0; ids[b * T + t] = keep ? 1 + ((b * 7919 + t * 104729 + 5) % (V - 1)) : 0; }
const feed = { ids: new Tensor(ids, [B, T], 'i32'), mask: new Tensor(mask, [B, T], 'i32') }, y = new Tensor(Int32Array.from({ length: B }, (_, i) => i % 2), [B]);
for (let k = 0; k < 2; k++) await (predict ? m.predict(feed) : m.trainStep(feed, y));

const sess = m.sess, [key, full] = [...sess.plans].find(([k]) => predict ? /^(predict|infer)/.test(k) : k.startsWith('train:'));
const PlanClass = full.plan.constructor;
const singles = full.plan.instrs.map((ins) => { const p = new PlanClass(sess.layout, ins.label); p.instrs.push(ins); return sess.bound.load(p); });
const times = new Float64Array(singles.length);
let fullMs = Infinity;
for (let r = 0; r < rounds; r++) {
  // (each instruction's CPU time, not wall time: on a shared machine the time others take is left out)
  for (let i = 0; i < singles.length; i++) { const t0 = process.cpuUsage(); sess.bound.run(singles[i]); const d = process.cpuUsage(t0); times[i] += (d.user + d.system) / 1000; }
  const t0 = performance.now(); sess.bound.run(full); fullMs = Math.min(fullMs, performance.now() - t0);
}
const total = times.reduce((s, t) => s + t, 0) / rounds;
const group = (f) => { const g = new Map(); full.plan.instrs.forEach((ins, i) => { const k = f(ins, i); const e = g.get(k) ?? { ms: 0, n: 0 }; e.ms += times[i] / rounds; e.n++; g.set(k, e); }); return [...g].sort((a, b) => b[1].ms - a[1].ms); };
const show = (title, rows, n) => {
  console.log(`\n${title}\n| ms | % | count | what |\n|---|---|---|---|`);
  for (const [k, e] of rows.slice(0, n)) console.log(`| ${e.ms.toFixed(2)} | ${(100 * e.ms / total).toFixed(1)} | ${e.n} | ${k} |`);
};
const dims = (ins) => ins.op.args.filter((a) => a.kind !== 'ptr').map((a, j) => `${a.name}=${ins.args[ins.op.args.indexOf(a)]}`).join(' ');
console.log(`W9 ${predict ? 'predict' : 'train'} plan ${key} (batch ${B}): ${full.plan.instrs.length} instructions; one at a time ${total.toFixed(1)} CPU ms/step (mean of ${rounds}); whole plan ${fullMs.toFixed(1)} ms (best) = ${(B * 1000 / fullMs).toFixed(1)} seq/s`);
show('by op', group((ins) => ins.op.name), 30);
show('by op and shape', group((ins) => `${ins.op.name} ${dims(ins)}`), top);
show('by layer', group((ins) => ins.label), 30);
process.exit(0);
