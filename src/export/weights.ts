// Axon → PyTorch/ONNX weight layouts, shared by the ONNX and safetensors exporters.
import { AxonError } from '../errors.js';
import type { Layer } from '../layers/layer.js';
import { Conv2D, resolvePadding } from '../layers/conv.js';

/** Conv weights (KH, KW, C/g, OC) → (OC, C/g, KH, KW). */
export function hwioToOihw(w: Float32Array, shape: readonly number[]): Float32Array {
  const [KH, KW, Cg, OC] = shape, KS = KH * KW, out = new Float32Array(w.length);
  for (let q = 0; q < KS; q++) for (let c = 0; c < Cg; c++) for (let o = 0; o < OC; o++) out[(o * Cg + c) * KS + q] = w[(q * Cg + c) * OC + o];
  return out;
}

/** Explicit [top, left, bottom, right] pads of a conv or pool layer built on an (H, W, C) or (L, C) input. */
export function padsOf(l: Layer & { padding: Conv2D['padding']; strides: [number, number] }, kernel: [number, number], dilation: [number, number]): [number, number, number, number] {
  const s = l.inputShape, [H, W] = s.length === 3 ? [s[0], s[1]] : [1, s[0]];
  return resolvePadding(l.padding, H, W, kernel, l.strides, dilation, l.name);
}

/** The index map of a channels-last (…spatial, C) tensor flattened channels-first: torch[chw(i)] = axon[i]. */
export function channelsFirstIndex(shape: readonly number[]): Int32Array {
  const C = shape[shape.length - 1], S = shape.reduce((a, b) => a * b, 1) / C, idx = new Int32Array(S * C);
  for (let s = 0; s < S; s++) for (let c = 0; c < C; c++) idx[s * C + c] = c * S + s;
  return idx;
}

export function refuse(kind: string, bad: Layer[]): void {
  if (bad.length) throw new AxonError('UNSUPPORTED', `${kind}: cannot export ${bad.map((l) => `${l.name} (${l.type})`).join(', ')}; supported: ${[...EXPORTABLE].join(', ')}`);
}
export const EXPORTABLE = new Set(['dense', 'conv2d', 'conv1d', 'depthwiseConv2d', 'maxPool2d', 'maxPool1d', 'avgPool1d', 'avgPool2d', 'globalAveragePooling2d', 'zeroPadding2d', 'batchNormalization', 'activation', 'dropout', 'flatten', 'reshape', 'conv2dTranspose', 'pad2d', 'slice', 'add', 'concatenate', 'multiply',
  'embedding', 'positionEmbedding', 'layerNormalization', 'multiHeadAttention']);
