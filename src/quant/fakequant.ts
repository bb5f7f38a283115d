// Dynamic fake quantization: f32 in, f32 out, each value snapped to the int8 grid of its batch
// (qs8_quantize_dynamic: scale = (max - min) / 255 over the batch, range widened to hold 0, then
// qs8_dequantize with the same parameters). It is exactly ONNX DynamicQuantizeLinear followed by
// a dequantization (uint8 there: the same grid, zero point shifted by 128), so an f32 layer after
// it computes what an integer MatMulInteger / ConvInteger computes, up to f32 rounding. The ONNX
// importer uses it where weights do not fit Axon's symmetric int8 scheme.
import { Ctx, IO, size } from '../layers/layer.js';
import { QLayer } from './layers.js';

export class FakeQuantDynamic extends QLayer {
  readonly type = 'fakeQuantDynamic';
  override get perCall(): boolean { return true; }
  constructor(opts: { name?: string } = {}) { super(opts.name); }
  build(s: number[]): number[] { this.inputShape = s; return (this.outputShape = s); }
  forward(c: Ctx, { x, y }: IO): void {
    const n = c.batch * size(this.inputShape), xq = c.aux('xq', 'i8', size(this.inputShape)), qp = c.fixed('qp', 'i32', 2);
    c.emit('qs8_quantize_dynamic', { y: xq, qp, x, n });
    c.emit('qs8_dequantize', { y, x: xq, qp, n });
  }
  config(): Record<string, unknown> { return {}; }
}
