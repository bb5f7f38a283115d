// Cast: an i32 input (an integer mask or ids, e.g. an ONNX int64 graph input) read as f32 values.
// No gradient flows back (integers are not trained through).
import { Ctx, IO, Layer, size } from './layer.js';

const I32: [number, number] = [-(2 ** 31), 2 ** 31 - 1];

export class Cast extends Layer {
  readonly type = 'cast';
  constructor(opts: { name?: string } = {}) { super(); if (opts.name) this.name = opts.name; }
  build(inputShape: number[]): number[] { this.inputShape = inputShape; return (this.outputShape = inputShape); }
  override intInput(k: number): [number, number] | undefined { return k === 0 ? I32 : undefined; }
  forward(c: Ctx, { x, y }: IO): void { c.emit('i32_to_f32', { y, x, n: c.batch * size(this.inputShape) }, this.name); }
  backward(): void {}
  config(): Record<string, unknown> { return {}; }
}
