// W7 (BENCHMARKING.md): cold start. A new `node` process imports the runtime, loads a model file
// from disk and runs one inference (the engine loads itself on the first predict, as the README's
// `axon/infer` example does: a predict-only session gets the smaller infer kernel set); reported as
// wall ms over two empty processes run in the same rounds: `node -e 0`, and an empty file of the
// app's kind (an empty ES module costs Node's ES module loader; an empty CommonJS file for the
// CommonJS app) — median of the per-round differences — with peak RSS. Axon rows: the package
// entries by name (`axon`, `axon/infer`; from an ES module app, and `axon/infer` from a CommonJS
// app), with the compile cache (targets/node/compile_cache.ts) warm (written by the discarded
// warm-up rounds, in a fresh directory: AXON_COMPILE_CACHE) and off (AXON_COMPILE_CACHE=0: a
// process's first start). Models: the digits MLP the Worker template ships (64-64-32-10,
// targets/workers/template/model/digits.axon) and W2 (784-256-128-10, seeded, written by Axon).
// Peer: tfjs-core + tfjs-backend-wasm 4.22 (setThreadsCount(1)) with the same weights (a weights
// .bin + JSON manifest, as tfjs models ship) running the same MLP with ops. Every process's output
// is checked against a float64 JS reference; every process (the empty ones too) reports its
// output, peak RSS and phase marks with one write to fd 1. Phase marks are process.hrtime (the
// monotonic clock the parent's marks use too), not performance.now(): the `performance` global
// loads perf_hooks on first use, ~1.5 ms of every process that is no part of the workload. Rounds
// are interleaved (every row once per round) after discarded warm-up rounds; a second table breaks
// the medians down by phase.
// `--against DIR`: also the CommonJS app on another build's axon/infer (DIR: a built checkout, e.g.
// main's tree built in /tmp), its own warm cache, in the same rounds: an A/B of two builds (only the
// CommonJS rows then, so that more rounds fit in a quiet minute).
//   node bench/coldstart.mjs [rounds=21] [--w2] [--against DIR]     (after npm run build; --w2: W2 rows only)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const root = fileURLToPath(new URL('..', import.meta.url));
const ROUNDS = Math.max(10, Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 21));
const W2_ONLY = process.argv.includes('--w2');
const AGAINST = process.argv.includes('--against') ? process.argv[process.argv.indexOf('--against') + 1] : undefined;
const tmp = mkdtempSync(join(tmpdir(), 'axon-coldstart-'));
const axonUrl = pathToFileURL(join(root, 'dist/node.js')).href;
const ENTRIES = { axon: import.meta.resolve('axon'), 'axon/infer': import.meta.resolve('axon/infer') }; // (the package resolving itself)
const inferCjs = createRequire(import.meta.url).resolve('axon/infer');       // (its require() entry)
const cacheDir = join(tmp, 'compile-cache');
const { Sequential, layers, modelFromBytes, modelToBytes } = await import(axonUrl);

// ── models, inputs, tfjs weights and the f64 reference (not timed) ──
function exportModel(name, bytes, input) {
  const { model } = modelFromBytes(bytes, name);
  const w = model.getWeights(), dense = model.layers.filter((l) => l.type === 'dense');
  const parts = [], manifest = [];
  for (const l of dense) {
    const W = w.get(`${l.name}.weight`), b = w.get(`${l.name}.bias`), out = l.config().units, inp = W.length / out;
    const t = new Float32Array(W.length); // Axon keeps [out, in] (PyTorch); tfjs wants [in, out]
    for (let o = 0; o < out; o++) for (let i = 0; i < inp; i++) t[i * out + o] = W[o * inp + i];
    parts.push(t, b);
    manifest.push({ in: inp, out, activation: l.config().activation });
  }
  const all = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) { all.set(p, o); o += p.length; }
  writeFileSync(join(tmp, `${name}.axon`), bytes);
  writeFileSync(join(tmp, `${name}.weights.bin`), all);
  writeFileSync(join(tmp, `${name}.json`), JSON.stringify({ layers: manifest }));
  // float64 reference
  let x = Float64Array.from(input);
  o = 0;
  for (const m of manifest) {
    const y = new Float64Array(m.out);
    for (let j = 0; j < m.out; j++) { let s = all[o + m.in * m.out + j]; for (let i = 0; i < m.in; i++) s += x[i] * all[o + i * m.out + j]; y[j] = s; }
    o += m.in * m.out + m.out;
    if (m.activation === 'relu') for (let j = 0; j < y.length; j++) y[j] = Math.max(0, y[j]);
    if (m.activation === 'softmax') { const mx = Math.max(...y); let s = 0; for (let j = 0; j < y.length; j++) s += (y[j] = Math.exp(y[j] - mx)); for (let j = 0; j < y.length; j++) y[j] /= s; }
    x = y;
  }
  return { name, inputSize: input.length, ref: Array.from(x), params: all.length, fileBytes: bytes.length };
}

// the input each app makes for itself (as a server would have it from its request): a fixed pattern in [-1, 1)
const INPUT = '(n) => Float32Array.from({ length: n }, (_, i) => ((i * 7919) % 1000) / 500 - 1)';
const input = eval(INPUT);
const digitsBytes = readFileSync(join(root, 'targets/workers/template/model/digits.axon'));
const w2 = new Sequential({ inputShape: [784], seed: 7, name: 'w2-mlp' });
w2.add(layers.dense({ units: 256, activation: 'relu' })).add(layers.dense({ units: 128, activation: 'relu' })).add(layers.dense({ units: 10, activation: 'softmax' }));
const MODELS = [...(W2_ONLY ? [] : [exportModel('digits', digitsBytes, input(64))]), exportModel('w2', modelToBytes(w2), input(784))];

// ── the child programs ──
const readF32 = "(p) => { const b = readFileSync(p); return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)); }";
// every app reports its phases: process.hrtime marks (ms on the monotonic clock the parent reads too)
const NOW = 'Number(process.hrtime.bigint()) / 1e6';
const MARKS = 't';
// every app reports by a write to fd 1: process.stdout would cost each process ~4.5 ms (its stream,
// for a pipe, loads net and stream), which is no part of the workload
const REPORT = "process.getBuiltinModule('node:fs').writeSync(1, ";
const EMPTY = `const t = { ready: ${NOW} }; t.end = t.ready; ${REPORT}JSON.stringify({ rss: process.resourceUsage().maxRSS, at: ${MARKS} }));`;
writeFileSync(join(tmp, 'empty.mjs'), EMPTY); // (peak RSS and phases only)
// the Axon apps (the README's): the model through the runtime's own loader (an app that imports
// node:fs as an ES module pays ~2 ms for it, whatever it then loads), the engine loaded by the first
// predict; the same body, at the top level of an ES module and in an async function of a CommonJS file
const body = `
const { model } = loadModel(${JSON.stringify(tmp)} + '/' + name + '.axon');
t.model = ${NOW};
const y = await model.predict(new Tensor((${INPUT})(n), [1, n]));
t.end = t.predict = ${NOW};
const cache = [...globalThis[Symbol.for('axon.compileCache')].states.values()];
const { engine } = await model.session(1, { use: 'predict' });   // (the session predict() made: which wasm it runs on)
${REPORT}JSON.stringify({ y: Array.from(y.data), rss: process.resourceUsage().maxRSS, cache, engine: engine.kernelSet + '/' + engine.build, at: ${MARKS} }));`;
const head = `const t = { ready: ${NOW} };\nconst [name, n] = [process.argv[2], Number(process.argv[3])];`;
for (const [entry, url] of Object.entries(ENTRIES)) writeFileSync(join(tmp, `${entry.replace('/', '-')}.mjs`), `import { loadModel, Tensor } from ${JSON.stringify(url)};\n${head}${body}\n`);
writeFileSync(join(tmp, 'axon-infer.cjs'), `const t = { ready: ${NOW} };\nconst { loadModel, Tensor } = require(${JSON.stringify(inferCjs)});\nt.imported = ${NOW};\nconst [name, n] = [process.argv[2], Number(process.argv[3])];\n(async () => {${body}\n})();\n`);
if (AGAINST) writeFileSync(join(tmp, 'against.cjs'), readFileSync(join(tmp, 'axon-infer.cjs'), 'utf8').replace(JSON.stringify(inferCjs), JSON.stringify(join(AGAINST, 'dist/infer.cjs'))));
writeFileSync(join(tmp, 'empty.cjs'), EMPTY);
writeFileSync(join(tmp, 'tfjs.mjs'), `
import { readFileSync } from 'node:fs';
import * as tf from ${JSON.stringify(import.meta.resolve('@tensorflow/tfjs-core'))};
import * as wasm from ${JSON.stringify(import.meta.resolve('@tensorflow/tfjs-backend-wasm'))};
const [name, n] = [process.argv[2], Number(process.argv[3])];
const f32 = ${readF32};
wasm.setWasmPaths(${JSON.stringify(join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist/'))});
wasm.setThreadsCount(1);
if (!(await tf.setBackend('wasm'))) throw new Error('tfjs wasm backend failed');
const dir = ${JSON.stringify(tmp)} + '/';
const { layers } = JSON.parse(readFileSync(dir + name + '.json', 'utf8')), w = f32(dir + name + '.weights.bin');
let x = tf.tensor2d((${INPUT})(n), [1, n]), o = 0;
for (const l of layers) {
  const k = tf.tensor2d(w.subarray(o, o + l.in * l.out), [l.in, l.out]), b = tf.tensor1d(w.subarray(o + l.in * l.out, o + l.in * l.out + l.out));
  o += l.in * l.out + l.out;
  x = tf.add(tf.matMul(x, k), b);
  x = l.activation === 'relu' ? tf.relu(x) : l.activation === 'softmax' ? tf.softmax(x) : x;
}
${REPORT}JSON.stringify({ y: Array.from(x.dataSync()), rss: process.resourceUsage().maxRSS }));
`);

const JOBS = [{ id: 'node -e 0', process: 'empty', entry: '`node -e 0`', argv: ['-e', '0'] },
  { id: 'empty.cjs', process: 'empty', entry: 'empty CommonJS file', file: 'empty.cjs', args: [] }, { id: 'empty.mjs', process: 'empty', entry: 'empty ES module', file: 'empty.mjs', args: [] }];
for (const m of MODELS) {
  const args = [m.name, String(m.inputSize)];
  for (const [entry, app, cache] of [['axon/infer', 'cjs', 'warm'], ['axon/infer', 'mjs', 'warm'], ['axon/infer', 'mjs', 'off'], ['axon', 'mjs', 'warm'], ['axon', 'mjs', 'off']]) {
    const how = app === 'cjs' ? `\`require('${entry}')\`` : `\`import '${entry}'\``;
    JOBS.push({ id: `${entry} ${app} ${cache} ${m.name}`, process: 'axon', entry: how, cache, file: `${entry.replace('/', '-')}.${app}`, args, model: m, env: { AXON_COMPILE_CACHE: cache === 'off' ? '0' : cacheDir } });
  }
  if (AGAINST) JOBS.push({ id: `against ${m.name}`, process: 'axon', entry: `\`require('axon/infer')\` of ${AGAINST}`, cache: 'warm', file: 'against.cjs', args, model: m, env: { AXON_COMPILE_CACHE: `${cacheDir}-against` } });
  JOBS.push({ id: `tfjs-wasm ${m.name}`, process: 'tfjs-wasm', entry: 'tfjs-core + backend-wasm', file: 'tfjs.mjs', args, model: m });
}
if (AGAINST) JOBS.splice(0, JOBS.length, ...JOBS.filter((j) => j.argv || j.file.endsWith('.cjs')));
const times = new Map(JOBS.map((j) => [j.id, []])), rss = new Map(JOBS.map((j) => [j.id, []])), phases = new Map(JOBS.map((j) => [j.id, []]));
let failed = 0;
const engines = new Set();   // (kernel set / build of every Axon app's session)
// (warm-up: the first process writes the cache, the next three may add to it at exit: REFRESHES in targets/node/compile_cache.ts)
const WARMUP = 4, clock = () => Number(process.hrtime.bigint()) / 1e6;
for (let round = -WARMUP; round < ROUNDS; round++) {
  for (const j of JOBS) {
    const t0 = clock();
    const r = spawnSync(process.execPath, j.argv ?? [join(tmp, j.file), ...j.args], { cwd: root, encoding: 'utf8', env: { ...process.env, ...j.env } });
    const t1 = clock(), ms = t1 - t0;
    if (r.status !== 0) { if (!failed++) console.error(`${j.id}: exit ${r.status}\n${r.stderr.slice(0, 2000)}`); continue; }
    if (j.argv) { if (round >= 0) times.get(j.id).push(ms); continue; }
    const out = JSON.parse(r.stdout);
    if (round >= 0) rss.get(j.id).push(out.rss / 1024);
    if (round >= 0 && out.at) { // (the child's marks are on the parent's clock)
      const t = out.at, imported = t.imported ?? t.ready;
      phases.get(j.id).push({ ready: t.ready - t0, require: t.imported - t.ready, model: t.model - imported, predict: t.predict - t.model, exit: t1 - t.end });
    }
    // the cache rows must really have used a cache (written by the warm-up round), the others none
    const want = j.cache === 'warm' ? 'used' : 'off';
    if (j.cache && round >= 0 && !(out.cache.length > 0 && out.cache.every((c) => c === want))) { console.error(`${j.id}: compile cache ${out.cache} (expected ${want})`); failed++; }
    if (out.engine) engines.add(out.engine);
    if (j.model) {
      const err = Math.max(...out.y.map((v, i) => Math.abs(v - j.model.ref[i])));
      if (!(err < 1e-4)) { console.error(`${j.id}: output differs from the f64 reference by ${err}`); failed++; }
    }
    if (round >= 0) times.get(j.id).push(ms);
  }
}
rmSync(tmp, { recursive: true, force: true });

const median = (a) => { const s = [...a].sort((x, y) => x - y); return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const over = (t, base) => median(t.map((v, i) => v - times.get(base)[i])).toFixed(1);
console.log(`W7 cold start: ${ROUNDS} interleaved rounds (+${WARMUP} warm-up), node ${process.version}, ${cpus()[0].model}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at the end; Axon sessions ran on (kernel set/build): ${[...engines].join(', ')}; tfjs-core/backend-wasm 4.22.0, 1 thread\n`);
console.log('| process | entry | compile cache | model | wall ms median (min–max) | over `node -e 0`, ms | over an empty file of the same kind, ms | peak RSS MB |');
console.log('|---|---|---|---|---|---|---|---|');
for (const j of JOBS) {
  const t = times.get(j.id);
  if (!t.length) continue;
  const model = j.model ? `${j.model.name} (${j.model.params.toLocaleString('en-US')} params)` : '–';
  const o0 = j.argv ? '–' : `**${over(t, 'node -e 0')}**`, o1 = j.model ? `**${over(t, j.file.endsWith('.cjs') ? 'empty.cjs' : 'empty.mjs')}**` : '–';
  console.log(`| ${j.process} | ${j.entry} | ${j.cache ?? '–'} | ${model} | ${median(t).toFixed(1)} (${Math.min(...t).toFixed(1)}–${Math.max(...t).toFixed(1)}) | ${o0} | ${o1} | ${rss.get(j.id).length ? median(rss.get(j.id)).toFixed(1) : '–'} |`);
}

// where the time goes (medians of each phase)
const COLS = [['ready', 'exec to the first line (an ES module\'s imports run before it)'], ['require', 'require()'], ['model', 'loadModel()'], ['predict', 'first predict() (engine, session, run)'], ['exit', 'exit after the last line']];
console.log(`\n| process | entry | model | ${COLS.map(([, h]) => h).join(' | ')} |`);
console.log(`|---|---|---|${COLS.map(() => '---').join('|')}|`);
for (const j of JOBS) {
  const p = phases.get(j.id);
  if (!p.length || (j.cache && j.cache !== 'warm')) continue;
  console.log(`| ${j.process} | ${j.entry} | ${j.model?.name ?? '–'} | ${COLS.map(([k]) => (p.some((x) => Number.isFinite(x[k])) ? median(p.map((x) => x[k])).toFixed(1) : '–')).join(' | ')} |`);
}
if (failed) { console.error(`${failed} runs failed`); process.exit(1); }
