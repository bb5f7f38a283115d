// f64 forwards of the smooth activations (ELU/SELU, GELU in both forms, SiLU), as PyTorch defines
// them, for the kernel and gradient tests: erf by its Maclaurin series and continued fraction.
/** SELU's constants as the f32 kernel arguments carry them. */
export const SELU = { alpha: Math.fround(1.6732632423543772), scale: Math.fround(1.0507009873554805) };

/** erfc(z) in f64 for z >= 0. */
export function erfc(z: number): number {
  if (z < 2) {
    let term = z, sum = z;
    for (let k = 1; k < 60; k++) { term *= (-z * z) / k; sum += term / (2 * k + 1); }
    return 1 - (sum * 2) / Math.sqrt(Math.PI);
  }
  let f = z;
  for (let k = 60; k >= 1; k--) f = z + k / 2 / f;
  return Math.exp(-z * z) / (f * Math.sqrt(Math.PI));
}
export const Phi = (v: number) => (v < 0 ? 0.5 * erfc(-v / Math.SQRT2) : 1 - 0.5 * erfc(v / Math.SQRT2));
const K = Math.sqrt(2 / Math.PI), C = 0.044715;
/** f64 forwards, as PyTorch defines them. */
export const SMOOTH = {
  elu: (a: number, s = 1) => (v: number) => s * (v > 0 ? v : a * Math.expm1(v)),
  gelu: (v: number) => v * Phi(v),
  geluTanh: (v: number) => v / (1 + Math.exp(-2 * K * (v + C * v * v * v))),   // = v/2 (1 + tanh(u)), without its cancellation
  silu: (v: number) => v / (1 + Math.exp(-v)),
};

