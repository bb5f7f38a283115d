// Quantized Dense layers. Weights (units, inputs) int8 symmetric per output channel, packed once per
// session by the prepare plan (qs8_pack_w), then one int8 GEMM per call:
//   QDense         static: int8 input (calibrated sa, za). Output 'i8' (calibrated sc, zc) with
//                  ReLU / ReLU6 fused into the requantization clamp, or 'f32' (the dequantization
//                  fused into the GEMM; any activation then runs in f32, e.g. softmax on the logits).
//                  Bias int32 at sa * sw[n].
//   QDenseDynamic  dynamic: f32 in and out; each call quantizes the batch with its own [min, max]
//                  (qs8_quantize_dynamic), runs the f32-output GEMM and adds an f32 bias. On the
//                  last axis of any input (a sequence's tokens are rows), as Dense.
import { AxonError } from '../errors.js';
import { q8GemmParams, q8QuantParams, q8ScratchBytes, q8F32ScratchBytes, q8PackedBytes } from '../ops.js';
import { Activation, ActivationName, ACTIVATIONS } from '../layers/activation.js';
import { Ctx, IO, Layer, size } from '../layers/layer.js';
import type { Buf } from '../compile/plan.js';
import { QLayer } from './layers.js';
import { FUSED, FusedActivation, fusedClamp, parseQParams, QParams } from './scheme.js';

export interface QDenseOptions {
  units: number;
  /** 'i8' output: linear, relu or relu6 (fused); 'f32' output: any activation (applied in f32) */
  activation?: ActivationName;
  output?: 'i8' | 'f32';
  name?: string;
  /** input (and for 'i8' output, output) quantization parameters */
  quant: { input: QParams; output?: QParams };
}

function checkUnits(units: number, who: string): void {
  if (!Number.isInteger(units) || units <= 0) throw new AxonError('BAD_CONFIG', `${who}: units must be a positive integer, got ${units}`);
}
function checkActivation(a: unknown, who: string): void {
  if (!ACTIVATIONS.includes(a as ActivationName)) throw new AxonError('BAD_CONFIG', `${who}: unknown activation ${JSON.stringify(a)}`);
}

/** The int8 weight tensors every quantized Dense/Conv layer stores: weight, weight.scale, weight.zero_point (`prefix`: q_ for q_weight, ...). */
export function weightParams(l: { qparam: QLayer['qparam'] }, shape: number[], oc: number, prefix = '') {
  return [l.qparam(`${prefix}weight`, shape, 'i8'), l.qparam(`${prefix}weight.scale`, [oc], 'f32'), l.qparam(`${prefix}weight.zero_point`, [oc], 'i8')];
}

/** Packs the int8 weight `${p}weight` (N, K) once per session (the prepare plan). */
export function packDynamic(c: Ctx, p: string, N: number, K: number): void {
  const bias = c.constant(`${p}zero_bias`, 'i32', new Int32Array(N).buffer);
  c.emit('qs8_pack_w', { wp: c.fixed(`${p}wp`, 'u8', q8PackedBytes(N, K)), w: c.param(`${p}weight`), bias, sw: c.param(`${p}weight.scale`), N, K });
}

/**
 * y (M, N) = x (M, K) W^T + b with the int8 weight packed by packDynamic: x quantized with this
 * call's own range (qs8_quantize_dynamic), an int8 GEMM with f32 output, an f32 bias.
 * `perSample`: x's elements per sample (its aux copy's size).
 */
export function linearDynamic(c: Ctx, p: string, y: Buf, x: Buf, b: Buf | undefined, M: number, N: number, K: number, perSample: number): void {
  const xq = c.aux(`${p}xq`, 'i8', perSample), qp = c.fixed(`${p}qp`, 'i32', 2);
  c.emit('qs8_quantize_dynamic', { y: xq, qp, x, n: M * K });
  c.emit('qs8_gemm_f32', { c: y, a: xq, wp: c.fixed(`${p}wp`, 'u8', q8PackedBytes(N, K)), scratch: c.fixed(`${p}scratch`, 'u8', q8F32ScratchBytes(M, N, K)), qp, M, N, K });
  if (b !== undefined) c.emit('bias_add', { y, b, M, N });
}

export class QDense extends QLayer {
  readonly type = 'qdense';
  readonly units: number;
  readonly activation: ActivationName;
  readonly output: 'i8' | 'f32';
  readonly qin: QParams;
  readonly qout?: QParams;
  constructor(opts: QDenseOptions) {
    super(opts.name);
    const who = opts.name ?? 'QDense';
    checkUnits(opts.units, who);
    this.units = opts.units;
    this.activation = opts.activation ?? 'linear';
    checkActivation(this.activation, who);
    this.output = opts.output ?? 'i8';
    if (this.output !== 'i8' && this.output !== 'f32') throw new AxonError('BAD_CONFIG', `${who}: output must be "i8" or "f32", got ${JSON.stringify(opts.output)}`);
    this.qin = parseQParams(opts.quant?.input, `${who} input`);
    if (this.output === 'i8') {
      if (!FUSED.includes(this.activation)) throw new AxonError('BAD_CONFIG', `${who}: an int8 output fuses only linear, relu or relu6, got ${this.activation}; use output "f32"`);
      this.qout = parseQParams(opts.quant?.output, `${who} output`);
    }
    this.outputDtype = this.output;
  }

  build(inputShape: number[]): number[] {
    if (inputShape.length !== 1) throw new AxonError('BAD_SHAPE', `${this.name}: QDense expects a flat input per sample, got shape [${inputShape}]`);
    this.inputShape = inputShape;
    this.params = [...weightParams(this, [this.units, inputShape[0]], this.units), this.qparam('bias', [this.units], 'i32')];
    return (this.outputShape = [this.units]);
  }

  override expand(): Layer[] {
    if (this.output === 'i8' || this.activation === 'linear') return [this];
    return [this, new Activation({ activation: this.activation, name: `${this.name}/${this.activation}` })];
  }

  private wp(c: Ctx) { return c.fixed('wp', 'u8', q8PackedBytes(this.units, size(this.inputShape))); }

  override prepare(c: Ctx): void {
    const N = this.units, K = size(this.inputShape);
    c.emit('qs8_pack_w', { wp: this.wp(c), w: c.param('weight'), bias: c.param('bias'), sw: c.param('weight.scale'), N, K });
  }

  forward(c: Ctx, { x, y }: IO): void {
    const M = c.batch, N = this.units, K = size(this.inputShape), { scale: sa, zeroPoint: za } = this.qin;
    if (this.output === 'f32') {
      c.emit('qs8_gemm_f32', { c: y, a: x, wp: this.wp(c), scratch: c.fixed('scratch', 'u8', q8F32ScratchBytes(M, N, K)), qp: c.constant('qp', 'i32', q8QuantParams(sa, za)), M, N, K });
      return;
    }
    const [qmin, qmax] = fusedClamp(this.activation as FusedActivation, this.qout!);
    const qp = c.constant('qp', 'i32', q8GemmParams({ za, sa, sc: this.qout!.scale, zc: this.qout!.zeroPoint, qmin, qmax }));
    c.emit('qs8_gemm', { c: y, a: x, wp: this.wp(c), scratch: c.fixed('scratch', 'u8', q8ScratchBytes(M, N, K)), qp, M, N, K });
  }

  config(): Record<string, unknown> { return { units: this.units, activation: this.activation, output: this.output }; }
  override quantParams(): Record<string, unknown> { return this.qout ? { input: this.qin, output: this.qout } : { input: this.qin }; }
}

export interface QDenseDynamicOptions { units: number; activation?: ActivationName; useBias?: boolean; name?: string }

/** Dense with int8 weights and per-batch int8 activations: f32 in, f32 out. */
export class QDenseDynamic extends QLayer {
  readonly type = 'qdenseDynamic';
  override get perCall(): boolean { return true; }
  readonly units: number;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  constructor(opts: QDenseDynamicOptions) {
    super(opts.name);
    checkUnits(opts.units, opts.name ?? 'QDenseDynamic');
    this.units = opts.units;
    this.activation = opts.activation ?? 'linear';
    checkActivation(this.activation, opts.name ?? 'QDenseDynamic');
    this.useBias = opts.useBias ?? true;
  }
  /** Any rank: the last axis is the features (a sequence's tokens are rows, as Dense). */
  build(inputShape: number[]): number[] {
    if (inputShape.length < 1) throw new AxonError('BAD_SHAPE', `${this.name}: QDenseDynamic needs at least one axis per sample, got shape [${inputShape}]`);
    this.inputShape = inputShape;
    this.params = weightParams(this, [this.units, inputShape[inputShape.length - 1]], this.units);
    if (this.useBias) this.params.push(this.qparam('bias', [this.units], 'f32'));
    return (this.outputShape = [...inputShape.slice(0, -1), this.units]);
  }
  private get K(): number { return this.inputShape[this.inputShape.length - 1]; }
  private rows(c: Ctx): number { return c.batch * (size(this.inputShape) / this.K); }
  override expand(): Layer[] {
    return this.activation === 'linear' ? [this] : [this, new Activation({ activation: this.activation, name: `${this.name}/${this.activation}` })];
  }
  override prepare(c: Ctx): void { packDynamic(c, '', this.units, this.K); }
  forward(c: Ctx, { x, y }: IO): void {
    linearDynamic(c, '', y, x, this.useBias ? c.param('bias') : undefined, this.rows(c), this.units, this.K, size(this.inputShape));
  }
  config(): Record<string, unknown> { return { units: this.units, activation: this.activation, useBias: this.useBias }; }
}
