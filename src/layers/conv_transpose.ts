// Conv2DTranspose (Keras' name; PyTorch ConvTranspose2d, ONNX ConvTranspose), channels last.
//   x: (H, W, C) → y: (OH, OW, filters), OH = (H - 1)*stride + outputPadding + dil*(KH - 1) + 1 - padT - padB
//   weight: (KH, KW, filters/groups, C), Keras' layout: the HWIO weight of the convolution this layer
//   is the transpose of (that conv maps (OH, OW, filters) to (H, W, C)).
// No kernels of its own: forward = conv2d_bwd_x of that conv (into a zeroed y), input gradient =
// conv2d_fwd (then added to dx), weight gradient = conv2d_bwd_w with the roles of x and dy swapped.
// outputPadding (extra rows/columns at the bottom/right that only the bias reaches) becomes a
// smaller bottom/right pad of that conv, so it must be smaller than the stride.
import { AxonError } from '../errors.js';
import { Activation } from './activation.js';
import { Ctx, IO, Layer, size } from './layer.js';
import { Conv2DOptions, ConvLayer, pair, resolvePadding, setConvOptions } from './conv.js';
import { conv2dScratchFloats, Dims } from '../ops.js';

export interface Conv2DTransposeOptions extends Conv2DOptions { outputPadding?: number | [number, number] }

export class Conv2DTranspose extends ConvLayer {
  readonly type = 'conv2dTranspose';
  readonly outputPadding: [number, number];
  /** [top, left, bottom, right] pads of the output (explicit, or resolved from 'same'/'valid' at build) */
  pads: [number, number, number, number] = [0, 0, 0, 0];
  private dims!: Dims;

  constructor(private readonly opts: Conv2DTransposeOptions) {
    super();
    const who = opts.name || 'Conv2DTranspose';
    setConvOptions(this, opts, 'Conv2DTranspose');
    this.outputPadding = pair(opts.outputPadding, 0, who);
    if (!this.outputPadding.every((p, i) => Number.isInteger(p) && p >= 0 && p < this.strides[i])) throw new AxonError('BAD_CONFIG', `${who}: outputPadding [${this.outputPadding}] must be non-negative integers smaller than the strides [${this.strides}]`);
  }

  build(inputShape: number[]): number[] {
    if (inputShape.length !== 3) throw new AxonError('BAD_SHAPE', `${this.name}: Conv2DTranspose expects inputs of shape [height, width, channels] per sample, got [${inputShape}]`);
    const [H, W, C] = inputShape, g = this.groups, [KH, KW] = this.kernel, [sh, sw] = this.strides, [dh, dw] = this.dilation, [oph, opw] = this.outputPadding;
    if (C % g || this.filters % g) throw new AxonError('BAD_SHAPE', `${this.name}: ${C} input channels and ${this.filters} filters must both be divisible by groups=${g}`);
    const eh = dh * (KH - 1) + 1, ew = dw * (KW - 1) + 1;
    if (this.padding === 'same' && (eh < sh || ew < sw)) throw new AxonError('BAD_CONFIG', `${this.name}: padding 'same' needs a kernel span of at least the stride`);
    // 'same': the pads of the conv from (H*stride, W*stride) to (H, W), as TensorFlow
    const [pt, pl, pb, pr] = resolvePadding(this.padding, H * sh, W * sw, this.kernel, this.strides, this.dilation, this.name);
    this.pads = [pt, pl, pb, pr];
    const OH = (H - 1) * sh + oph + eh - pt - pb, OW = (W - 1) * sw + opw + ew - pl - pr;
    if (OH < 1 || OW < 1) throw new AxonError('BAD_SHAPE', `${this.name}: padding [${pt}, ${pl}, ${pb}, ${pr}] leaves no output for a ${H}x${W} input`);
    this.dims = { N: 1, H: OH, W: OW, C: this.filters, OC: C, KH, KW, strideH: sh, strideW: sw, padT: pt, padL: pl, padB: Math.max(0, pb - oph), padR: Math.max(0, pr - opw), dilH: dh, dilW: dw, groups: g };
    this.inputShape = inputShape;
    const fanIn = KH * KW * (this.filters / g), fanOut = KH * KW * (C / g);
    this.params = [{ name: 'weight', shape: [KH, KW, this.filters / g, C], init: this.opts.kernelInitializer ?? 'glorotUniform', fans: { fanIn, fanOut }, trainable: true, regularize: true }];
    if (this.useBias) this.params.push({ name: 'bias', shape: [this.filters], init: this.opts.biasInitializer ?? 'zeros', fans: { fanIn, fanOut }, trainable: true, regularize: false });
    return (this.outputShape = [OH, OW, this.filters]);
  }

  override expand(): Layer[] {
    return this.activation === 'linear' ? [this] : [this, new Activation({ activation: this.activation, name: `${this.name}/${this.activation}` })];
  }

  private args(c: Ctx) {
    const d = { ...this.dims, N: c.batch };
    return { d, scratch: c.scratch(conv2dScratchFloats(d)), rows: c.batch * this.outputShape[0] * this.outputShape[1] };
  }

  forward(c: Ctx, { x, y }: IO): void {
    const { d, scratch, rows } = this.args(c);
    c.emit('fill', { y, v: 0, n: rows * this.filters });
    c.emit('conv2d_bwd_x', { dx: y, dy: x, w: c.param('weight'), scratch, ...d });
    if (this.useBias) c.emit('bias_add', { y, b: c.param('bias'), M: rows, N: this.filters });
  }

  backward(c: Ctx, { x, dx, dy }: IO): void {
    if (dy === undefined) return;
    const { d, scratch, rows } = this.args(c);
    const dw = c.grad('weight');
    if (dw !== undefined) c.emit('conv2d_bwd_w', { dw, dy: x, x: dy, scratch, ...d });
    const db = this.useBias ? c.grad('bias') : undefined;
    if (db !== undefined) c.emit('bias_grad', { db, dy, M: rows, N: this.filters });
    if (dx === undefined) return;
    const t = c.aux('dx', 'f32', size(this.inputShape)), n = c.batch * size(this.inputShape);
    c.emit('conv2d_fwd', { y: t, x: dy, w: c.param('weight'), scratch, ...d });
    c.emit('axpy', { y: dx, x: t, a: 1, n });
  }

  config(): Record<string, unknown> {
    const { filters, kernel, strides, padding, outputPadding, dilation, groups, activation, useBias } = this;
    return { filters, kernelSize: kernel, strides, padding, outputPadding, dilationRate: dilation, groups, activation, useBias, ...(this.regularizer ? { kernelRegularizer: this.regularizer } : {}) };
  }
}
