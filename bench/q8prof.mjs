// Per-instruction profile of one int8 (or f32) plan: nsfwjs 4.4.0's MobileNetV2 at 224², batch 1,
// quantized as in bench/q8graph.mjs. After one full run, each plan instruction is copied into a
// one-instruction plan (same buffer table, same arena, so the same data) and timed alone (fastest
// of 7 runs: the machine is shared); totals are grouped by op and by a shape key (depthwise: kernel, stride, H×W×C).
//   npm run build && node bench/q8prof.mjs [f32] [--top N]
//   (relaxed build: node --experimental-wasm-relaxed-simd --no-liftoff bench/q8prof.mjs)
// NOTE: it wraps the engines' `exports` getter to see plan_run's arguments (predict() is slower
// under the wrapper, so the whole plan is timed by plan_run itself); a profile, not a benchmark.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
const root = fileURLToPath(new URL('..', import.meta.url));
const { MobileNetV2Model: m } = await import('nsfwjs/models/mobilenet_v2');
const json = (await m.modelJson()).default, shard = new Uint8Array(Buffer.from((await m.weightBundles[0]()).default, 'base64'));
const { importTfjsLayers, Tensor, loadEngine, quantizeModel, OPS } = await import(join(root, 'dist/node.js'));
const f32Only = process.argv.includes('f32'), ti = process.argv.indexOf('--top'), top = ti > 0 ? +process.argv[ti + 1] : 12;
const engine = await loadEngine();
console.log(`${engine.build} build, ${f32Only ? 'f32' : 'int8'} model`);

let last = null;
const proto = Object.getPrototypeOf(engine), getter = Object.getOwnPropertyDescriptor(proto, 'exports').get;
Object.defineProperty(proto, 'exports', {
  get() {
    const ex = getter.call(this);
    return new Proxy({}, { get: (_, k) => (k === 'plan_run' ? (p, b) => { last = { ex, p, b }; return ex.plan_run(p, b); } : ex[k]) });
  },
});

const { model } = await importTfjsLayers(json, { loadShard: () => shard, engine });
const S = 224, img = (n, seed) => new Tensor(Float32Array.from({ length: n * S * S * 3 }, (_, i) => (((i + seed) * 7919 + ((i + seed) >> 9) * 31) % 256) / 255), [n, S, S, 3]);
const mm = f32Only ? model : await quantizeModel(model, img(16, 1));
const x1 = img(1, 5);
await mm.predict(x1);
const { ex, p, b } = last, whole = [];
for (let k = 0; k < 7; k++) { const t0 = performance.now(); ex.plan_run(p, b); whole.push(performance.now() - t0); }
const w = () => new Uint32Array(ex.memory.buffer);
const nbuf = w()[(p >> 2) + 2], ncode = w()[(p >> 2) + 3], code0 = (p >> 2) + 4 + 2 * nbuf;
const instrs = [];
for (let pc = code0; pc < code0 + ncode;) { const argc = w()[pc + 1]; instrs.push(w().slice(pc, pc + 2 + argc)); pc += 2 + argc; }
const maxLen = Math.max(...instrs.map((a) => a.length));
const q = ex.arena_alloc(16 + 8 * nbuf + 4 * maxLen) >>> 0;
{ const m32 = w(); m32.set(m32.subarray(p >> 2, (p >> 2) + 4 + 2 * nbuf), q >> 2); }
const rows = [];
for (const ins of instrs) {
  const m32 = w();
  m32[(q >> 2) + 3] = ins.length; m32.set(ins, (q >> 2) + 4 + 2 * nbuf);
  const ts = [];
  for (let k = 0; k < 7; k++) { const t0 = performance.now(); ex.plan_run(q, b); ts.push(performance.now() - t0); }
  ts.sort((u, v) => u - v);
  const op = OPS[ins[0] - 1], d = {};
  op.args.forEach((a, j) => { if (a.kind === 'i32') d[a.name] = ins[2 + j] | 0; });
  let key = op.name;
  if (op.name.includes('conv2d')) key += ` ${d.KH}x${d.KW}/s${d.strideH} ${d.H}x${d.W}x${d.C}->${d.OC}`;
  rows.push({ op: op.name, key, ms: ts[0] });
}
const sum = rows.reduce((s, r) => s + r.ms, 0);
whole.sort((u, v) => u - v);
console.log(`whole plan (plan_run) fastest of 7 ${whole[0].toFixed(1)} ms; ${rows.length} instructions, sum of parts ${sum.toFixed(1)} ms`);
const group = (f) => { const g = new Map(); for (const r of rows) { const k = f(r), e = g.get(k) ?? { n: 0, ms: 0 }; e.n++; e.ms += r.ms; g.set(k, e); } return [...g].sort((u, v) => v[1].ms - u[1].ms); };
console.log('\nby op:');
for (const [k, e] of group((r) => r.op)) console.log(`  ${k.padEnd(22)} ${String(e.n).padStart(3)} x  ${e.ms.toFixed(2).padStart(7)} ms  ${(100 * e.ms / sum).toFixed(1).padStart(5)} %`);
console.log(`\nby shape (top ${top}):`);
for (const [k, e] of group((r) => r.key).slice(0, top)) console.log(`  ${k.padEnd(44)} ${String(e.n).padStart(3)} x  ${e.ms.toFixed(2).padStart(7)} ms  ${(100 * e.ms / sum).toFixed(1).padStart(5)} %`);
