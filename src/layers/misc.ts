// Shape and regularization layers with no parameters: Flatten, Dropout (inverted, seeded).
import { AxonError } from '../errors.js';
import { Ctx, IO, Layer, size } from './layer.js';

/** Same data, new per-sample shape (one dimension may be -1). */
export class Reshape extends Layer {
  readonly type = 'reshape';
  readonly targetShape: number[];
  constructor(opts: { targetShape: number[]; name?: string }) { super(); this.targetShape = opts.targetShape; if (opts.name) this.name = opts.name; }
  build(inputShape: number[]): number[] {
    const n = size(inputShape), known = this.targetShape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const shape = this.targetShape.map((d) => (d === -1 ? n / known : d));
    if (size(shape) !== n || !shape.every((d) => Number.isInteger(d) && d > 0)) throw new AxonError('BAD_SHAPE', `${this.name}: cannot reshape [${inputShape}] (${n} values) to [${this.targetShape}]`);
    this.inputShape = inputShape;
    return (this.outputShape = shape);
  }
  override get aliasesInput(): boolean { return true; }
  forward(): void {}
  backward(): void {}
  config(): Record<string, unknown> { return { targetShape: this.targetShape }; }
}

export class Flatten extends Layer {
  readonly type = 'flatten';
  constructor(opts: { name?: string } = {}) { super(); if (opts.name) this.name = opts.name; }
  build(inputShape: number[]): number[] { this.inputShape = inputShape; return (this.outputShape = [size(inputShape)]); }
  override get aliasesInput(): boolean { return true; }
  forward(): void {}
  backward(): void {}
  config(): Record<string, unknown> { return {}; }
}

/**
 * Inverted dropout: in training, zeroes each value with probability `rate` and scales the rest by
 * 1/(1-rate); identity at inference. The mask comes from the model's seeded PRNG inside wasm.
 */
export class Dropout extends Layer {
  readonly type = 'dropout';
  readonly rate: number;
  constructor(opts: { rate: number; name?: string }) {
    super();
    if (!(opts.rate >= 0 && opts.rate < 1)) throw new AxonError('BAD_CONFIG', `Dropout: rate must be in [0, 1), got ${opts.rate}`);
    this.rate = opts.rate;
    if (opts.name) this.name = opts.name;
  }
  build(inputShape: number[]): number[] { this.inputShape = inputShape; return (this.outputShape = inputShape); }
  forward(c: Ctx, { x, y }: IO): void {
    const n = c.batch * size(this.inputShape);
    if (c.training && this.rate > 0) {
      c.emit('dropout_fwd', { y, mask: c.aux('mask', 'f32', size(this.inputShape)), x, state: c.rngState(), n, p: this.rate }, this.name);
    } else {
      c.emit('copy', { y, x, n }, this.name);
    }
  }
  backward(c: Ctx, { dx, dy }: IO): void {
    if (dx === undefined || dy === undefined) return;
    const n = c.batch * size(this.inputShape);
    if (this.rate > 0) c.emit('dropout_bwd', { dx, dy, mask: c.aux('mask', 'f32', size(this.inputShape)), n }, this.name);
    else c.emit('axpy', { y: dx, x: dy, a: 1, n }, this.name);
  }
  config(): Record<string, unknown> { return { rate: this.rate }; }
}
