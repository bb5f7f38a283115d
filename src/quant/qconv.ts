// Quantized Conv2D, NHWC, int8 in and out (calibrated parameters), ReLU / ReLU6 fused into the
// requantization clamp, bias int32 at sa * sw[oc]:
//   groups = 1  weight (OC, KH, KW, C) int8 = the GEMM's (N, K) operand, packed once per session by
//               the prepare plan; each call is im2col + the int8 GEMM (qs8_conv2d).
//   groups = C  depthwise (OC = C * depthMultiplier): weight (KH, KW, 1, OC) int8 as the f32 layer
//               (per-channel scales on the last axis), direct kernel (qs8_dwconv2d).
// Other group counts are not quantized (quantizeModel keeps such layers in f32).
// QConv1D is QConv2D on (1, steps, channels), as Conv1D is Conv2D's (its geometry options are 2-D: [1, k]).
import { AxonError } from '../errors.js';
import { convOut, Dims, q8ConvScratchBytes, q8GemmParams, q8PackedBytes } from '../ops.js';
import { Ctx, IO } from '../layers/layer.js';
import { Conv2DOptions, Padding, pair, resolvePadding } from '../layers/conv.js';
import { QLayer } from './layers.js';
import { weightParams } from './qdense.js';
import { FUSED, FusedActivation, fusedClamp, parseQParams, QParams } from './scheme.js';

/** Conv2D's geometry options (groups: 1, or the input channel count: depthwise), a fused activation and the quantization. */
export interface QConv2DOptions extends Pick<Conv2DOptions, 'filters' | 'kernelSize' | 'strides' | 'padding' | 'dilationRate' | 'groups' | 'name'> {
  activation?: FusedActivation;
  quant: { input: QParams; output: QParams };
}

export class QConv2D extends QLayer {
  readonly type: string = 'qconv2d';
  override outputDtype = 'i8' as const;
  readonly filters: number;
  readonly kernel: [number, number];
  readonly strides: [number, number];
  readonly dilation: [number, number];
  readonly padding: Padding;
  readonly groups: number;
  readonly activation: FusedActivation;
  readonly qin: QParams;
  readonly qout: QParams;
  private dims!: Dims;

  constructor(opts: QConv2DOptions) {
    super(opts.name);
    const who = opts.name ?? 'QConv2D', pos = (v: number) => Number.isInteger(v) && v >= 1;
    this.filters = opts.filters;
    this.kernel = pair(opts.kernelSize, 1, who);
    this.strides = pair(opts.strides, 1, who);
    this.dilation = pair(opts.dilationRate, 1, who);
    this.padding = opts.padding ?? 'valid';
    this.groups = opts.groups ?? 1;
    this.activation = opts.activation ?? 'linear';
    if (![this.filters, ...this.kernel, ...this.strides, ...this.dilation, this.groups].every(pos)) throw new AxonError('BAD_CONFIG', `${who}: filters, kernelSize, strides, dilationRate and groups must be positive integers`);
    if (!FUSED.includes(this.activation)) throw new AxonError('BAD_CONFIG', `${who}: int8 convolutions fuse only linear, relu or relu6, got ${JSON.stringify(this.activation)}`);
    this.qin = parseQParams(opts.quant?.input, `${who} input`);
    this.qout = parseQParams(opts.quant?.output, `${who} output`);
  }

  get depthwise(): boolean { return this.groups > 1; }

  /** Per-sample (H, W, C) of the convolution's input (QConv1D overrides). */
  protected hwc(inputShape: number[]): number[] {
    if (inputShape.length !== 3) throw new AxonError('BAD_SHAPE', `${this.name}: QConv2D expects [height, width, channels] per sample, got [${inputShape}]`);
    return inputShape;
  }
  protected outShape(OH: number, OW: number): number[] { return [OH, OW, this.filters]; }

  build(inputShape: number[]): number[] {
    const [H, W, C] = this.hwc(inputShape), OC = this.filters;
    if (this.groups !== 1 && (this.groups !== C || OC % C)) throw new AxonError('BAD_SHAPE', `${this.name}: int8 convolution supports groups = 1 or groups = channels (${C}) with filters a multiple of it, got groups=${this.groups}, filters=${OC}`);
    const [padT, padL, padB, padR] = resolvePadding(this.padding, H, W, this.kernel, this.strides, this.dilation, this.name);
    const [KH, KW] = this.kernel;
    this.dims = { N: 1, H, W, C, OC, KH, KW, strideH: this.strides[0], strideW: this.strides[1], padT, padL, padB, padR, dilH: this.dilation[0], dilW: this.dilation[1] };
    const { OH, OW } = convOut(this.dims);
    if (!(OH >= 1 && OW >= 1)) throw new AxonError('BAD_SHAPE', `${this.name}: kernel ${KH}x${KW} does not fit the padded ${H}x${W} input`);
    this.inputShape = inputShape;
    this.params = [...weightParams(this, this.depthwise ? [KH, KW, 1, OC] : [OC, KH, KW, C], OC), this.qparam('bias', [OC], 'i32')];
    return (this.outputShape = this.outShape(OH, OW));
  }

  private wp(c: Ctx) { return c.fixed('wp', 'u8', q8PackedBytes(this.filters, this.dims.KH * this.dims.KW * this.dims.C)); }

  override prepare(c: Ctx): void {
    if (this.depthwise) return;
    const d = this.dims;
    c.emit('qs8_pack_w', { wp: this.wp(c), w: c.param('weight'), bias: c.param('bias'), sw: c.param('weight.scale'), N: d.OC, K: d.KH * d.KW * d.C });
  }

  forward(c: Ctx, { x, y }: IO): void {
    const d = { ...this.dims, N: c.batch };
    const [qmin, qmax] = fusedClamp(this.activation, this.qout);
    const qp = c.constant('qp', 'i32', q8GemmParams({ za: this.qin.zeroPoint, sa: this.qin.scale, sc: this.qout.scale, zc: this.qout.zeroPoint, qmin, qmax }));
    if (this.depthwise) c.emit('qs8_dwconv2d', { y, x, w: c.param('weight'), bias: c.param('bias'), sw: c.param('weight.scale'), qp, ...d });
    else c.emit('qs8_conv2d', { y, x, wp: this.wp(c), scratch: c.fixed('scratch', 'u8', q8ConvScratchBytes(d)), qp, ...d });
  }

  config(): Record<string, unknown> {
    const { filters, kernel, strides, padding, dilation, groups, activation } = this;
    return { filters, kernelSize: kernel, strides, padding, dilationRate: dilation, groups, activation };
  }
  override quantParams(): Record<string, unknown> { return { input: this.qin, output: this.qout }; }
}

/** int8 Conv1D over (steps, channels): QConv2D on (1, steps, channels); options in QConv2D's 2-D form. */
export class QConv1D extends QConv2D {
  override readonly type: string = 'qconv1d';
  protected override hwc(inputShape: number[]): number[] {
    if (inputShape.length !== 2) throw new AxonError('BAD_SHAPE', `${this.name}: QConv1D expects [steps, channels] per sample, got [${inputShape}]`);
    return [1, inputShape[0], inputShape[1]];
  }
  protected override outShape(_OH: number, OW: number): number[] { return [OW, this.filters]; }
}
