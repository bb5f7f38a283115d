// The f32 depthwise 3x3 backward passes alone (f32_conv2d_bwd_x__simd / bwd_w__simd, groups = C, stride 1,
// 'same' padding: assembly/kernels/conv_direct_bwd.ts) at MobileNet shapes and batch sizes, one thread.
// --dist=DIR times another build's dist/ the same way (a same-run A/B: run both, alternating).
// Usage: node bench/dwconv_bwd.mjs [--dist=../other/dist]   (after npm run build)
import os from 'node:os';
import { randn, timeUs as time, importDist } from './kit.mjs';

const { dist, axon: { loadEngine } } = await importDist();

const e = await loadEngine({ threads: 1 });
console.log(`depthwise 3x3 backward, one thread; ${dist}; node ${process.version}; ${os.cpus()[0]?.model}; build ${e.build}`);
console.log('| batch, H x W x C | bwd_x µs | bwd_w µs |\n|---|---|---|');
for (const [N, H, C] of [[1, 56, 144], [4, 56, 144], [1, 28, 192], [8, 28, 192], [1, 14, 384], [8, 14, 384], [32, 14, 384], [1, 7, 960], [16, 7, 960], [32, 24, 32]]) {
  const m = e.mark();
  const x = e.put(randn(N * H * H * C, 1)), w = e.put(randn(9 * C, 2)), dy = e.put(randn(N * H * H * C, 3)), dw = e.alloc(36 * C), dx = e.alloc(4 * N * H * H * C);
  const a = [N, H, H, C, C, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, C];
  const bx = () => e.kernels.f32_conv2d_bwd_x__simd(dx, dy, w, 0, ...a), bw = () => e.kernels.f32_conv2d_bwd_w__simd(dw, dy, x, 0, ...a);
  time(bx, 60); time(bw, 60);
  console.log(`| ${N}, ${H} x ${H} x ${C} | ${time(bx, 40).toFixed(0)} | ${time(bw, 40).toFixed(0)} |`);
  e.reset(m);
}
process.exit(0);
