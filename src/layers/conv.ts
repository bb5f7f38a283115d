// Convolutions, channels last (NHWC activations, HWIO weights: see assembly/kernels/conv.ts for
// why). Conv2D with stride, 'valid' / 'same' (TensorFlow's split: the extra pixel goes bottom/right)
// or explicit asymmetric padding [top, left, bottom, right], dilation and groups; DepthwiseConv2D is
// Conv2D with groups = C; Conv1D runs Conv2D on (1, T, C).
import { AxonError } from '../errors.js';
import { ActivationName, Activation } from './activation.js';
import { Init } from './init.js';
import { Ctx, IO, Layer, Regularizer } from './layer.js';
import { conv2dScratchFloats, convOut, opByName, Dims } from '../ops.js';
import { MAX_WINDOW_EXTENT } from '../op_args.js';

export type Padding = 'valid' | 'same' | [number, number, number, number];
export interface Conv2DOptions {
  filters: number;
  kernelSize: number | [number, number];
  strides?: number | [number, number];
  padding?: Padding;
  dilationRate?: number | [number, number];
  groups?: number;
  activation?: ActivationName;
  useBias?: boolean;
  kernelInitializer?: Init;
  biasInitializer?: Init;
  kernelRegularizer?: Regularizer;
  name?: string;
  trainable?: boolean;
}

/** A number or [h, w] (undefined/null: [d, d]); anything else (e.g. from a damaged file) is a BAD_CONFIG naming `who`. */
export function pair(v: unknown, d: number, who = 'layer'): [number, number] {
  if (v === undefined || v === null) return [d, d];
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every((k) => typeof k === 'number')) return v as [number, number];
  throw new AxonError('BAD_CONFIG', `${who}: kernel sizes, strides and dilations must be a number or [h, w], got ${JSON.stringify(v)?.slice(0, 40)}`);
}

/** Explicit [top, left, bottom, right] pads for a window over an H x W input. */
export function resolvePadding(p: Padding, H: number, W: number, k: [number, number], s: [number, number], dil: [number, number], who: string): [number, number, number, number] {
  if (Array.isArray(p)) {
    if (p.length !== 4 || !p.every((v) => Number.isInteger(v) && v >= 0)) throw new AxonError('BAD_CONFIG', `${who}: padding must be 'valid', 'same' or [top, left, bottom, right] non-negative integers, got ${JSON.stringify(p)}`);
    return p;
  }
  if (p === 'valid') return [0, 0, 0, 0];
  if (p !== 'same') throw new AxonError('BAD_CONFIG', `${who}: padding must be 'valid', 'same' or [top, left, bottom, right], got ${JSON.stringify(p)}`);
  const total = (n: number, i: 0 | 1) => Math.max((Math.ceil(n / s[i]) - 1) * s[i] + dil[i] * (k[i] - 1) + 1 - n, 0);
  const th = total(H, 0), tw = total(W, 1);
  return [Math.floor(th / 2), Math.floor(tw / 2), th - Math.floor(th / 2), tw - Math.floor(tw / 2)];
}

/** Checks the options Conv2D and Conv2DTranspose share and sets them (and name, trainable, regularizer) on `l`. */
export function setConvOptions(l: ConvLayer, opts: Conv2DOptions, who: string): void {
  const pos = (v: number) => Number.isInteger(v) && v >= 1;
  const o = {
    kernel: pair(opts.kernelSize, 1, who), strides: pair(opts.strides, 1, who), dilation: pair(opts.dilationRate, 1, who), filters: opts.filters, groups: opts.groups ?? 1,
    padding: opts.padding ?? 'valid', activation: opts.activation ?? 'linear', useBias: opts.useBias ?? true, regularizer: opts.kernelRegularizer,
  };
  const bad = !pos(o.filters) ? `filters ${opts.filters}` : ![...o.kernel, ...o.strides, ...o.dilation, o.groups].every(pos) ? 'kernelSize, strides, dilationRate and groups' : null;
  if (bad) throw new AxonError('BAD_CONFIG', `${opts.name || who}: ${bad} must be positive integers`);
  Object.assign(l, o);
  if (opts.name) l.name = opts.name;
  if (opts.trainable === false) l.trainable = false;
}

/** The options every 2-D convolution holds (set by setConvOptions): Conv2D and its kin, Conv2DTranspose. */
export abstract class ConvLayer extends Layer {
  readonly filters!: number;
  readonly kernel!: [number, number];
  readonly strides!: [number, number];
  readonly dilation!: [number, number];
  readonly padding!: Padding;
  readonly groups!: number;
  readonly activation!: ActivationName;
  readonly useBias!: boolean;
}

export class Conv2D extends ConvLayer {
  readonly type: string = 'conv2d';
  protected readonly opts: Conv2DOptions;
  protected dims!: Dims;

  constructor(opts: Conv2DOptions) {
    super();
    this.opts = opts;
    setConvOptions(this, opts, 'Conv2D');
  }

  /** Per-sample (H, W, C) of the convolution's input (Conv1D overrides). */
  protected hwc(inputShape: number[]): [number, number, number] {
    if (inputShape.length !== 3) throw new AxonError('BAD_SHAPE', `${this.name}: Conv2D expects inputs of shape [height, width, channels] per sample, got [${inputShape}]`);
    return inputShape as [number, number, number];
  }

  build(inputShape: number[]): number[] {
    const [H, W, C] = this.hwc(inputShape);
    const g = this.groups;
    if (C % g || this.filters % g) throw new AxonError('BAD_SHAPE', `${this.name}: ${C} input channels and ${this.filters} filters must both be divisible by groups=${g}`);
    const [padT, padL, padB, padR] = resolvePadding(this.padding, H, W, this.kernel, this.strides, this.dilation, this.name);
    const [KH, KW] = this.kernel, [strideH, strideW] = this.strides, [dilH, dilW] = this.dilation;
    this.dims = { N: 1, H, W, C, OC: this.filters, KH, KW, strideH, strideW, padT, padL, padB, padR, dilH, dilW, groups: g };
    const eh = dilH * (KH - 1) + 1, ew = dilW * (KW - 1) + 1;
    const extent = opByName('conv2d_fwd').validate!(this.dims as unknown as Dims);
    if (extent && Math.max(eh, ew, H + padT + padB, W + padL + padR, strideH, strideW) > MAX_WINDOW_EXTENT) throw new AxonError('BAD_CONFIG', `${this.name}: ${extent}`);
    if (eh > H + padT + padB || ew > W + padL + padR)
      throw new AxonError('BAD_SHAPE', `${this.name}: kernel ${KH}x${KW} (dilation ${dilH}x${dilW}) is larger than the padded input ${H + padT + padB}x${W + padL + padR}; use padding 'same', a smaller kernel, or a larger input`);
    const { OH, OW } = convOut(this.dims);
    this.inputShape = inputShape;
    const fanIn = KH * KW * (C / g), fanOut = KH * KW * (this.filters / g);
    this.params = [{ name: 'weight', shape: [KH, KW, C / g, this.filters], init: this.opts.kernelInitializer ?? 'glorotUniform', fans: { fanIn, fanOut }, trainable: true, regularize: true }];
    if (this.useBias) this.params.push({ name: 'bias', shape: [this.filters], init: this.opts.biasInitializer ?? 'zeros', fans: { fanIn, fanOut }, trainable: true, regularize: false });
    return (this.outputShape = this.outShape(OH, OW));
  }

  protected outShape(OH: number, OW: number): number[] { return [OH, OW, this.filters]; }

  override expand(): Layer[] {
    return this.activation === 'linear' ? [this] : [this, new Activation({ activation: this.activation, name: `${this.name}/${this.activation}` })];
  }

  private args(c: Ctx) {
    const d = { ...this.dims, N: c.batch };
    return { d, scratch: c.scratch(conv2dScratchFloats(d)), rows: c.batch * this.outputShape.slice(0, -1).reduce((a, b) => a * b, 1) };
  }

  forward(c: Ctx, { x, y }: IO): void {
    const { d, scratch } = this.args(c);
    if (this.useBias) c.emit('conv2d_bias_fwd', { y, x, w: c.param('weight'), b: c.param('bias'), scratch, ...d });
    else c.emit('conv2d_fwd', { y, x, w: c.param('weight'), scratch, ...d });
  }

  backward(c: Ctx, { x, dx, dy }: IO): void {
    if (dy === undefined) return;
    const { d, scratch, rows } = this.args(c);
    // bias_grad first: right after the ReLU's backward, the two fuse (src/compile/fuse.ts)
    const db = this.useBias ? c.grad('bias') : undefined;
    if (db !== undefined) c.emit('bias_grad', { db, dy, M: rows, N: this.filters });
    const dw = c.grad('weight');
    if (dw !== undefined) c.emit('conv2d_bwd_w', { dw, dy, x, scratch, ...d });
    if (dx !== undefined) c.emit('conv2d_bwd_x', { dx, dy, w: c.param('weight'), scratch, ...d });
  }

  config(): Record<string, unknown> {
    const { filters, kernel, strides, padding, dilation, groups, activation, useBias } = this;
    return { filters, kernelSize: kernel, strides, padding, dilationRate: dilation, groups, activation, useBias, ...(this.regularizer ? { kernelRegularizer: this.regularizer } : {}) };
  }
}

export interface DepthwiseOptions extends Omit<Conv2DOptions, 'filters' | 'groups'> { depthMultiplier?: number }

/** One filter group per input channel (MobileNet's depthwise convolution). */
export class DepthwiseConv2D extends Conv2D {
  override readonly type: string = 'depthwiseConv2d';
  readonly depthMultiplier: number;
  constructor(opts: DepthwiseOptions) {
    super({ ...opts, filters: 1, groups: 1 });
    this.depthMultiplier = opts.depthMultiplier ?? 1;
  }
  override build(inputShape: number[]): number[] {
    const C = this.hwc(inputShape)[2];
    Object.assign(this, { filters: C * this.depthMultiplier, groups: C });
    return super.build(inputShape);
  }
  override config(): Record<string, unknown> {
    const { filters: _f, groups: _g, ...rest } = super.config();
    return { ...rest, depthMultiplier: this.depthMultiplier };
  }
}

export interface Conv1DOptions extends Omit<Conv2DOptions, 'kernelSize' | 'strides' | 'dilationRate' | 'padding'> {
  kernelSize: number; strides?: number; dilationRate?: number; padding?: 'valid' | 'same' | [number, number];
}

/** 1-D convolution over (steps, channels): Conv2D on (1, steps, channels). */
export class Conv1D extends Conv2D {
  override readonly type: string = 'conv1d';
  constructor(opts: Conv1DOptions) {
    const p = opts.padding;
    super({ ...opts, kernelSize: [1, opts.kernelSize], strides: [1, opts.strides ?? 1], dilationRate: [1, opts.dilationRate ?? 1], padding: Array.isArray(p) ? [0, p[0], 0, p[1]] : p });
  }
  protected override hwc(inputShape: number[]): [number, number, number] {
    if (inputShape.length !== 2) throw new AxonError('BAD_SHAPE', `${this.name}: Conv1D expects inputs of shape [steps, channels] per sample, got [${inputShape}]`);
    return [1, inputShape[0], inputShape[1]];
  }
  protected override outShape(_OH: number, OW: number): number[] { return [OW, this.filters]; }
  override config(): Record<string, unknown> {
    const c = super.config();
    const p = this.padding;
    return { ...c, kernelSize: this.kernel[1], strides: this.strides[1], dilationRate: this.dilation[1], padding: Array.isArray(p) ? [p[1], p[3]] : p };
  }
}
