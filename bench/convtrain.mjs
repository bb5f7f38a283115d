// Conv training, where a step's time goes: LeNet (bench/cnn.mjs) at batch 32 and the Fashion-MNIST
// residual CNN (models/fashion-mnist/resnet.json) at batch 64, Adam. Each training-plan instruction
// is timed on its own (one kernel call from JS, median over rounds) and summed by kind; then whole
// steps (one plan call each) give samples/s. Random inputs, one real fit step first (optimizer state).
//   npm run build && node bench/convtrain.mjs [lenet|resnet ...] [--rounds=N]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { lenet } from './cnn.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const { Sequential, Model, layers, Tensor, loadEngine } = await import('../dist/node.js');
const args = process.argv.slice(2);
const rounds = Number(args.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 30);
const names = args.filter((a) => !a.startsWith('-'));

const MODELS = {
  lenet: { batch: 32, build: () => { const m = new Sequential({ inputShape: [28, 28, 1], seed: 7 }); for (const l of lenet(layers)) m.add(l); return m; } },
  resnet: {
    batch: 64,
    build: () => {
      const cfg = JSON.parse(readFileSync(`${root}models/fashion-mnist/resnet.json`, 'utf8'));
      const m = new Model({ inputShape: [28, 28, 1], seed: cfg.seed });
      for (const { type, name, inputs, ...c } of cfg.model.layers) m.add(layers.layerFromConfig(type, c, name ?? ''), { inputs });
      return m;
    },
  },
};

// kind of an instruction, for the per-step breakdown
function kind(ins) {
  const o = ins.op.name;
  if (o.startsWith('conv2d_') && o.endsWith('fwd')) return 'conv fwd (+ bias, + relu when fused)';
  if (o === 'conv2d_bwd_x') return 'conv bwd input-grad';
  if (o === 'conv2d_bwd_w') return 'conv bwd weight-grad';
  if (o.startsWith('bias_add')) return 'bias fwd (dense; convs without the fused path)';
  if (o.startsWith('bias_grad')) return 'bias grad';
  if (o === 'leaky_relu_bwd_bias_grad') return 'relu bwd + bias grad (fused)';
  if (/relu|sigmoid|tanh/.test(o)) return o.endsWith('bwd') ? 'activation bwd' : 'activation fwd';
  if (o.includes('pool')) return o.endsWith('bwd') ? 'pool bwd' : 'pool fwd';
  if (o.startsWith('batchnorm')) return 'batch norm';
  if (['adam', 'sgd', 'rmsprop', 'check_finite'].includes(o)) return 'optimizer (+ finite checks)';
  if (o === 'fill') return 'zero grads';
  if (o.startsWith('gemm') || o.startsWith('dense')) return 'dense';
  return 'other: ' + o;
}

async function profile(name) {
  const { batch: B, build } = MODELS[name];
  const m = build();
  m.compile({ optimizer: { type: 'adam', lr: 1e-3 }, loss: 'sparseCategoricalCrossentropy' });
  let s = 5;
  const x = Float32Array.from({ length: B * 784 }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32));
  const y = Int32Array.from({ length: B }, (_, i) => i % 10);
  await m.fit(new Tensor(x, [B, 28, 28, 1]), new Tensor(y, [B]), { epochs: 1, batchSize: B, shuffle: false });
  const sess = await m.session(B), plan = sess.plan('train', B).plan, ex = sess.engine.kernels, bl = sess.bound;
  const calls = plan.instrs.map((ins) => { const f = ex[ins.op.kernel], a = ins.op.args.map((d, k) => (d.kind === 'ptr' ? bl.ptr(ins.args[k]) : ins.args[k])); return () => f(...a); });
  const per = plan.instrs.map(() => []);
  for (let r = 0; r < rounds; r++) calls.forEach((c, k) => { const t0 = performance.now(); c(); per[k].push(performance.now() - t0); });
  const med = (a) => { const b = [...a].sort((p, q) => p - q); return b[b.length >> 1]; };
  const byKind = new Map(), byIns = [];
  plan.instrs.forEach((ins, k) => { const t = med(per[k]); byKind.set(kind(ins), (byKind.get(kind(ins)) ?? 0) + t); byIns.push([t, `${ins.label} ${ins.op.name}`]); });
  const steps = [];
  for (let r = 0; r < rounds; r++) { const t0 = performance.now(); sess.run('train', B); steps.push(performance.now() - t0); }
  const step = med(steps), sum = [...byKind.values()].reduce((a, b) => a + b, 0);
  console.log(`\n${name} b${B}: train step ${step.toFixed(2)} ms (median of ${rounds}) = ${Math.round(B * 1000 / step).toLocaleString('en-US')} samples/s; sum of instructions ${sum.toFixed(2)} ms`);
  console.log('| kind | ms per step | share |\n|---|---|---|');
  for (const [k, t] of [...byKind].sort((a, b) => b[1] - a[1])) console.log(`| ${k} | ${t.toFixed(3)} | ${(100 * t / sum).toFixed(1)} % |`);
  console.log('top instructions:');
  for (const [t, l] of byIns.sort((a, b) => b[0] - a[0]).slice(0, 12)) console.log(`  ${t.toFixed(3).padStart(7)} ms  ${l}`);
}

console.log(`axon ${(await loadEngine()).build} build, node ${process.version}`);
for (const n of names.length ? names : Object.keys(MODELS)) await profile(n);
