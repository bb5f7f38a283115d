// The f32 ⇄ int8 boundary kernels alone: qs8_quantize__simd and qs8_dequantize__simd over 1.9M
// elements (MobileNetV2's 4 stride-2 ZeroPadding2D inputs at batch 1); median of 15 runs of 10.
//   npm run build && node bench/q8quant.mjs   (relaxed build: node --experimental-wasm-relaxed-simd --no-liftoff bench/q8quant.mjs)
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
const root = fileURLToPath(new URL('..', import.meta.url));
const { loadEngine } = await import(join(root, 'dist/node.js'));
const e = await loadEngine(), K = e.kernels;
const n = 1900000, x = e.alloc(4 * n), y = e.alloc(n), fy = e.alloc(4 * n);
new Float32Array(e.memory.buffer, x, n).forEach((_, i, a) => { a[i] = Math.sin(i) * 3; });
const time = (f) => {
  for (let k = 0; k < 10; k++) f();
  const ms = [];
  for (let r = 0; r < 15; r++) { const t = performance.now(); for (let k = 0; k < 10; k++) f(); ms.push((performance.now() - t) / 10); }
  return ms.sort((p, q) => p - q)[7];
};
console.log(`${e.build} build, ${n} elements`);
for (const [name, f] of [['quantize', () => K.qs8_quantize__simd(y, x, n, 0.02, -7)], ['dequantize', () => K.qs8_dequantize__simd(fy, y, n, 0.02, -7)]]) {
  const ms = time(f);
  console.log(name, ms.toFixed(3), 'ms,', ((ms * 1e6) / n).toFixed(3), 'ns/element');
}
