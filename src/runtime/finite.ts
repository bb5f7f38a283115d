// Finiteness of whole arrays at native speed: TypedArray includes() runs in the JS engine's own
// code, while a JS loop over a freshly loaded model's weights runs unoptimized (cold) at ~20 ns a
// value, most of a cold start's model-loading time.

const INTEGER_ARRAYS = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array];

/** Index of the first NaN or ±Infinity in `a` (or of a value that is not a number), else -1. */
export function firstNonFinite(a: ArrayLike<number>): number {
  if (a instanceof Float32Array || a instanceof Float64Array) {
    if (!a.includes(NaN) && !a.includes(Infinity) && !a.includes(-Infinity)) return -1;
  } else if (INTEGER_ARRAYS.some((C) => a instanceof C)) return -1;
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return i;
  return -1;
}
