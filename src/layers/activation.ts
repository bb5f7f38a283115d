// Activation layers: elementwise (relu, leakyRelu, sigmoid, tanh, relu6, hardSigmoid, hardSwish,
// elu, selu, gelu (erf form), geluTanh (tanh approximation), swish = silu) and per-row over the
// last axis (softmax, logSoftmax). Backward uses the saved input (relu, mobile and smooth
// families) or output (the rest).
import { AxonError } from '../errors.js';
import { Ctx, IO, Layer, size } from './layer.js';

export type ActivationName = 'linear' | 'relu' | 'leakyRelu' | 'sigmoid' | 'tanh' | 'softmax' | 'logSoftmax' | 'relu6' | 'hardSigmoid' | 'hardSwish'
  | 'elu' | 'selu' | 'gelu' | 'geluTanh' | 'swish';
export const ACTIVATIONS: readonly ActivationName[] = ['linear', 'relu', 'leakyRelu', 'sigmoid', 'tanh', 'softmax', 'logSoftmax', 'relu6', 'hardSigmoid', 'hardSwish', 'elu', 'selu', 'gelu', 'geluTanh', 'swish'];
/** Other spellings accepted for an activation (PyTorch's name for swish). */
const ALIASES: Record<string, ActivationName> = { silu: 'swish' };
/** SELU's constants (Klambauer et al. 2017), as PyTorch and Keras use them. */
export const SELU_ALPHA = 1.6732632423543772, SELU_SCALE = 1.0507009873554805;
/** Mobile activations (PyTorch definitions): elementwise kernels with the input saved for backward. */
const MOBILE: Partial<Record<ActivationName, string>> = { relu6: 'relu6', hardSigmoid: 'hardsigmoid', hardSwish: 'hardswish' };

export interface ActivationOptions { activation: ActivationName | 'silu'; /** leakyRelu's slope (0.01), elu's alpha (1) */ alpha?: number; name?: string }

export class Activation extends Layer {
  readonly type = 'activation';
  readonly activation: ActivationName;
  readonly alpha: number;
  constructor(opts: ActivationOptions) {
    super();
    const a = ALIASES[opts.activation] ?? opts.activation;
    if (!ACTIVATIONS.includes(a as ActivationName)) throw new AxonError('BAD_CONFIG', `unknown activation "${opts.activation}"; use one of ${ACTIVATIONS.join(', ')}`);
    this.activation = a as ActivationName;
    this.alpha = opts.alpha ?? (a === 'leakyRelu' ? 0.01 : a === 'elu' ? 1 : 0);
    if (!Number.isFinite(this.alpha)) throw new AxonError('BAD_CONFIG', `activation "${a}": alpha must be a finite number, got ${opts.alpha}`);
    if (opts.name) this.name = opts.name;
  }
  build(inputShape: number[]): number[] {
    this.inputShape = inputShape;
    return (this.outputShape = inputShape);
  }
  override get aliasesInput(): boolean { return this.activation === 'linear'; }

  forward(c: Ctx, { x, y, dx }: IO): void {
    const n = c.batch * size(this.inputShape), cols = this.inputShape[this.inputShape.length - 1], rows = n / cols;
    if (this.savesDerivative(c, dx)) { c.emit('gelu_train_fwd', { y, d: c.aux('dgelu', 'f32', size(this.inputShape)), x, n }, this.name); return; }
    switch (this.activation) {
      case 'linear': return;
      case 'relu6': case 'hardSigmoid': case 'hardSwish': c.emit(`${MOBILE[this.activation]}_fwd`, { y, x, n }, this.name); return;
      case 'relu': case 'leakyRelu': c.emit('leaky_relu_fwd', { y, x, n, alpha: this.alpha }, this.name); return;
      case 'elu': case 'selu': c.emit('elu_fwd', { y, x, n, ...this.elu() }, this.name); return;
      case 'gelu': case 'geluTanh': c.emit('gelu_fwd', { y, x, n, approx: this.activation === 'geluTanh' ? 1 : 0 }, this.name); return;
      case 'swish': c.emit('silu_fwd', { y, x, n }, this.name); return;
      case 'sigmoid': c.emit('sigmoid_fwd', { y, x, n }, this.name); return;
      case 'tanh': c.emit('tanh_fwd', { y, x, n }, this.name); return;
      case 'softmax': c.emit('softmax_fwd', { y, x, rows, cols }, this.name); return;
      case 'logSoftmax': c.emit('log_softmax_fwd', { y, x, rows, cols }, this.name); return;
    }
  }

  /** GELU (erf form) in a plan that runs its backward: the forward writes the derivative, the backward multiplies by it. */
  private savesDerivative(c: Ctx, dx: unknown): boolean { return this.activation === 'gelu' && c.training && dx !== undefined; }

  backward(c: Ctx, { x, y, dx, dy }: IO): void {
    if (dx === undefined || dy === undefined) return;
    const n = c.batch * size(this.inputShape), cols = this.inputShape[this.inputShape.length - 1], rows = n / cols;
    if (this.savesDerivative(c, dx)) { c.emit('dropout_bwd', { dx, dy, mask: c.aux('dgelu', 'f32', size(this.inputShape)), n }, this.name); return; }   // dx += dy * d
    switch (this.activation) {
      case 'linear': return;
      case 'relu6': case 'hardSigmoid': case 'hardSwish': c.emit(`${MOBILE[this.activation]}_bwd`, { dx, dy, x, n }, this.name); return;
      case 'relu': case 'leakyRelu': c.emit('leaky_relu_bwd', { dx, dy, x, n, alpha: this.alpha }, this.name); return;
      case 'elu': case 'selu': c.emit('elu_bwd', { dx, dy, x, n, ...this.elu() }, this.name); return;
      case 'gelu': case 'geluTanh': c.emit('gelu_bwd', { dx, dy, x, n, approx: this.activation === 'geluTanh' ? 1 : 0 }, this.name); return;
      case 'swish': c.emit('silu_bwd', { dx, dy, x, n }, this.name); return;
      case 'sigmoid': c.emit('sigmoid_bwd', { dx, dy, y, n }, this.name); return;
      case 'tanh': c.emit('tanh_bwd', { dx, dy, y, n }, this.name); return;
      case 'softmax': c.emit('softmax_bwd', { dx, dy, y, rows, cols }, this.name); return;
      case 'logSoftmax': c.emit('log_softmax_bwd', { dx, dy, y, rows, cols }, this.name); return;
    }
  }

  private elu(): { alpha: number; scale: number } {
    return this.activation === 'selu' ? { alpha: SELU_ALPHA, scale: SELU_SCALE } : { alpha: this.alpha, scale: 1 };
  }

  config(): Record<string, unknown> {
    return this.activation === 'leakyRelu' || this.activation === 'elu' ? { activation: this.activation, alpha: this.alpha } : { activation: this.activation };
  }
}
