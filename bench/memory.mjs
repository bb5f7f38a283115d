// Inference memory of a real graph model: nsfwjs 4.4.0's MobileNetV2 (224×224×3, 162 Keras layers,
// 10 residual adds). For batch 1 and 8, the session's layout (parameters + activations + scratch)
// when activations share buffers by liveness (what predict on an uncompiled model uses) and when
// every unit keeps its own output (keepActivations: calibration), and the predict time of each.
// Outputs of the two are compared bit for bit first.
//   npm run build && node bench/memory.mjs
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { MobileNetV2Model: m } = await import('nsfwjs/models/mobilenet_v2');
const json = (await m.modelJson()).default, shard = new Uint8Array(Buffer.from((await m.weightBundles[0]()).default, 'base64'));
const { importTfjsLayers, Tensor, loadEngine } = await import(join(root, 'dist/node.js'));
const engine = await loadEngine();
const MiB = (bytes) => (bytes / 2 ** 20).toFixed(1);
const median = (a) => { const s = [...a].sort((p, q) => p - q); return s[(s.length - 1) >> 1]; };

console.log(`nsfwjs MobileNetV2, ${os.cpus()[0].model}, node ${process.version}, ${engine.build} build\n`);
console.log('| batch | activations | layout MiB | of which activations MiB | predict ms (median of 5) |');
console.log('|---|---|---|---|---|');
for (const B of [1, 8]) {
  const x = new Tensor(Float32Array.from({ length: B * 224 * 224 * 3 }, (_, i) => ((i * 7919) % 256) / 255), [B, 224, 224, 3]);
  const outs = [];
  for (const keep of [false, true]) {
    const { model } = await importTfjsLayers(json, { loadShard: () => shard, engine });
    const s = await model.session(B, { keepActivations: keep });
    const y = await model.predict(x);
    const ms = [];
    for (let k = 0; k < 5; k++) { const t = performance.now(); await model.predict(x); ms.push(performance.now() - t); }
    const bytes = (f) => s.layout.buffers.filter(f).reduce((a, b) => a + b.count * 4, 0);
    outs.push(y.data);
    console.log(`| ${B} | ${keep ? 'one buffer per unit' : 'shared by liveness'} | ${MiB(bytes(() => true))} | ${MiB(bytes((b) => b.name.startsWith('act:')))} | ${median(ms).toFixed(0)} |`);
  }
  if (!outs[0].every((v, i) => Object.is(v, outs[1][i]))) throw new Error(`batch ${B}: outputs differ between the two layouts`);
}
console.log('\noutputs bit-identical between the two layouts');
