// Dense (fully connected): y = x W^T + b with W stored (units, inputs) as in PyTorch, on the last
// axis (Keras' Dense, PyTorch's Linear): a per-sample [..., inputs] gives [..., units] (tokens × features).
// A perceptron is Dense(1) with a sigmoid. An `activation` option splits into Dense + Activation
// at compile time (units()), so the loss can fuse with a final softmax/sigmoid.
import { AxonError } from '../errors.js';
import { Activation, ActivationName } from './activation.js';
import { Init } from './init.js';
import type { Buf } from '../compile/plan.js';
import { Ctx, IO, Layer, Regularizer, size } from './layer.js';

export interface DenseOptions {
  units: number;
  activation?: ActivationName;
  useBias?: boolean;
  kernelInitializer?: Init;
  biasInitializer?: Init;
  kernelRegularizer?: Regularizer;
  name?: string;
  trainable?: boolean;
}

export class Dense extends Layer {
  readonly type = 'dense';
  readonly units: number;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  private readonly opts: DenseOptions;
  constructor(opts: DenseOptions) {
    super();
    if (!Number.isInteger(opts.units) || opts.units <= 0) throw new AxonError('BAD_CONFIG', `Dense: units must be a positive integer, got ${opts.units}`);
    this.opts = opts;
    this.units = opts.units;
    this.activation = opts.activation ?? 'linear';
    this.useBias = opts.useBias ?? true;
    this.regularizer = opts.kernelRegularizer;
    if (opts.name) this.name = opts.name;
    if (opts.trainable === false) this.trainable = false;
  }

  build(inputShape: number[]): number[] {
    if (inputShape.length < 1) throw new AxonError('BAD_SHAPE', `${this.name}: Dense needs an input with at least one axis, got shape [${inputShape}]`);
    const inputs = inputShape[inputShape.length - 1];
    this.inputShape = inputShape;
    this.params = [{ name: 'weight', shape: [this.units, inputs], init: this.opts.kernelInitializer ?? 'glorotUniform', fans: { fanIn: inputs, fanOut: this.units }, trainable: true, regularize: true }];
    if (this.useBias) this.params.push({ name: 'bias', shape: [this.units], init: this.opts.biasInitializer ?? 'zeros', fans: { fanIn: inputs, fanOut: this.units }, trainable: true, regularize: false });
    return (this.outputShape = [...inputShape.slice(0, -1), this.units]);
  }

  override expand(): Layer[] {
    if (this.activation === 'linear') return [this];
    const act = new Activation({ activation: this.activation, name: `${this.name}/${this.activation}` });
    return [this, act];
  }

  /** rows: samples × leading positions */
  private rows(c: Ctx): number { return c.batch * (size(this.inputShape) / this.inputShape[this.inputShape.length - 1]); }

  forward(c: Ctx, { x, y }: IO): void {
    linearForward(c, y, x, c.param('weight'), this.useBias ? c.param('bias') : undefined, this.rows(c), this.units, this.inputShape[this.inputShape.length - 1]);
  }

  backward(c: Ctx, { x, dx, dy }: IO): void {
    if (dy === undefined) return;
    const grads = { dw: c.grad('weight'), db: this.useBias ? c.grad('bias') : undefined, dx };
    linearBackward(c, dy, x, c.param('weight'), grads, this.rows(c), this.units, this.inputShape[this.inputShape.length - 1]);
  }

  config(): Record<string, unknown> {
    const { units, activation, useBias } = this;
    return { units, activation, useBias, ...(this.regularizer ? { kernelRegularizer: this.regularizer } : {}) };
  }
}

/** y (M, N) = x (M, K) · Wᵀ (+ b): W (N, K) as PyTorch stores it (Dense, attention projections). */
export function linearForward(c: Ctx, y: Buf, x: Buf, w: Buf, b: Buf | undefined, M: number, N: number, K: number): void {
  if (b === undefined) c.emit('gemm', { c: y, a: x, b: w, scratch: c.gemmScratch(M, N, K), M, N, K, transA: 0, transB: 1, accumulate: 0 });
  else c.emit('gemm_bias_act', { c: y, a: x, b: w, bias: b, scratch: c.gemmScratch(M, N, K), M, N, K, transA: 0, transB: 1, act: 0, alpha: 0 });
}

/** Accumulates dW (N, K) += dyᵀ · x, db += Σ dy, dx (M, K) += dy · W, each where a buffer is given. */
export function linearBackward(c: Ctx, dy: Buf, x: Buf, w: Buf, g: { dw?: Buf; db?: Buf; dx?: Buf }, M: number, N: number, K: number): void {
  if (g.dw !== undefined) c.emit('gemm', { c: g.dw, a: dy, b: x, scratch: c.gemmScratch(N, K, M), M: N, N: K, K: M, transA: 1, transB: 0, accumulate: 1 });
  if (g.db !== undefined) c.emit('bias_grad', { db: g.db, dy, M, N });
  if (g.dx !== undefined) c.emit('gemm', { c: g.dx, a: dy, b: w, scratch: c.gemmScratch(M, K, N), M, N: K, K: N, transA: 0, transB: 0, accumulate: 1 });
}
