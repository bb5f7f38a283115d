// Embedding: i32 ids → rows of a (inputDim, outputDim) table (PyTorch's nn.Embedding weight, Keras'
// Embedding embeddings). Any per-sample id shape [...] gives [..., outputDim]. Backward scatter-adds
// the output gradient into the table's gradient (assembly/kernels/embed.ts); ids never get one.
// paddingIdx: as PyTorch's padding_idx, that row gets no gradient (initialized to zeros).
// The model checks every id against [0, inputDim) before a plan runs (Layer.intInput).
import { AxonError } from '../errors.js';
import { Init } from './init.js';
import { Ctx, IO, Layer, Regularizer, size } from './layer.js';
import { registerLayerTypes } from './families.js';

export interface EmbeddingOptions {
  /** vocabulary size: ids are in [0, inputDim) */
  inputDim: number;
  /** vector length */
  outputDim: number;
  /** an id whose row is kept at zero and gets no gradient (PyTorch padding_idx) */
  paddingIdx?: number;
  /** default randomNormal with std 1 (PyTorch's N(0, 1)) */
  embeddingsInitializer?: Init;
  embeddingsRegularizer?: Regularizer;
  name?: string;
  trainable?: boolean;
}

export class Embedding extends Layer {
  readonly type = 'embedding';
  readonly inputDim: number;
  readonly outputDim: number;
  readonly paddingIdx?: number;
  private readonly opts: EmbeddingOptions;
  constructor(opts: EmbeddingOptions) {
    super();
    const who = opts.name ?? 'embedding';
    for (const k of ['inputDim', 'outputDim'] as const) if (!Number.isInteger(opts[k]) || opts[k] <= 0) throw new AxonError('BAD_CONFIG', `${who}: ${k} must be a positive integer, got ${opts[k]}`);
    if (opts.paddingIdx !== undefined && !(Number.isInteger(opts.paddingIdx) && opts.paddingIdx >= 0 && opts.paddingIdx < opts.inputDim))
      throw new AxonError('BAD_CONFIG', `${who}: paddingIdx must be an id in [0, ${opts.inputDim}), got ${opts.paddingIdx}`);
    this.opts = opts;
    this.inputDim = opts.inputDim;
    this.outputDim = opts.outputDim;
    this.paddingIdx = opts.paddingIdx;
    this.regularizer = opts.embeddingsRegularizer;
    if (opts.name) this.name = opts.name;
    if (opts.trainable === false) this.trainable = false;
  }

  override intInput(k: number): [number, number] | undefined { return k === 0 ? [0, this.inputDim - 1] : undefined; }

  build(inputShape: number[]): number[] {
    this.inputShape = inputShape;
    this.params = [{ name: 'weight', shape: [this.inputDim, this.outputDim], init: this.opts.embeddingsInitializer ?? { type: 'randomNormal', std: 1 }, fans: { fanIn: this.inputDim, fanOut: this.outputDim }, trainable: true, regularize: true,
      ...(this.paddingIdx !== undefined ? { afterInit: (w: Float32Array) => w.fill(0, this.paddingIdx! * this.outputDim, (this.paddingIdx! + 1) * this.outputDim) } : {}) }];
    return (this.outputShape = [...inputShape, this.outputDim]);
  }

  forward(c: Ctx, { x, y }: IO): void {
    c.emit('gather_rows', { y, x: c.param('weight'), idx: x, rows: c.batch * size(this.inputShape), cols: this.outputDim, xrows: this.inputDim });
  }

  backward(c: Ctx, { x, dy }: IO): void {
    const dw = c.grad('weight');
    if (dw === undefined || dy === undefined) return;
    c.emit('scatter_add_rows', { dw, dy, ids: x, R: c.batch * size(this.inputShape), D: this.outputDim, V: this.inputDim, skip: this.paddingIdx ?? this.inputDim });
  }

  config(): Record<string, unknown> {
    const { embeddingsInitializer, embeddingsRegularizer } = this.opts;
    return { inputDim: this.inputDim, outputDim: this.outputDim, ...(this.paddingIdx !== undefined ? { paddingIdx: this.paddingIdx } : {}),
      ...(embeddingsInitializer ? { embeddingsInitializer } : {}), ...(embeddingsRegularizer ? { embeddingsRegularizer } : {}) };
  }
}

registerLayerTypes({ embedding: (c) => new Embedding(c as unknown as EmbeddingOptions) });   // (families.ts)
