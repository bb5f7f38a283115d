// ONNX ConvTranspose → Conv2DTranspose (layers/conv_transpose.ts), 2-D (N, C, H, W) and 1-D (N, C, L)
// (as (1, L) images). Weights (C, F/group, KH, KW) → (KH, KW, F/group, C). Explicit pads, strides,
// dilations, output_padding (smaller than the stride), group; auto_pad NOTSET or VALID; output_shape
// only when it is the size the other attributes give.
import { Conv2DTranspose } from '../layers/conv_transpose.js';
import { Reshape } from '../layers/misc.js';
import type { OnnxNode } from './onnx_proto.js';
import { Attrs } from './onnx_graph.js';
import { Converter, spatialOut, unsupported } from './onnx_convert.js';

export function convTranspose(cv: Converter, n: OnnxNode, a: Attrs): void {
  const [C, ...sp] = cv.channelsLast(n, 'ConvTranspose');
  const W = cv.c(n, 1, 'weights'), B = cv.c(n, 2, 'bias', true), g = a.int('group', 1), r = sp.length;
  const [Cw, Fg, ...k] = W.dims, F = Fg * g;
  if (Cw !== C || k.length !== r || C % g) unsupported(`weights of shape [${W.dims}] do not fit a (N, ${C}, ${sp}) input with group=${g}`);
  const auto = a.str('auto_pad', 'NOTSET');
  if (auto !== 'NOTSET' && auto !== 'VALID') unsupported(`auto_pad=${auto} is not supported; use explicit pads (torch.onnx.export writes them)`);
  const one = Array<number>(r).fill(1), s = a.ints('strides', one), d = a.ints('dilations', one), op = a.ints('output_padding', one.map(() => 0));
  const p = auto === 'VALID' ? Array<number>(2 * r).fill(0) : a.ints('pads', Array<number>(2 * r).fill(0));
  const out = sp.map((h, i) => (h - 1) * s[i] + op[i] + d[i] * (k[i] - 1) + 1 - p[i] - p[r + i]);
  const want = a.ints('output_shape', []);
  if (want.length && want.slice(-r).join() !== out.join()) unsupported(`output_shape [${want}] differs from the [${out}] the pads give; only explicit pads are supported`);
  // (C, F/g, K...) → (K..., F/g, C)
  const KS = k.reduce((x, y) => x * y, 1), w = new Float32Array(W.data.length);
  for (let c = 0; c < C; c++) for (let f = 0; f < Fg; f++) for (let q = 0; q < KS; q++) w[(q * Fg + f) * C + c] = W.data[(c * Fg + f) * KS + q];
  const two = (v: number[], pad: number) => (r === 2 ? [v[0], v[1]] : [pad, v[0]]) as [number, number];
  const layer = new Conv2DTranspose({
    filters: F, groups: g, useBias: B !== undefined, kernelSize: two(k, 1), strides: two(s, 1), dilationRate: two(d, 1), outputPadding: two(op, 0),
    padding: r === 2 ? [p[0], p[1], p[2], p[3]] : [0, p[0], 0, p[1]],
  });
  if (r === 1) cv.emit(new Reshape({ targetShape: [1, sp[0], C] }), {}, n);
  cv.emit(layer, { weight: w, ...(B ? { bias: Float32Array.from(B.data) } : {}) }, n, { weight: n.input[1], ...(B ? { bias: n.input[2] } : {}) });
  if (r === 1) cv.emit(new Reshape({ targetShape: [out[0], F] }), {}, n);
  spatialOut(cv);
}
