// Helpers the threads and kernel benchmarks share (bench/threads.mjs, mt_threshold.mjs, dwconv*.mjs).
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** The value of --name=value on the command line, else d. */
export const arg = (n, d) => process.argv.find((x) => x.startsWith(`--${n}=`))?.slice(n.length + 3) ?? d;

/** Median (the upper one of an even count). */
export const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };

/** n deterministic standard-normal floats (xorshift32 + Box-Muller) from a seed. */
export function randn(n, seed) {
  let s = seed >>> 0 || 1;
  const u = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return (s + 0.5) / 4294967296; };
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}

/** µs per call of a synchronous fn, timed over at least ms milliseconds and 3 calls. */
export function timeUs(fn, ms = 25) {
  let calls = 0; const t0 = performance.now();
  while (calls < 3 || performance.now() - t0 < ms) { fn(); calls++; }
  return (performance.now() - t0) / calls * 1000;
}

/** The build to time: --dist=DIR (another build's dist/, for a same-run A/B), else this checkout's; its directory and node.js module. */
export async function importDist() {
  const dist = arg('dist', new URL('../dist', import.meta.url).pathname);
  return { dist, axon: await import(pathToFileURL(path.resolve(dist, 'node.js')).href) };
}
