// Feature probe: which wasm builds can this engine compile? Tiny hand-assembled modules, validated only.

// (module (func (result v128) (v128.const i32x4 0 0 0 0)))
const SIMD_MODULE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0,
  253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11,
]);
// (module (func (result v128) v128.const 0, v128.const 0, v128.const 0, f32x4.relaxed_madd))
const RELAXED_MODULE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 61, 1, 59, 0,
  253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  253, 133, 2, 11,
]);

export interface Features { wasm: boolean; simd: boolean; relaxedSimd: boolean }

let cached: Features | undefined;

export function probeFeatures(): Features {
  if (cached) return cached;
  const wasm = typeof WebAssembly === 'object' && typeof WebAssembly.validate === 'function';
  cached = {
    wasm,
    simd: wasm && WebAssembly.validate(SIMD_MODULE),
    relaxedSimd: wasm && WebAssembly.validate(RELAXED_MODULE),
  };
  return cached;
}
