// Seeded PRNG: xoshiro128** seeded by splitmix32, bit-identical to assembly/kernels/data.ts, so
// host-side draws (initialisers, shuffles) and wasm-side draws (dropout, augmentation) share one
// algorithm and one seed drives everything.

export class Rng {
  readonly s = new Uint32Array(4);
  constructor(seed: number) {
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      z = (z ^ (z >>> 16)) >>> 0;
      this.s[i] = z === 0 && i === 0 ? 1 : z;
    }
  }
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }
  /** [0, 1) with 24 random bits (the wasm side's exact value). */
  uniform(): number { return (this.nextU32() >>> 8) * 5.9604644775390625e-8; }
  /** Integer in [0, n). */
  int(n: number): number { return Math.floor(this.uniform() * n); }
  /** Standard normal (Box-Muller). */
  normal(): number {
    const u1 = ((this.nextU32() >>> 8) + 1) * 5.9604644775390625e-8;
    const u2 = (this.nextU32() >>> 8) * 5.9604644775390625e-8;
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
  /** Fisher-Yates shuffle in place. */
  shuffle<T extends { length: number; [i: number]: any }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.uniform() * (i + 1));
      const t = a[i]; a[i] = a[j]; a[j] = t;
    }
    return a;
  }
  /** A new independent stream seeded from this one. */
  fork(): Rng { return new Rng(this.nextU32()); }
}

function rotl(x: number, k: number): number { return ((x << k) | (x >>> (32 - k))) >>> 0; }
