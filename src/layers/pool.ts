// Pooling and padding, channels last: MaxPool2D (gradient to the first maximal element, as
// PyTorch), AvgPool2D (padding counted or not), GlobalAveragePooling2D, MaxPool1D, AvgPool1D, ZeroPadding2D.
import { AxonError } from '../errors.js';
import { convOut, Dims } from '../ops.js';
import { Ctx, IO, Layer, size } from './layer.js';
import { pair, Padding, resolvePadding } from './conv.js';

export interface Pool2DOptions { poolSize?: number | [number, number]; strides?: number | [number, number]; padding?: Padding; name?: string }

abstract class Pool2D extends Layer {
  readonly pool: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  protected dims!: Dims;
  constructor(opts: Pool2DOptions) {
    super();
    this.pool = pair(opts.poolSize, 2);
    this.strides = pair(opts.strides, 0);
    if (this.strides[0] === 0) this.strides = this.pool;
    this.padding = opts.padding ?? 'valid';
    if (opts.name) this.name = opts.name;
    if (![...this.pool, ...this.strides].every((v) => Number.isInteger(v) && v >= 1)) throw new AxonError('BAD_CONFIG', `${this.name || this.constructor.name}: poolSize and strides must be positive integers`);
  }
  protected hwc(s: number[]): [number, number, number] {
    if (s.length !== 3) throw new AxonError('BAD_SHAPE', `${this.name}: expects inputs of shape [height, width, channels] per sample, got [${s}]`);
    return s as [number, number, number];
  }
  build(inputShape: number[]): number[] {
    const [H, W, C] = this.hwc(inputShape);
    const [padT, padL, padB, padR] = resolvePadding(this.padding, H, W, this.pool, this.strides, [1, 1], this.name);
    const [KH, KW] = this.pool;
    if (KH > H + padT + padB || KW > W + padL + padR) throw new AxonError('BAD_SHAPE', `${this.name}: pool ${KH}x${KW} is larger than the padded input ${H + padT + padB}x${W + padL + padR}`);
    for (const [p, k] of [[padT, KH], [padB, KH], [padL, KW], [padR, KW]]) if (p >= k) throw new AxonError('BAD_SHAPE', `${this.name}: padding ${p} is not smaller than the pool size ${k}; a window would lie entirely in the padding`);
    this.dims = { N: 1, H, W, C, KH, KW, strideH: this.strides[0], strideW: this.strides[1], padT, padL, padB, padR };
    const { OH, OW } = convOut(this.dims);
    this.inputShape = inputShape;
    return (this.outputShape = this.outShape(OH, OW, C));
  }
  protected outShape(OH: number, OW: number, C: number): number[] { return [OH, OW, C]; }
  config(): Record<string, unknown> { return { poolSize: this.pool, strides: this.strides, padding: this.padding }; }
}

export class MaxPool2D extends Pool2D {
  readonly type: string = 'maxPool2d';
  forward(c: Ctx, { x, y }: IO): void {
    const d = { ...this.dims, N: c.batch, dilH: 1, dilW: 1 };
    c.emit('maxpool2d_fwd', { y, idx: c.aux('argmax', 'i32', size(this.outputShape)), x, ...d });
  }
  backward(c: Ctx, { dx, dy }: IO): void {
    if (dx === undefined || dy === undefined) return;
    const d = { ...this.dims, N: c.batch, dilH: 1, dilW: 1 };
    c.emit('maxpool2d_bwd', { dx, dy, idx: c.aux('argmax', 'i32', size(this.outputShape)), ...d });
  }
}

/** 1-D pooling options: padding 'valid', 'same' or explicit [left, right]. */
export interface Pool1DOptions { poolSize?: number; strides?: number; padding?: 'valid' | 'same' | [number, number]; name?: string }
const pool1d = (o: Pool1DOptions): Pool2DOptions => ({
  poolSize: [1, o.poolSize ?? 2], strides: [1, o.strides ?? o.poolSize ?? 2], name: o.name,
  padding: Array.isArray(o.padding) ? [0, o.padding[0], 0, o.padding[1]] : o.padding,
});
const steps = (name: string, s: number[]): [number, number, number] => {
  if (s.length !== 2) throw new AxonError('BAD_SHAPE', `${name}: 1-D pooling expects [steps, channels] per sample, got [${s}]`);
  return [1, s[0], s[1]];
};
const config1d = (l: Pool2D): Record<string, unknown> => ({ poolSize: l.pool[1], strides: l.strides[1], padding: Array.isArray(l.padding) ? [l.padding[1], l.padding[3]] : l.padding });

/** Max pooling over (steps, channels). */
export class MaxPool1D extends MaxPool2D {
  override readonly type: string = 'maxPool1d';
  constructor(opts: Pool1DOptions = {}) { super(pool1d(opts)); }
  protected override hwc(s: number[]): [number, number, number] { return steps(this.name, s); }
  protected override outShape(_OH: number, OW: number, C: number): number[] { return [OW, C]; }
  override config(): Record<string, unknown> { return config1d(this); }
}

export class AvgPool2D extends Pool2D {
  readonly type: string = 'avgPool2d';
  readonly countIncludePad: boolean;
  constructor(opts: Pool2DOptions & { countIncludePad?: boolean }) { super(opts); this.countIncludePad = opts.countIncludePad ?? false; }
  forward(c: Ctx, { x, y }: IO): void {
    c.emit('avgpool2d_fwd', { y, x, ...this.dims, N: c.batch, countIncludePad: this.countIncludePad ? 1 : 0 });
  }
  backward(c: Ctx, { dx, dy }: IO): void {
    if (dx === undefined || dy === undefined) return;
    c.emit('avgpool2d_bwd', { dx, dy, ...this.dims, N: c.batch, countIncludePad: this.countIncludePad ? 1 : 0 });
  }
  override config(): Record<string, unknown> { return { ...super.config(), countIncludePad: this.countIncludePad }; }
}

/** Average pooling over (steps, channels). */
export class AvgPool1D extends AvgPool2D {
  override readonly type: string = 'avgPool1d';
  constructor(opts: Pool1DOptions & { countIncludePad?: boolean } = {}) { super({ ...pool1d(opts), countIncludePad: opts.countIncludePad }); }
  protected override hwc(s: number[]): [number, number, number] { return steps(this.name, s); }
  protected override outShape(_OH: number, OW: number, C: number): number[] { return [OW, C]; }
  override config(): Record<string, unknown> { return { ...config1d(this), countIncludePad: this.countIncludePad }; }
}

/** Mean over all spatial positions: (H, W, C) → (C). */
export class GlobalAveragePooling2D extends Layer {
  readonly type = 'globalAveragePooling2d';
  constructor(opts: { name?: string } = {}) { super(); if (opts.name) this.name = opts.name; }
  build(s: number[]): number[] {
    if (s.length < 2) throw new AxonError('BAD_SHAPE', `${this.name}: expects [height, width, channels] (or [steps, channels]) per sample, got [${s}]`);
    this.inputShape = s;
    return (this.outputShape = [s[s.length - 1]]);
  }
  private d(c: Ctx) { const C = this.outputShape[0]; return { N: c.batch, HW: size(this.inputShape) / C, C }; }
  forward(c: Ctx, { x, y }: IO): void { c.emit('global_avgpool_fwd', { y, x, ...this.d(c) }); }
  backward(c: Ctx, { dx, dy }: IO): void { if (dx !== undefined && dy !== undefined) c.emit('global_avgpool_bwd', { dx, dy, ...this.d(c) }); }
  config(): Record<string, unknown> { return {}; }
}

export class ZeroPadding2D extends Layer {
  readonly type: string = 'zeroPadding2d';
  readonly pads: [number, number, number, number];
  constructor(opts: { padding?: number | [number, number] | [number, number, number, number]; name?: string } = {}) {
    super();
    const p = opts.padding ?? 1;
    this.pads = typeof p === 'number' ? [p, p, p, p] : p.length === 2 ? [p[0], p[1], p[0], p[1]] : p;
    if (!this.pads.every((v) => Number.isInteger(v) && v >= 0)) throw new AxonError('BAD_CONFIG', `ZeroPadding2D: padding must be non-negative integers, got ${JSON.stringify(p)}`);
    if (opts.name) this.name = opts.name;
  }
  build(s: number[]): number[] {
    if (s.length !== 3) throw new AxonError('BAD_SHAPE', `${this.name}: expects [height, width, channels] per sample, got [${s}]`);
    const [t, l, b, r] = this.pads;
    this.inputShape = s;
    return (this.outputShape = [s[0] + t + b, s[1] + l + r, s[2]]);
  }
  private d(c: Ctx) { const [padT, padL, padB, padR] = this.pads; const [H, W, C] = this.inputShape; return { N: c.batch, H, W, C, padT, padL, padB, padR }; }
  forward(c: Ctx, { x, y }: IO): void { c.emit('zeropad2d_fwd', { y, x, ...this.d(c) }); }
  backward(c: Ctx, { dx, dy }: IO): void { if (dx !== undefined && dy !== undefined) c.emit('zeropad2d_bwd', { dx, dy, ...this.d(c) }); }
  config(): Record<string, unknown> { return { padding: this.pads }; }
}
