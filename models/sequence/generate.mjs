// Generates the sequence example's dataset (seeded, deterministic): noisy two-channel mixtures of
// two sines, 4 classes by which pair of frequencies is present. Writes seq-x.npy (float32,
// [1200, 50, 2]) and seq-y.npy (uint8, [1200]) next to this file.
// Run after a build: npm run build && node models/sequence/generate.mjs
import { writeFileSync } from 'node:fs';
import { encodeNpy, Rng, Tensor } from '../../dist/node.js';

const N = 1200, T = 50, F = 2, NOISE = 0.5;
const SLOW = [2, 3.5], FAST = [5, 7];   // cycles per sequence; class = 2 * slow index + fast index
const rng = new Rng(2024);
const u = (lo, hi) => lo + (hi - lo) * rng.uniform();
const x = new Float32Array(N * T * F), y = new Uint8Array(N);
for (let i = 0; i < N; i++) {
  const c = rng.int(4);
  y[i] = c;
  // each frequency jittered ±8%, random phases; each channel mixes both with its own weights
  const fa = SLOW[c >> 1] * u(0.92, 1.08), fb = FAST[c & 1] * u(0.92, 1.08), pa = u(0, 2 * Math.PI), pb = u(0, 2 * Math.PI);
  for (let f = 0; f < F; f++) {
    const ma = u(0.3, 1.2), mb = u(0.3, 1.2), offset = u(-0.5, 0.5);
    for (let t = 0; t < T; t++) {
      const s = ma * Math.sin(2 * Math.PI * fa * t / T + pa) + mb * Math.sin(2 * Math.PI * fb * t / T + pb);
      x[(i * T + t) * F + f] = s + offset + NOISE * rng.normal();
    }
  }
}
const dir = new URL('.', import.meta.url);
writeFileSync(new URL('seq-x.npy', dir), encodeNpy(new Tensor(x, [N, T, F])));
writeFileSync(new URL('seq-y.npy', dir), encodeNpy(new Tensor(y, [N])));
const counts = [0, 1, 2, 3].map((k) => y.filter((v) => v === k).length);
console.log(`seq-x.npy [${N}, ${T}, ${F}] float32, seq-y.npy [${N}] uint8; class counts ${counts.join(', ')}`);
