// Finiteness of whole arrays. A JS loop over the float32 bits is ~4x faster than three TypedArray
// includes() passes (NaN, +Infinity, -Infinity: ~0.55 ns a value each, plus ~0.05 µs a call) once V8
// has optimized it, but a loop over a freshly loaded model's weights runs unoptimized (cold) at ~20 ns
// a value, most of a cold start's model-loading time. So: the bit loop below 4,096 floats (small inputs
// and targets of fit / evaluate: 784 floats 0.35 against 1.36 µs; cold, at most ~0.1 ms once; predict's
// inputs are checked by the plan, in wasm: model/inputs.ts emitInputChecks) and from 2^18
// (training data, big tensors: V8 replaces the loop on its stack with optimized code within the first
// of those), includes() between (a small model's weights at load).

const INTEGER_ARRAYS = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array];
const BIT_SCAN_BELOW = 4096, BIT_SCAN_FROM = 1 << 18;
const EXP = 0x7f800000;   // an f32 whose exponent bits are all ones is NaN or ±Infinity

/** Index of the first NaN or ±Infinity in `a` (or of a value that is not a number), else -1. */
export function firstNonFinite(a: ArrayLike<number>): number {
  if (a instanceof Float32Array && (a.length < BIT_SCAN_BELOW || a.length >= BIT_SCAN_FROM)) return firstNonFinite32(new Uint32Array(a.buffer, a.byteOffset, a.length));
  if (a instanceof Float32Array || a instanceof Float64Array) {
    if (!a.includes(NaN) && !a.includes(Infinity) && !a.includes(-Infinity)) return -1;
  } else if (INTEGER_ARRAYS.some((C) => a instanceof C)) return -1;
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return i;
  return -1;
}

function firstNonFinite32(u: Uint32Array): number {
  const n = u.length;
  let i = 0;
  for (; i + 4 <= n; i += 4) if ((~u[i] & EXP) === 0 || (~u[i + 1] & EXP) === 0 || (~u[i + 2] & EXP) === 0 || (~u[i + 3] & EXP) === 0) break;
  for (; i < n; i++) if ((~u[i] & EXP) === 0) return i;
  return -1;
}
