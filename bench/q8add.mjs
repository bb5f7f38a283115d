// The int8 residual add alone: nsfwjs MobileNetV2's 10 residual adds (216k elements) as one qs8_add
// each vs the f32 path they replaced (Dequantize ×2, f32 add, Quantize); median of 15 runs of 50.
//   npm run build && node bench/q8add.mjs   (relaxed build: node --experimental-wasm-relaxed-simd --no-liftoff bench/q8add.mjs)
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
const root = fileURLToPath(new URL('..', import.meta.url));
const { loadEngine } = await import(join(root, 'dist/node.js'));
const e = await loadEngine(), K = e.kernels;
// 1 add at 56x56x24, 2 at 28x28x32, 3 at 14x14x64, 2 at 14x14x96, 2 at 7x7x160
const sizes = [56 * 56 * 24, 28 * 28 * 32, 28 * 28 * 32, 14 * 14 * 64, 14 * 14 * 64, 14 * 14 * 64, 14 * 14 * 96, 14 * 14 * 96, 7 * 7 * 160, 7 * 7 * 160];
const n = Math.max(...sizes), total = sizes.reduce((a, b) => a + b);
const a = e.alloc(n), b = e.alloc(n), y = e.alloc(n), fa = e.alloc(4 * n), fb = e.alloc(4 * n), fy = e.alloc(4 * n);
const time = (f) => {
  for (let k = 0; k < 20; k++) f();
  const ms = [];
  for (let r = 0; r < 15; r++) { const t = performance.now(); for (let k = 0; k < 50; k++) f(); ms.push((performance.now() - t) / 50); }
  return ms.sort((p, q) => p - q)[7];
};
const each = (f) => () => { for (const m of sizes) f(m); };
const rows = [
  ['qs8_add', each((m) => K.qs8_add__simd(y, a, b, m, 3, 0.02, -5, 0.03, 0.04, 1, -128, 127))],
  ['dequantize x2 + f32 add + quantize', each((m) => { K.qs8_dequantize__simd(fa, a, m, 0.02, 3); K.qs8_dequantize__simd(fb, b, m, 0.03, -5); K.f32_add__simd(fy, fa, fb, m); K.qs8_quantize__simd(y, fy, m, 0.04, 1); })],
  ['  of which quantize', each((m) => K.qs8_quantize__simd(y, fy, m, 0.04, 1))],
];
console.log(`${e.build} build, ${total} elements over 10 adds`);
for (const [name, f] of rows) console.log(name, time(f).toFixed(3), 'ms');
