// The compile context a layer emits its plan instructions through (Layer.forward / backward /
// prepare): its parameters and gradients by name, working buffers (per sample, sized for the
// session's largest batch), the shared scratch and PRNG state, and constants written at placement.
import { AxonError } from '../errors.js';
import type { Buf, Layout, Plan } from '../compile/plan.js';
import { gemmScratchFloats, Dtype, DTYPE_BYTES } from '../ops.js';
import type { Ctx, Layer } from '../layers/layer.js';

/** What a context needs of its session. */
export interface CtxHost { layout: Layout; maxBatch: number; scratch: Buf; rng: Buf; constants: Map<Buf, ArrayBuffer> }

export function layerCtx(h: CtxHost, plan: Plan, u: Layer, batch: number, training: boolean): Ctx {
  const L = h.layout;
  const get = (name: string, dtype: Dtype, count: number) => L.byName(name)?.id ?? L.add(name, dtype, count);
  const constName = (key: string, k: number) => `const:${u.name}:${key}${k ? `#${k}` : ''}`;
  return {
    batch, training,
    emit: (op, args, label) => { plan.emit(op, args, label ?? u.name); },
    param: (name) => { const b = L.byName(`${u.name}.${name}`); if (!b) throw new AxonError('BAD_ARGUMENT', `no buffer "${u.name}.${name}"`); return b.id; },
    grad: (name) => L.byName(`grad:${u.name}.${name}`)?.id,
    aux: (key, dtype, perSample) => get(`aux:${u.name}:${key}`, dtype, perSample * h.maxBatch),
    fixed: (key, dtype, count) => get(`fixed:${u.name}:${key}`, dtype, count),
    gemmScratch: (M, N, K) => { L.finalized || L.grow(h.scratch, gemmScratchFloats(M, N, K)); return h.scratch; },
    scratch: (floats) => { L.finalized || L.grow(h.scratch, floats); return h.scratch; },
    rngState: () => h.rng,
    constant: (key, dtype, data) => {
      // (the same key at other input shapes may hold other contents: those get a buffer of their own)
      let k = 0;
      for (let have = L.byName(constName(key, 0)); have; have = L.byName(constName(key, ++k))) if (sameBytes(h.constants.get(have.id)!, data)) return have.id;
      const b = L.add(constName(key, k), dtype, data.byteLength / DTYPE_BYTES[dtype]);
      h.constants.set(b, data);
      return b;
    },
  };
}

const sameBytes = (a: ArrayBuffer, b: ArrayBuffer): boolean => {
  if (a.byteLength !== b.byteLength) return false;
  const x = new Uint8Array(a), y = new Uint8Array(b);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
};
