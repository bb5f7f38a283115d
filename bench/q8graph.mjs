// int8 post-training quantization of a real graph model: nsfwjs 4.4.0's MobileNetV2 (224×224×3, 10
// residual adds), calibrated on 16 synthetic images; size, max |int8 − f32| of the class
// probabilities on 4 other images, and batch-1 latency of both (median of 9 after a warm-up).
//   npm run build && node bench/q8graph.mjs   (relaxed build: node --experimental-wasm-relaxed-simd --no-liftoff bench/q8graph.mjs)
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
const root = fileURLToPath(new URL('..', import.meta.url));
const { MobileNetV2Model: m } = await import('nsfwjs/models/mobilenet_v2');
const json = (await m.modelJson()).default, shard = new Uint8Array(Buffer.from((await m.weightBundles[0]()).default, 'base64'));
const { importTfjsLayers, Tensor, loadEngine, quantizeModel, paramBytes } = await import(join(root, 'dist/node.js'));
const engine = await loadEngine();
console.log(`${engine.build} build`);
const { model } = await importTfjsLayers(json, { loadShard: () => shard, engine });
const S = 224, img = (n, seed) => new Tensor(Float32Array.from({ length: n * S * S * 3 }, (_, i) => (((i + seed) * 7919 + ((i + seed) >> 9) * 31) % 256) / 255), [n, S, S, 3]);
let t = performance.now();
const q = await quantizeModel(model, img(16, 1));
console.log('quantize (16 calibration images)', (performance.now() - t).toFixed(0), 'ms;', paramBytes(model), '→', paramBytes(q), 'bytes');
const x = img(4, 99);
const yf = (await model.predict(x)).data, yq = (await q.predict(x)).data;
let md = 0; for (let i = 0; i < yf.length; i++) md = Math.max(md, Math.abs(yf[i] - yq[i]));
console.log('max |int8 - f32| on 4 images (probabilities):', md.toFixed(4));
const x1 = img(1, 5);
for (const [name, mm] of [['f32', model], ['int8', q]]) {
  await mm.predict(x1); const ms = [];
  for (let k = 0; k < 9; k++) { const t0 = performance.now(); await mm.predict(x1); ms.push(performance.now() - t0); }
  ms.sort((a, b) => a - b); console.log(name, 'b1 median', ms[4].toFixed(1), 'ms');
}
