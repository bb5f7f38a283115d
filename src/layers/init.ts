// Weight initializers, seeded (Keras/PyTorch definitions). fanIn/fanOut come from the layer.
import { AxonError } from '../errors.js';
import { Rng } from '../runtime/rng.js';

export type InitName = 'glorotUniform' | 'glorotNormal' | 'heUniform' | 'heNormal' | 'lecunNormal' | 'lecunUniform' | 'zeros' | 'ones' | 'randomNormal' | 'randomUniform';
export type Init = InitName | { type: InitName; std?: number; limit?: number; value?: number };
export interface Fans { fanIn: number; fanOut: number }

/** Fills `out` according to the initializer. */
export function initialize(out: Float32Array, init: Init, fans: Fans, rng: Rng): void {
  const spec = typeof init === 'string' ? { type: init } : init;
  const uni = (limit: number) => { for (let i = 0; i < out.length; i++) out[i] = (rng.uniform() * 2 - 1) * limit; };
  const nor = (std: number) => { for (let i = 0; i < out.length; i++) out[i] = truncated(rng) * std; };
  const { fanIn, fanOut } = fans;
  switch (spec.type) {
    case 'zeros': out.fill(0); return;
    case 'ones': out.fill(1); return;
    case 'glorotUniform': return uni(Math.sqrt(6 / (fanIn + fanOut)));
    case 'glorotNormal': return nor(Math.sqrt(2 / (fanIn + fanOut)));
    case 'heUniform': return uni(Math.sqrt(6 / fanIn));
    case 'heNormal': return nor(Math.sqrt(2 / fanIn));
    case 'lecunUniform': return uni(Math.sqrt(3 / fanIn));
    case 'lecunNormal': return nor(Math.sqrt(1 / fanIn));
    case 'randomNormal': { const s = spec.std ?? 0.05; for (let i = 0; i < out.length; i++) out[i] = rng.normal() * s; return; }
    case 'randomUniform': return uni(spec.limit ?? 0.05);
    default: throw new AxonError('BAD_CONFIG', `unknown initializer "${(spec as { type: string }).type}"; use one of glorotUniform, glorotNormal, heUniform, heNormal, lecunUniform, lecunNormal, zeros, ones, randomNormal, randomUniform`);
  }
}

/** Standard normal truncated at 2 std, rescaled to unit variance (Keras' truncated normal for variance scaling). */
function truncated(rng: Rng): number {
  for (;;) { const z = rng.normal(); if (Math.abs(z) <= 2) return z / 0.87962566103423978; }
}
