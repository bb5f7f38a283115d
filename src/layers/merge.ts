// Merge layers: several inputs, one output. They make a model a graph (residual and
// concatenating blocks); see Model.add's `inputs`.
//   Add:         y = x0 + x1 + …   (same shapes); dx_j += dy
//   Concatenate: inputs joined along one per-sample axis (default the last: channels in NHWC);
//                each input's gradient is its block of dy, added back.
import { AxonError } from '../errors.js';
import { Ctx, IO, MergeLayer, size } from './layer.js';

export class Add extends MergeLayer {
  readonly type = 'add';
  constructor(opts: { name?: string } = {}) { super(); if (opts.name) this.name = opts.name; }
  buildMerge(shapes: number[][]): number[] {
    if (shapes.length < 2) throw new AxonError('BAD_CONFIG', `add needs at least 2 inputs, got ${shapes.length}`);
    const bad = shapes.find((s) => s.join() !== shapes[0].join());
    if (bad) throw new AxonError('BAD_SHAPE', `add needs inputs of one shape, got ${shapes.map((s) => `[${s}]`).join(', ')}`);
    this.inputShapes = shapes;
    this.inputShape = shapes[0];
    return (this.outputShape = shapes[0]);
  }
  forward(c: Ctx, { xs, y }: IO): void {
    const n = c.batch * size(this.outputShape);
    c.emit('add', { y, a: xs[0], b: xs[1], n }, this.name);
    for (const x of xs.slice(2)) c.emit('axpy', { y, x, a: 1, n }, this.name);
  }
  backward(c: Ctx, { dxs, dy }: IO): void {
    if (dy === undefined) return;
    const n = c.batch * size(this.outputShape);
    for (const dx of dxs) if (dx !== undefined) c.emit('axpy', { y: dx, x: dy, a: 1, n }, this.name);
  }
  config(): Record<string, unknown> { return {}; }
}

export class Concatenate extends MergeLayer {
  readonly type = 'concatenate';
  /** per-sample axis (no batch axis); negative counts from the end */
  readonly axis: number;
  private ax = 0;
  constructor(opts: { axis?: number; name?: string } = {}) {
    super();
    this.axis = opts.axis ?? -1;
    if (!Number.isInteger(this.axis)) throw new AxonError('BAD_CONFIG', `concatenate: axis must be an integer, got ${opts.axis}`);
    if (opts.name) this.name = opts.name;
  }
  buildMerge(shapes: number[][]): number[] {
    if (shapes.length < 2) throw new AxonError('BAD_CONFIG', `concatenate needs at least 2 inputs, got ${shapes.length}`);
    const r = shapes[0].length, ax = this.axis < 0 ? r + this.axis : this.axis;
    if (ax < 0 || ax >= r) throw new AxonError('BAD_CONFIG', `concatenate: axis ${this.axis} is out of range for per-sample rank ${r} (the batch axis is not counted)`);
    const same = (s: number[]) => s.length === r && s.every((d, k) => k === ax || d === shapes[0][k]);
    if (!shapes.every(same)) throw new AxonError('BAD_SHAPE', `concatenate on axis ${this.axis} needs inputs equal on every other axis, got ${shapes.map((s) => `[${s}]`).join(', ')}`);
    this.ax = ax;
    this.inputShapes = shapes;
    this.inputShape = shapes[0];
    const out = shapes[0].slice();
    out[ax] = shapes.reduce((s, d) => s + d[ax], 0);
    return (this.outputShape = out);
  }
  /** Each input's block: rows (batch × axes before), cols (its share of a row), offset in an output row, output row pitch. */
  private blocks(batch: number): Array<{ rows: number; cols: number; off: number; ld: number }> {
    const inner = size(this.outputShape.slice(this.ax + 1)), rows = batch * size(this.outputShape.slice(0, this.ax)), ld = this.outputShape[this.ax] * inner;
    let off = 0;
    return this.inputShapes.map((s) => { const cols = s[this.ax] * inner, b = { rows, cols, off, ld }; off += cols; return b; });
  }
  forward(c: Ctx, { xs, y }: IO): void {
    this.blocks(c.batch).forEach((b, j) => c.emit('copy_strided', { y, x: xs[j], rows: b.rows, cols: b.cols, ldy: b.ld, ldx: b.cols, offy: b.off, offx: 0 }, this.name));
  }
  backward(c: Ctx, { dxs, dy }: IO): void {
    if (dy === undefined) return;
    this.blocks(c.batch).forEach((b, j) => {
      const dx = dxs[j];
      if (dx !== undefined) c.emit('add_strided', { y: dx, x: dy, rows: b.rows, cols: b.cols, ldy: b.cols, ldx: b.ld, offy: 0, offx: b.off }, this.name);
    });
  }
  config(): Record<string, unknown> { return { axis: this.axis }; }
}
