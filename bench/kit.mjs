// Helpers the threads benchmarks share (bench/threads.mjs, mt_threshold.mjs, dwconv.mjs).

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
