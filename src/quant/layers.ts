// int8 inference layers: the shared base (frozen, no backward, quantization parameters from the
// `quant` config that the model file keeps in __metadata__.quant), the f32 ⇄ int8 boundaries
// Quantize / Dequantize, int8 max pooling and zero padding (output shares the input's scale and zero point).
// Quantized Dense and Conv2D live in qdense.ts and qconv.ts.
import { AxonError } from '../errors.js';
import { q8QuantParams } from '../ops.js';
import { Ctx, IO, Layer, ParamDef, size } from '../layers/layer.js';
import { MaxPool2D, Pool2DOptions, ZeroPadding2D } from '../layers/pool.js';
import { parseQParams, QParams } from './scheme.js';

/** Quantization parameters of a layer's input and/or output. */
export interface QuantConfig { input?: QParams; output?: QParams }

/** int8 layers: inference only (trainable = false, no backward), parameters never optimized. */
export abstract class QLayer extends Layer {
  constructor(name?: string) {
    super();
    this.trainable = false;
    if (name) this.name = name;
  }
  backward(): void {}
  /** An int8 parameter set: values come from quantizeModel or the model file. */
  qparam(name: string, shape: number[], dtype: 'f32' | 'i8' | 'i32'): ParamDef {
    return { name, shape, init: 'zeros', fans: { fanIn: 1, fanOut: 1 }, trainable: false, regularize: false, dtype };
  }
}

/** f32 → int8 with fixed (calibrated) parameters. */
export class Quantize extends QLayer {
  readonly type = 'quantize';
  override outputDtype = 'i8' as const;
  readonly q: QParams;
  constructor(opts: { name?: string; quant: { output: QParams } }) {
    super(opts.name);
    this.q = parseQParams(opts.quant?.output, `${opts.name ?? 'Quantize'} output`);
  }
  build(s: number[]): number[] { this.inputShape = s; return (this.outputShape = s); }
  forward(c: Ctx, { x, y }: IO): void {
    c.emit('qs8_quantize', { y, x, qp: c.constant('qp', 'i32', q8QuantParams(this.q.scale, this.q.zeroPoint)), n: c.batch * size(this.inputShape) });
  }
  config(): Record<string, unknown> { return {}; }
  override quantParams(): Record<string, unknown> { return { output: this.q }; }
}

/** int8 → f32. */
export class Dequantize extends QLayer {
  readonly type = 'dequantize';
  readonly q: QParams;
  constructor(opts: { name?: string; quant: { input: QParams } }) {
    super(opts.name);
    this.q = parseQParams(opts.quant?.input, `${opts.name ?? 'Dequantize'} input`);
  }
  build(s: number[]): number[] { this.inputShape = s; return (this.outputShape = s); }
  forward(c: Ctx, { x, y }: IO): void {
    c.emit('qs8_dequantize', { y, x, qp: c.constant('qp', 'i32', q8QuantParams(this.q.scale, this.q.zeroPoint)), n: c.batch * size(this.inputShape) });
  }
  config(): Record<string, unknown> { return {}; }
  override quantParams(): Record<string, unknown> { return { input: this.q }; }
}

/** Refuses option shapes that Pool2D would misread (e.g. a null stride from a damaged file). */
function checkPool(o: Pool2DOptions): Pool2DOptions {
  const ok = (v: unknown) => v === undefined || typeof v === 'number' || (Array.isArray(v) && v.length === 2 && v.every((k) => typeof k === 'number'));
  const pad = o?.padding;
  if (!o || !ok(o.poolSize) || !ok(o.strides) || !(pad === undefined || pad === 'valid' || pad === 'same' || (Array.isArray(pad) && pad.length === 4)))
    throw new AxonError('BAD_CONFIG', `QMaxPool2D: poolSize and strides must be numbers or [h, w], padding 'valid', 'same' or [t, l, b, r]; got ${JSON.stringify(o)?.slice(0, 80)}`);
  return o;
}

/** Max pooling on int8 activations (max commutes with the monotonic quantization: same parameters out). */
export class QMaxPool2D extends MaxPool2D {
  override readonly type = 'qmaxPool2d';
  override outputDtype = 'i8' as const;
  constructor(opts: Pool2DOptions) { super(checkPool(opts)); this.trainable = false; }
  override forward(c: Ctx, { x, y }: IO): void {
    c.emit('qs8_maxpool2d', { y, x, ...this.dims, N: c.batch });
  }
  override backward(): void {}
}

export interface QZeroPadding2DOptions { padding?: number | [number, number] | [number, number, number, number]; name?: string; quant: { input: QParams } }

/** Zero padding of int8 activations: pads with the zero point (the real 0, exact); output parameters = input's. */
export class QZeroPadding2D extends ZeroPadding2D {
  override readonly type = 'qzeroPadding2d';
  override outputDtype = 'i8' as const;
  readonly q: QParams;
  constructor(opts: QZeroPadding2DOptions) {
    super(opts);
    this.trainable = false;
    this.q = parseQParams(opts.quant?.input, `${opts.name ?? 'QZeroPadding2D'} input`);
  }
  override forward(c: Ctx, { x, y }: IO): void {
    const [padT, padL, padB, padR] = this.pads, [H, W, C] = this.inputShape;
    c.emit('qs8_zeropad2d', { y, x, N: c.batch, H, W, C, padT, padL, padB, padR, fill: this.q.zeroPoint & 255 });
  }
  override backward(): void {}
  override quantParams(): Record<string, unknown> { return { input: this.q }; }
}
