// T2 breakdown: where a model's 2-thread speedup goes. The inference plan of one workload is run
// one instruction at a time on a 1-thread and a 2-thread engine (same model, same input), each
// instruction's WALL time over interleaved rounds (its median: a lone pause would dominate a mean), grouped by op: the 1T and 2T ms, the
// op's own speedup, and how much of the 2T time is left on one thread (ops that do not split, or
// that split badly). Per-instruction runs add a wasm call each (~µs): the shares are what it is for.
// Needs a quiet machine (wall time): both cores free.
// --model=w5 profiles W5's training step instead (MLP 784-128-10, Adam, batch 32; weights move, the work does not).
// --work=N --elems=M set the 2-thread session's thresholds (mt_set_thresholds: multiply-adds, element-operations) to find where splits pay.
//   npm run build && node bench/threads_profile.mjs [--model=mnv2|mnv2-int8|w4|w3|w5] [--rounds=15] [--top=25] [--warm-ms=1500] [--work=N] [--elems=M]
import { loadEngine, Sequential, Tensor, layers } from '../dist/node.js';

const arg = (k, d) => process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? d;
const which = arg('model', 'mnv2'), rounds = Number(arg('rounds', 15)), top = Number(arg('top', 25)), warmMs = Number(arg('warm-ms', 1500));
const engines = [await loadEngine({ threads: 1 }), await loadEngine({ threads: 2 })];
if (!engines[1].threaded) throw new Error('no threaded build here');

async function build(e) {
  if (which === 'w5') {
    const m = new Sequential({ inputShape: [784], seed: 7, engine: e }).add(layers.dense({ units: 128, activation: 'relu' })).add(layers.dense({ units: 10, activation: 'softmax' }));
    m.compile({ optimizer: { type: 'adam', lr: 1e-3 }, loss: 'sparseCategoricalCrossentropy' });
    const x = new Tensor(Float32Array.from({ length: 64 * 784 }, (_, i) => Math.sin(i)), [64, 784]), y = new Tensor(Int32Array.from({ length: 64 }, (_, i) => i % 10), [64]);
    await m.fit(x, y, { epochs: 1, batchSize: 32, shuffle: false });
    return { m, x };
  }
  if (which === 'mnv2' || which === 'mnv2-int8') { const { mobilenetV2 } = await import('./threads_models.mjs'); const { model, q, x } = await mobilenetV2(1, e, which === 'mnv2-int8'); return { m: which === 'mnv2' ? model : q, x }; }
  const { lenet, mobilenet, SHAPES, input } = await import('./cnn.mjs');
  const name = which === 'w3' ? 'lenet' : 'mobilenet', n = which === 'w3' ? 64 : 1;
  const m = new Sequential({ inputShape: SHAPES[name], seed: 7, engine: e });
  for (const l of (name === 'lenet' ? lenet : mobilenet)(layers)) m.add(l);
  return { m, x: new Tensor(input(n, SHAPES[name].reduce((a, b) => a * b, 1)), [n, ...SHAPES[name]]) };
}

const runs = [];
for (const e of engines) {
  const { m, x } = await build(e);
  if (which !== 'w5') await m.predict(x);
  // each model session is its own wasm instance: its workers start after a run that wants them,
  // asynchronously; start them here, or the synchronous loop below would run everything on one thread
  await m.sess.bound.engine.startThreads();
  if (e === engines[1] && (arg('work') || arg('elems'))) m.sess.bound.engine.exports.mt_set_thresholds(Number(arg('work', 0)), Number(arg('elems', 0)));
  const sess = m.sess, [, full] = [...sess.plans].find(([k]) => (which === 'w5' ? /^train/ : /^(predict|infer)/).test(k));
  const PlanClass = full.plan.constructor;
  const singles = full.plan.instrs.map((ins) => { const p = new PlanClass(sess.layout, ins.label); p.instrs.push(ins); return sess.bound.load(p); });
  // warm up first: the workers' instances run their first hundreds of calls before V8's optimized code
  // takes over (W3's second convolution: 0.81 ms per call at 2 threads cold, 0.42 after 500 plan runs)
  const until = performance.now() + warmMs;
  while (performance.now() < until) sess.bound.run(full);
  runs.push({ sess, full, singles, samples: singles.map(() => []), whole: [] });
}
if (runs[0].singles.length !== runs[1].singles.length) throw new Error('the two plans differ');
for (let r = 0; r < rounds; r++) for (const run of runs) {
  for (let i = 0; i < run.singles.length; i++) { const t0 = performance.now(); run.sess.bound.run(run.singles[i]); run.samples[i].push(performance.now() - t0); }
  const t0 = performance.now(); run.sess.bound.run(run.full); run.whole.push(performance.now() - t0);
}
const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
for (const run of runs) run.times = run.samples.map(med);
const [one, two] = runs.map((run) => run.times.reduce((s, t) => s + t, 0));
const instrs = runs[0].full.plan.instrs;
const dims = (ins) => ins.op.args.filter((a) => a.kind !== 'ptr').map((a) => `${a.name}=${ins.args[ins.op.args.indexOf(a)]}`).join(' ');
const group = (f) => {
  const g = new Map();
  instrs.forEach((ins, i) => { const k = f(ins); const e = g.get(k) ?? { a: 0, b: 0, n: 0 }; e.a += runs[0].times[i]; e.b += runs[1].times[i]; e.n++; g.set(k, e); });
  return [...g].sort((x, y) => y[1].b - x[1].b);
};
const show = (title, rows, n) => {
  console.log(`\n${title}\n| 1T ms | 2T ms | speedup | share of 2T | count | what |\n|---|---|---|---|---|---|`);
  for (const [k, e] of rows.slice(0, n)) console.log(`| ${e.a.toFixed(3)} | ${e.b.toFixed(3)} | ${(e.a / e.b).toFixed(2)}x | ${(100 * e.b / two).toFixed(1)} % | ${e.n} | ${k} |`);
};
console.log(`T2 profile ${which}: ${instrs.length} instructions; one at a time 1T ${one.toFixed(2)} ms, 2T ${two.toFixed(2)} ms (${(one / two).toFixed(2)}x); whole plan medians 1T ${med(runs[0].whole).toFixed(2)} ms, 2T ${med(runs[1].whole).toFixed(2)} ms (${(med(runs[0].whole) / med(runs[1].whole)).toFixed(2)}x)`);
show('by op', group((ins) => ins.op.name), 30);
show('by op and shape', group((ins) => `${ins.op.name} ${dims(ins)}`), top);
process.exit(0);
