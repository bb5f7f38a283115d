// int8 vs f32 inference of the same CNN, one run (BENCHMARKS.md "int8 CNN (Fashion-MNIST)"):
//   f32 model file (default out/fashion-mnist-cnn/model.axon, from `axon train models/fashion-mnist/cnn.json`)
//   → quantizeModel: static, minmax activations calibrated on 500 evenly spaced training images,
//     weights 8-bit ([-127, 127]) and 7-bit ([-63, 63], the relaxed-SIMD fast path).
//   Reports test accuracy on the 10,000 test images, file sizes, and inference throughput: the
//   predict plan at batch B (one wasm call per batch, inputs already in memory), f32 and int8
//   interleaved over rounds, best call (see race), in the SIMD128 build (this process) and the
//   relaxed build (a child `node --experimental-wasm-relaxed-simd --no-liftoff`).
// Usage: npm run build && node bench/q8cnn.mjs [--model=path] [--batch=256] [--seconds=3] [--calibration=500]
import { spawnSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

const arg = (name, def) => process.argv.find((x) => x.startsWith(`--${name}=`))?.slice(name.length + 3) ?? def;
const root = fileURLToPath(new URL('..', import.meta.url));
const MODEL = arg('model', `${root}out/fashion-mnist-cnn/model.axon`);
const B = Number(arg('batch', '256')), SECONDS = Number(arg('seconds', '3')), CALIB = Number(arg('calibration', '500'));
const CHILD = arg('child', '');
const DATA = '/usr/share/datasets/fashion-mnist';
const { loadEngine, modelFromBytes, modelToBytes, quantizeModel, Tensor } = await import(`${root}dist/node.js`);

function idx(file) {
  const b = gunzipSync(readFileSync(`${DATA}/${file}`)), dims = b[3], dv = new DataView(b.buffer, b.byteOffset);
  const shape = Array.from({ length: dims }, (_, k) => dv.getUint32(4 + 4 * k));
  return { data: b.subarray(4 + 4 * dims), shape };
}
function images(file, n = Infinity) {
  const { data, shape } = idx(file), total = Math.min(shape[0], n), stride = shape[0] / total, F = 28 * 28;
  const out = new Float32Array(total * F);
  for (let r = 0; r < total; r++) { const s = Math.floor(r * stride) * F; for (let j = 0; j < F; j++) out[r * F + j] = data[s + j] / 255; }
  return new Tensor(out, [total, 28, 28, 1]);
}

/** Best seconds per call of each fn: warm-up, then interleaved rounds (background load hits all alike). */
function race(fns, seconds) {
  for (const f of fns) { f(); f(); }
  const best = fns.map(() => Infinity), ROUNDS = 24;
  for (let r = 0; r < ROUNDS; r++) {
    fns.forEach((f, i) => {
      const end = performance.now() + (seconds * 1000) / ROUNDS / fns.length;
      let n = 0;
      while (n < 2 || performance.now() < end) { const t = performance.now(); f(); best[i] = Math.min(best[i], performance.now() - t); n++; }
    });
  }
  return best.map((ms) => ms / 1000);
}

async function models(build) {
  const engine = await loadEngine({ build });
  const bytes = new Uint8Array(readFileSync(MODEL));
  const { model: f32 } = modelFromBytes(bytes, MODEL, engine);
  const calib = images('train-images-idx3-ubyte.gz', CALIB);
  const q8 = await quantizeModel(f32, calib, { activations: 'minmax' });
  const q7 = await quantizeModel(f32, calib, { activations: 'minmax', weightBits: 7 });
  return { engine, bytes, f32, q8, q7 };
}

async function throughput(ms, x) {
  const runs = [];
  for (const m of [ms.f32, ms.q8, ms.q7]) {
    const s = await m.session(B);
    s.bound.f32(s.x).set(x.data.subarray(0, B * 784));
    runs.push(() => s.run('predict', B));
  }
  const [tf, t8, t7] = race(runs, SECONDS);
  return { build: ms.engine.build, f32: B / tf, int8: B / t8, int8w7: B / t7 };
}

if (CHILD) {
  const ms = await models('relaxed');
  process.stdout.write(JSON.stringify(await throughput(ms, images('t10k-images-idx3-ubyte.gz', B))));
} else {
  if (!existsSync(MODEL)) { console.error(`no model at ${MODEL}: run \`node dist/cli.js train models/fashion-mnist/cnn.json\` first, or pass --model=path`); process.exit(1); }
  const ms = await models('simd');
  const test = images('t10k-images-idx3-ubyte.gz'), labels = Int32Array.from(idx('t10k-labels-idx1-ubyte.gz').data);
  const y = new Tensor(labels, [labels.length]);
  const acc = async (m) => (await m.evaluate(test, y, { batchSize: 500 })).accuracy;
  const accuracy = { f32: await acc(ms.f32), int8: await acc(ms.q8), int8w7: await acc(ms.q7) };
  const sizes = { f32: ms.bytes.length, int8: modelToBytes(ms.q8).length };
  const rows = [await throughput(ms, test)];
  const child = spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', '--no-liftoff', fileURLToPath(import.meta.url), '--child=relaxed', ...process.argv.slice(2)], { encoding: 'utf8' });
  if (child.status === 0) rows.push(JSON.parse(child.stdout)); else console.error(`relaxed child failed: ${child.stderr.slice(0, 400)}`);
  const pct = (v) => `${(v * 100).toFixed(2)}%`;
  console.log(`# int8 vs f32 CNN: ${MODEL.replace(root, '')}, Node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, load ${os.loadavg()[0].toFixed(1)}`);
  console.log(`layers (int8): ${ms.q8.layers.map((l) => l.type).join(' → ')}`);
  console.log(`test accuracy (10,000): f32 ${pct(accuracy.f32)}, int8 ${pct(accuracy.int8)} (${((accuracy.int8 - accuracy.f32) * 100).toFixed(2)} points), int8 7-bit weights ${pct(accuracy.int8w7)} (${((accuracy.int8w7 - accuracy.f32) * 100).toFixed(2)} points)`);
  console.log(`file: f32 ${sizes.f32.toLocaleString('en-US')} bytes, int8 ${sizes.int8.toLocaleString('en-US')} bytes (${(sizes.f32 / sizes.int8).toFixed(2)}x smaller)`);
  console.log(`\n| build | f32 samples/s | int8 samples/s | int8 (7-bit w) samples/s | int8 / f32 | int8 7-bit / f32 |\n|---|---:|---:|---:|---:|---:|`);
  for (const r of rows) console.log(`| ${r.build} | ${Math.round(r.f32).toLocaleString('en-US')} | ${Math.round(r.int8).toLocaleString('en-US')} | ${Math.round(r.int8w7).toLocaleString('en-US')} | ${(r.int8 / r.f32).toFixed(2)}x | ${(r.int8w7 / r.f32).toFixed(2)}x |`);
  console.log(`\n(batch ${B}: predict plan per call, best of interleaved rounds over ${SECONDS} s per build)`);
}
