// The f32 depthwise 3x3 backward passes alone (f32_conv2d_bwd_x__simd / bwd_w__simd, groups = C, stride 1,
// 'same' padding: assembly/kernels/conv_direct_bwd.ts) at MobileNet shapes and batch sizes, one thread.
// --dist=DIR times another build's dist/ the same way (a same-run A/B: run both, alternating).
// Usage: node bench/dwconv_bwd.mjs [--dist=../other/dist]   (after npm run build)
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { arg, randn } from './kit.mjs';

const dist = arg('dist', new URL('../dist', import.meta.url).pathname);
const { loadEngine } = await import(pathToFileURL(path.resolve(dist, 'node.js')).href);
const now = () => performance.now();
function time(fn, ms = 40) { let calls = 0; const t0 = now(); while (calls < 3 || now() - t0 < ms) { fn(); calls++; } return (now() - t0) / calls * 1000; }

const e = await loadEngine({ threads: 1 });
console.log(`depthwise 3x3 backward, one thread; ${dist}; node ${process.version}; ${os.cpus()[0]?.model}; build ${e.build}`);
console.log('| batch, H x W x C | bwd_x µs | bwd_w µs |\n|---|---|---|');
for (const [N, H, C] of [[1, 56, 144], [4, 56, 144], [1, 28, 192], [8, 28, 192], [1, 14, 384], [8, 14, 384], [32, 14, 384], [1, 7, 960], [16, 7, 960], [32, 24, 32]]) {
  const m = e.mark();
  const x = e.put(randn(N * H * H * C, 1)), w = e.put(randn(9 * C, 2)), dy = e.put(randn(N * H * H * C, 3)), dw = e.alloc(36 * C), dx = e.alloc(4 * N * H * H * C);
  const a = [N, H, H, C, C, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, C];
  const bx = () => e.kernels.f32_conv2d_bwd_x__simd(dx, dy, w, 0, ...a), bw = () => e.kernels.f32_conv2d_bwd_w__simd(dw, dy, x, 0, ...a);
  time(bx, 60); time(bw, 60);
  console.log(`| ${N}, ${H} x ${H} x ${C} | ${time(bx).toFixed(0)} | ${time(bw).toFixed(0)} |`);
  e.reset(m);
}
process.exit(0);
