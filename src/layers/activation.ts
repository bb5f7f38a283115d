// Activation layers: elementwise (relu, leakyRelu, sigmoid, tanh) and per-row over the last
// axis (softmax, logSoftmax). Backward uses the saved input (relu family) or output (the rest).
import { AxonError } from '../errors.js';
import { Ctx, IO, Layer, size } from './layer.js';

export type ActivationName = 'linear' | 'relu' | 'leakyRelu' | 'sigmoid' | 'tanh' | 'softmax' | 'logSoftmax' | 'relu6' | 'hardSigmoid' | 'hardSwish';
export const ACTIVATIONS: readonly ActivationName[] = ['linear', 'relu', 'leakyRelu', 'sigmoid', 'tanh', 'softmax', 'logSoftmax', 'relu6', 'hardSigmoid', 'hardSwish'];
/** Mobile activations (PyTorch definitions): elementwise kernels with the input saved for backward. */
const MOBILE: Partial<Record<ActivationName, string>> = { relu6: 'relu6', hardSigmoid: 'hardsigmoid', hardSwish: 'hardswish' };

export interface ActivationOptions { activation: ActivationName; alpha?: number; name?: string }

export class Activation extends Layer {
  readonly type = 'activation';
  readonly activation: ActivationName;
  readonly alpha: number;
  constructor(opts: ActivationOptions) {
    super();
    if (!ACTIVATIONS.includes(opts.activation)) throw new AxonError('BAD_CONFIG', `unknown activation "${opts.activation}"; use one of ${ACTIVATIONS.join(', ')}`);
    this.activation = opts.activation;
    this.alpha = opts.alpha ?? (opts.activation === 'leakyRelu' ? 0.01 : 0);
    if (opts.name) this.name = opts.name;
  }
  build(inputShape: number[]): number[] {
    this.inputShape = inputShape;
    return (this.outputShape = inputShape);
  }
  override get aliasesInput(): boolean { return this.activation === 'linear'; }

  forward(c: Ctx, { x, y }: IO): void {
    const n = c.batch * size(this.inputShape), cols = this.inputShape[this.inputShape.length - 1], rows = n / cols;
    switch (this.activation) {
      case 'linear': return;
      case 'relu6': case 'hardSigmoid': case 'hardSwish': c.emit(`${MOBILE[this.activation]}_fwd`, { y, x, n }, this.name); return;
      case 'relu': case 'leakyRelu': c.emit('leaky_relu_fwd', { y, x, n, alpha: this.alpha }, this.name); return;
      case 'sigmoid': c.emit('sigmoid_fwd', { y, x, n }, this.name); return;
      case 'tanh': c.emit('tanh_fwd', { y, x, n }, this.name); return;
      case 'softmax': c.emit('softmax_fwd', { y, x, rows, cols }, this.name); return;
      case 'logSoftmax': c.emit('log_softmax_fwd', { y, x, rows, cols }, this.name); return;
    }
  }

  backward(c: Ctx, { x, y, dx, dy }: IO): void {
    if (dx === undefined || dy === undefined) return;
    const n = c.batch * size(this.inputShape), cols = this.inputShape[this.inputShape.length - 1], rows = n / cols;
    switch (this.activation) {
      case 'linear': return;
      case 'relu6': case 'hardSigmoid': case 'hardSwish': c.emit(`${MOBILE[this.activation]}_bwd`, { dx, dy, x, n }, this.name); return;
      case 'relu': case 'leakyRelu': c.emit('leaky_relu_bwd', { dx, dy, x, n, alpha: this.alpha }, this.name); return;
      case 'sigmoid': c.emit('sigmoid_bwd', { dx, dy, y, n }, this.name); return;
      case 'tanh': c.emit('tanh_bwd', { dx, dy, y, n }, this.name); return;
      case 'softmax': c.emit('softmax_bwd', { dx, dy, y, rows, cols }, this.name); return;
      case 'logSoftmax': c.emit('log_softmax_bwd', { dx, dy, y, rows, cols }, this.name); return;
    }
  }

  config(): Record<string, unknown> {
    return this.activation === 'leakyRelu' ? { activation: this.activation, alpha: this.alpha } : { activation: this.activation };
  }
}
