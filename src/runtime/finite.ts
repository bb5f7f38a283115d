// Finiteness of whole arrays at native speed: TypedArray includes() runs in the JS engine's own
// code, while a JS loop over a freshly loaded model's weights runs unoptimized (cold) at ~20 ns a
// value, most of a cold start's model-loading time. From 2^18 floats (training data, big weight
// tensors) one pass over the float32 bits beats three includes() passes (~0.4 against ~1.3 ms for
// 800k floats once V8 has compiled the loop, which it does within the first of those: on-stack
// replacement), so a fit() over such data starts sooner.

const INTEGER_ARRAYS = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array];
const BIT_SCAN_FROM = 1 << 18;
const EXP = 0x7f800000;   // an f32 whose exponent bits are all ones is NaN or ±Infinity

/** Index of the first NaN or ±Infinity in `a` (or of a value that is not a number), else -1. */
export function firstNonFinite(a: ArrayLike<number>): number {
  if (a instanceof Float32Array && a.length >= BIT_SCAN_FROM) return firstNonFinite32(new Uint32Array(a.buffer, a.byteOffset, a.length));
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
