// Embedding: i32 ids → rows of a trainable (vocab, dim) table, as Keras' Embedding / torch's
// nn.Embedding. The input is an i32 model input (token ids, categories) of any per-sample shape;
// the output appends `dim`. Forward gathers rows (gather_rows), backward scatter-adds dy into the
// table's gradient in row order (scatter_add_rows). Ids are checked against [0, vocab) when fed
// (the input's range is narrowed to it); the kernels also skip an id outside it (zeros, no gradient).
import { AxonError } from '../errors.js';
import { Init } from './init.js';
import { Ctx, IO, Layer, size } from './layer.js';

export interface EmbeddingOptions { inputDim: number; outputDim: number; embeddingsInitializer?: Init; name?: string; trainable?: boolean }

export class Embedding extends Layer {
  readonly type = 'embedding';
  readonly inputDim: number;
  readonly outputDim: number;
  private readonly init: Init;
  constructor(opts: EmbeddingOptions) {
    super();
    for (const k of ['inputDim', 'outputDim'] as const) if (!Number.isInteger(opts[k]) || opts[k] < 1) throw new AxonError('BAD_CONFIG', `Embedding: ${k} must be a positive integer, got ${opts[k]}`);
    this.inputDim = opts.inputDim;
    this.outputDim = opts.outputDim;
    this.init = opts.embeddingsInitializer ?? 'randomUniform';
    if (opts.name) this.name = opts.name;
    if (opts.trainable === false) this.trainable = false;
  }

  build(inputShape: number[]): number[] {
    this.inputShape = inputShape;
    this.params = [{ name: 'weight', shape: [this.inputDim, this.outputDim], init: this.init, fans: { fanIn: this.inputDim, fanOut: this.outputDim }, trainable: true, regularize: true }];
    return (this.outputShape = [...inputShape, this.outputDim]);
  }

  override intInput(k: number): [number, number] | undefined { return k === 0 ? [0, this.inputDim - 1] : undefined; }

  private dims(c: Ctx) { return { rows: c.batch * size(this.inputShape), cols: this.outputDim, xrows: this.inputDim }; }
  forward(c: Ctx, { x, y }: IO): void { c.emit('gather_rows', { y, x: c.param('weight'), idx: x, ...this.dims(c) }, this.name); }
  backward(c: Ctx, { x, dy }: IO): void {
    const dw = c.grad('weight');
    if (dy !== undefined && dw !== undefined) c.emit('scatter_add_rows', { dw, dy, idx: x, ...this.dims(c) }, this.name);
  }
  config(): Record<string, unknown> { return { inputDim: this.inputDim, outputDim: this.outputDim, ...(typeof this.init === 'string' && this.init === 'randomUniform' ? {} : { embeddingsInitializer: this.init }) }; }
}
