// Layers for token sequences [T, D] per sample:
//   PositionEmbedding: y[t] = x[t] + P[t] with P learned (weight (maxLength, D), as BERT's position
//     embeddings) or the fixed sinusoidal table of "Attention Is All You Need" (sin on even
//     features, cos on odd, 10000^(2i/D)); T may be any length up to maxLength. With a second,
//     i32 input of position ids [T] (incremental decoding: a step's offset), y[t] = x[t] + P[pos[t]].
//   MaskedMeanPooling: the mean of the tokens whose mask (an i32 input [T], 0 = padding) is set:
//     a sentence vector [D] (Sentence-BERT's mean pooling). First-token (CLS) pooling is a Slice.
import { AxonError } from '../errors.js';
import { Ctx, IO, Layer, size } from './layer.js';
import { registerLayerTypes } from './families.js';

export interface PositionEmbeddingOptions { maxLength: number; kind?: 'learned' | 'sinusoidal'; name?: string; trainable?: boolean }

export class PositionEmbedding extends Layer {
  readonly type = 'positionEmbedding';
  readonly maxLength: number;
  readonly kind: 'learned' | 'sinusoidal';
  constructor(o: PositionEmbeddingOptions) {
    super();
    if (!Number.isInteger(o.maxLength) || o.maxLength < 1) throw new AxonError('BAD_CONFIG', `${o.name ?? 'positionEmbedding'}: maxLength must be a positive integer, got ${o.maxLength}`);
    if (o.kind !== undefined && o.kind !== 'learned' && o.kind !== 'sinusoidal') throw new AxonError('BAD_CONFIG', `${o.name ?? 'positionEmbedding'}: kind must be "learned" or "sinusoidal", got ${JSON.stringify(o.kind)}`);
    this.maxLength = o.maxLength;
    this.kind = o.kind ?? 'learned';
    if (o.name) this.name = o.name;
    if (o.trainable === false) this.trainable = false;
  }
  /** reads position ids as input 1 */
  hasPositions = false;
  override intInput(k: number): [number, number] | undefined { return k === 1 ? [0, this.maxLength - 1] : undefined; }
  override buildAll(shapes: number[][]): number[] {
    if (shapes.length > 2) throw new AxonError('BAD_CONFIG', `${this.name}: reads the sequence and optionally its position ids (1 or 2 inputs), got ${shapes.length}`);
    this.hasPositions = shapes.length === 2;
    if (this.hasPositions && (shapes[1].length !== 1 || shapes[1][0] !== shapes[0][0]))
      throw new AxonError('BAD_SHAPE', `${this.name}: position ids must be [${shapes[0][0]}] per sample (one per step of [${shapes[0]}]), got [${shapes[1]}]`);
    return this.build(shapes[0]);
  }
  build(s: number[]): number[] {
    if (s.length !== 2) throw new AxonError('BAD_SHAPE', `${this.name}: expects [steps, features] per sample, got [${s}]`);
    if (!this.hasPositions && s[0] > this.maxLength) throw new AxonError('BAD_SHAPE', `${this.name}: sequence length ${s[0]} is beyond maxLength ${this.maxLength}`);
    this.inputShape = s;
    const D = s[1];
    this.params = this.kind === 'learned' ? [{ name: 'weight', shape: [this.maxLength, D], init: { type: 'randomNormal', std: 0.02 }, fans: { fanIn: this.maxLength, fanOut: D }, trainable: true, regularize: false }] : [];
    return (this.outputShape = s);
  }
  private positions(c: Ctx): number {
    const D = this.inputShape[1];
    // One table of maxLength rows serves every length: rows [0, T) are its prefix.
    return this.kind === 'learned' ? c.param('weight') : c.constant('table', 'f32', sinusoidalTable(this.maxLength, D).buffer as ArrayBuffer);
  }
  forward(c: Ctx, { xs, x, y }: IO): void {
    const N = size(this.inputShape), [T, D] = this.inputShape;
    if (this.hasPositions) {
      const rows = c.aux('rows', 'f32', N);
      c.emit('gather_rows', { y: rows, x: this.positions(c), idx: xs[1], rows: c.batch * T, cols: D, xrows: this.maxLength });
      c.emit('add', { y, a: x, b: rows, n: c.batch * N });
      return;
    }
    c.emit('copy', { y, x, n: c.batch * N });
    c.emit('bias_add', { y, b: this.positions(c), M: c.batch, N });   // (rows [0, T) of the table: the first T·D values)
  }
  backward(c: Ctx, { xs, dx, dy }: IO): void {
    if (dy === undefined) return;
    const N = size(this.inputShape), [T, D] = this.inputShape, dw = this.kind === 'learned' ? c.grad('weight') : undefined;
    if (dx !== undefined) c.emit('axpy', { y: dx, x: dy, a: 1, n: c.batch * N });
    if (this.hasPositions) {
      if (dw !== undefined) c.emit('scatter_add_rows', { dw, dy, ids: xs[1], R: c.batch * T, D, V: this.maxLength, skip: this.maxLength });
      return;
    }
    if (dw !== undefined) c.emit('bias_grad', { db: dw, dy, M: c.batch, N });
  }
  config(): Record<string, unknown> { return { maxLength: this.maxLength, ...(this.kind !== 'learned' ? { kind: this.kind } : {}) }; }
}

/** The sinusoidal position table's first T rows (T, D). */
export function sinusoidalTable(T: number, D: number): Float32Array {
  const t = new Float32Array(T * D);
  for (let p = 0; p < T; p++) for (let i = 0; i < D; i++) {
    const a = p / 10000 ** ((2 * Math.floor(i / 2)) / D);
    t[p * D + i] = i % 2 === 0 ? Math.sin(a) : Math.cos(a);
  }
  return t;
}

export class MaskedMeanPooling extends Layer {
  readonly type = 'maskedMeanPooling';
  constructor(o: { name?: string } = {}) { super(); if (o.name) this.name = o.name; }
  override intInput(k: number): [number, number] | undefined { return k === 1 ? [0, 1] : undefined; }
  build(s: number[]): number[] { return this.buildAll([s]); }
  override buildAll(shapes: number[][]): number[] {
    if (shapes.length !== 2) throw new AxonError('BAD_CONFIG', `${this.name}: reads the sequence and its mask (2 inputs), got ${shapes.length}`);
    const [s, m] = shapes;
    if (s.length !== 2 || m.length !== 1 || m[0] !== s[0]) throw new AxonError('BAD_SHAPE', `${this.name}: expects a sequence [steps, features] and a mask [steps], got [${s}] and [${m}]`);
    this.inputShape = s;
    return (this.outputShape = [s[1]]);
  }
  forward(c: Ctx, { xs, y }: IO): void {
    const [T, D] = this.inputShape;
    c.emit('masked_mean_fwd', { y, x: xs[0], mask: xs[1], B: c.batch, T, D });
  }
  backward(c: Ctx, { xs, dxs, dy }: IO): void {
    const [T, D] = this.inputShape;
    if (dy !== undefined && dxs[0] !== undefined) c.emit('masked_mean_bwd', { dx: dxs[0], dy, mask: xs[1], B: c.batch, T, D });
  }
  config(): Record<string, unknown> { return {}; }
}

registerLayerTypes({   // (families.ts)
  positionEmbedding: (c) => new PositionEmbedding(c as unknown as PositionEmbeddingOptions),
  maskedMeanPooling: () => new MaskedMeanPooling(),
});
