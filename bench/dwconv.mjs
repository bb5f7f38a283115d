// The f32 depthwise 3x3 kernel alone (f32_conv2d_fwd__simd, groups = C: the direct path of
// assembly/kernels/conv_direct.ts) at MobileNetV2's shapes, batch 1, on 1 and 2 threads, rounds
// interleaved. --dist=DIR times another build's dist/ in the same way (a same-run A/B: run both,
// alternating). GMAC/s counts the 9 multiply-adds of every output.
// Usage: node bench/dwconv.mjs [--rounds=9] [--dist=../other/dist]   (after npm run build)
import os from 'node:os';
import { arg, med, randn, timeUs as time, importDist } from './kit.mjs';

const ROUNDS = Number(arg('rounds', '9'));
const { dist, axon: { loadEngine } } = await importDist();

const one = await loadEngine({ threads: 1 }), two = await loadEngine({ threads: 2 });
await two.startThreads();
console.log(`depthwise 3x3; ${dist}; node ${process.version}; ${os.cpus()[0]?.model}; build ${one.build}`);
console.log('| input (H x W x C), stride | 1 thread µs | GMAC/s | 2 threads µs | 1T / 2T |\n|---|---|---|---|---|');
// [H, C, stride]: stride 1 with 'same' padding; stride 2 padded bottom/right (the folded ZeroPadding2D)
for (const [H, C, s] of [[112, 32, 1], [56, 144, 1], [28, 192, 1], [14, 384, 1], [14, 576, 1], [7, 960, 1], [112, 96, 2], [56, 144, 2]]) {
  const [pt, pb] = s === 1 ? [1, 1] : [0, 1], OH = Math.floor((H + pt + pb - 3) / s) + 1;
  const make = (e) => {
    const y = e.alloc(4 * OH * OH * C), x = e.put(randn(H * H * C, 1)), w = e.put(randn(9 * C, 2));
    return () => e.kernels.f32_conv2d_fwd__simd(y, x, w, 0, 1, H, H, C, C, 3, 3, s, s, pt, pt, pb, pb, 1, 1, C);
  };
  const f1 = make(one), f2 = make(two);
  time(f1, 50); time(f2, 50);
  const t = { 1: [], 2: [] };
  for (let r = 0; r < ROUNDS; r++) for (const k of r % 2 ? [2, 1] : [1, 2]) t[k].push(time(k === 1 ? f1 : f2));
  const a = med(t[1]), b = med(t[2]);
  console.log(`| ${H} x ${H} x ${C}, ${s} | ${a.toFixed(1)} | ${(OH * OH * C * 9 / a / 1e3).toFixed(2)} | ${b.toFixed(1)} | ${(a / b).toFixed(2)}x |`);
}
two.stopThreads();
process.exit(0);
